//! The response future of [`Cors`](crate::Cors).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use crate::body::CorsBody;
use crate::config::Policy;

pin_project! {
    /// The future of [`Cors`](crate::Cors): the layer's answer to a
    /// preflight, or the wrapped app's answer with the CORS headers added.
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Answered { response: Option<Response<Bytes>> },
        Inner {
            #[pin]
            future: F,
            policy: Arc<Policy>,
            origin: Option<HeaderValue>,
        },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn answered(response: Response<Bytes>) -> Self {
        Self {
            state: State::Answered {
                response: Some(response),
            },
        }
    }

    pub(crate) fn inner(future: F, policy: Arc<Policy>, origin: Option<HeaderValue>) -> Self {
        Self {
            state: State::Inner {
                future,
                policy,
                origin,
            },
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
        match self.project().state.project() {
            StateProj::Answered { response } => {
                // Polled again after Ready: an empty answer rather than a panic.
                let response = response.take().unwrap_or_default();
                Poll::Ready(Ok(response.map(CorsBody::own)))
            }
            StateProj::Inner {
                future,
                policy,
                origin,
            } => {
                let mut response = ready!(future.poll(cx))?;
                policy.decorate(response.headers_mut(), origin.take());
                Poll::Ready(Ok(response.map(CorsBody::inner)))
            }
        }
    }
}
