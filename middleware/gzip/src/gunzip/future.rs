//! The response future: the app's response, unless its request body could
//! not be decoded.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use super::body::GunzipResponseBody;
use super::decompress::DecodeOutcome;

pin_project! {
    /// The future of [`GunzipRequests`](crate::GunzipRequests)' responses.
    pub struct GunzipFuture<F> {
        #[pin]
        inner: F,
        // Set when the request body is gzip: how decoding it went.
        outcome: Option<Arc<DecodeOutcome>>,
    }
}

impl<F> GunzipFuture<F> {
    pub(crate) fn new(inner: F, outcome: Option<Arc<DecodeOutcome>>) -> Self {
        GunzipFuture { inner, outcome }
    }
}

impl<F> std::fmt::Debug for GunzipFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GunzipFuture")
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for GunzipFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<GunzipResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Some(status) = this.outcome.as_ref().and_then(|o| o.failure()) {
            return Poll::Ready(Ok(rejection(status)));
        }
        Poll::Ready(result.map(|response| response.map(GunzipResponseBody::inner)))
    }
}

/// The answer to a request whose compressed body could not be decoded, in place
/// of the app's.
fn rejection<B>(status: StatusCode) -> Response<GunzipResponseBody<B>> {
    let message: &'static str = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "request body too large once decompressed\n"
    } else {
        "corrupt or truncated compressed request body\n"
    };
    pastry_core::text_response(status, message)
}
