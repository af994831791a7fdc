//! The response future of [`Cors`](crate::Cors).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderValue, Response};
use pastry_core::LayerFuture;
use pin_project_lite::pin_project;

use crate::body::CorsBody;
use crate::config::Policy;

pin_project! {
    /// The future of [`Cors`](crate::Cors): the layer's answer to a
    /// preflight, or the wrapped app's answer with the CORS headers added.
    /// It is [`pastry_core::LayerFuture`], the future every Pastry layer
    /// that answers on its own uses, plus those headers.
    pub struct ResponseFuture<F> {
        #[pin]
        future: LayerFuture<F>,
        // The policy and the request's `Origin`, for the app's answer only:
        // the layer's own answer to a preflight carries its headers already.
        decorate: Option<(Arc<Policy>, Option<HeaderValue>)>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn answered(response: Response<Bytes>) -> Self {
        Self {
            future: LayerFuture::own(response),
            decorate: None,
        }
    }

    pub(crate) fn inner(future: F, policy: Arc<Policy>, origin: Option<HeaderValue>) -> Self {
        Self {
            future: LayerFuture::inner(future),
            decorate: Some((policy, origin)),
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, R, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = Result<Response<CorsBody<R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.future.poll(cx))?;
        if let Some((policy, origin)) = this.decorate.take() {
            policy.decorate(response.headers_mut(), origin);
        }
        Poll::Ready(Ok(response))
    }
}
