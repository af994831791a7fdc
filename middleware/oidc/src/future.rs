//! [`ResponseFuture`]: the app's answer, or the layer's own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::Response;
use pastry_core::LayerBody;
use pin_project_lite::pin_project;

pin_project! {
    /// The future of [`Oidc`](crate::Oidc): the wrapped app's response, or
    /// the layer's own answer on its login and callback paths.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] future: F },
        Own { future: BoxFuture<'static, Response<Bytes>> },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn inner(future: F) -> Self {
        Self {
            kind: Kind::Inner { future },
        }
    }

    pub(crate) fn own(future: BoxFuture<'static, Response<Bytes>>) -> Self {
        Self {
            kind: Kind::Own { future },
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
    type Output = Result<Response<LayerBody<R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => {
                let res = ready!(future.poll(cx))?;
                Poll::Ready(Ok(res.map(LayerBody::inner)))
            }
            KindProj::Own { future } => {
                let res = ready!(future.as_mut().poll(cx));
                Poll::Ready(Ok(res.map(LayerBody::own)))
            }
        }
    }
}
