//! The response future: hands the entry to the response body.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

use crate::body::AccessLogBody;
use crate::record::Entry;

/// The status written for a request whose app failed (an `Err` with no
/// response).
const FAILED: u16 = 500;
/// The status written for a request dropped before the app answered (the
/// client went away): nginx's 499.
const ABANDONED: u16 = 499;

pin_project! {
    /// The response future of [`AccessLog`](crate::AccessLog).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        entry: Option<Entry>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(mut entry) = this.entry.take() {
                entry.status = ABANDONED;
                entry.emit(false);
            }
        }
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, entry: Entry) -> Self {
        Self {
            inner,
            entry: Some(entry),
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body,
{
    type Output = Result<Response<AccessLogBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        let Some(mut entry) = this.entry.take() else {
            // Polled after completion: the inner future decides what that means.
            return Poll::Ready(result.map(|res| res.map(AccessLogBody::unlogged)));
        };
        Poll::Ready(match result {
            Ok(res) if entry.switches_protocols(res.status()) => {
                // The handshake of an upgrade: its body, if any, is never
                // sent, and the tunnel after it may stay open for hours.
                // The entry is written now, with the head.
                entry.response(&res);
                entry.emit(true);
                Ok(res.map(AccessLogBody::unlogged))
            }
            Ok(res) => {
                entry.response(&res);
                Ok(res.map(|body| AccessLogBody::new(body, entry)))
            }
            Err(err) => {
                entry.status = FAILED;
                entry.emit(false);
                Err(err)
            }
        })
    }
}
