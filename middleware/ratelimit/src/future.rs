//! The response future of [`RateLimit`](crate::RateLimit).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::body::RateLimitBody;
use crate::config::{Limiter, Outcome};
use crate::gcra::Verdict;

/// The store's answer for a request, when it comes over the network.
pub(crate) type Check = Pin<Box<dyn Future<Output = Option<Verdict>> + Send>>;

pin_project! {
    /// The future of [`RateLimit`](crate::RateLimit): the layer's own
    /// answer (a 429, or a 503 when failing closed), or the wrapped app's
    /// answer with the `RateLimit` fields added when enabled. With the
    /// Redis store it first waits for the store's verdict.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Answered { response: Option<Response<Bytes>> },
        Inner {
            #[pin]
            future: S::Future,
            // Only when the fields are to be added: no shared count is
            // touched per request otherwise.
            fields: Option<(Arc<Limiter>, Verdict)>,
        },
        Checking {
            check: Check,
            service: Option<S>,
            request: Option<Request<B>>,
            limiter: Arc<Limiter>,
        },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    pub(crate) fn answered(response: Response<Bytes>) -> Self {
        Self {
            state: State::Answered {
                response: Some(response),
            },
        }
    }

    pub(crate) fn inner(
        future: S::Future,
        limiter: &Arc<Limiter>,
        verdict: Option<Verdict>,
    ) -> Self {
        Self {
            state: State::Inner {
                future,
                fields: fields(limiter, verdict),
            },
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn checking(
        check: Check,
        service: S,
        request: Request<B>,
        limiter: Arc<Limiter>,
    ) -> Self {
        Self {
            state: State::Checking {
                check,
                service: Some(service),
                request: Some(request),
                limiter,
            },
        }
    }
}

/// What the response needs for its `RateLimit` fields, if they are on.
fn fields(limiter: &Arc<Limiter>, verdict: Option<Verdict>) -> Option<(Arc<Limiter>, Verdict)> {
    match verdict {
        Some(verdict) if limiter.sends_fields() => Some((Arc::clone(limiter), verdict)),
        _ => None,
    }
}

impl<S, B> std::fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<S, B, R> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Output = Result<Response<RateLimitBody<R>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            let next = match state.as_mut().project() {
                StateProj::Answered { response } => {
                    // Polled again after Ready: an empty answer rather than a panic.
                    let response = response.take().unwrap_or_default();
                    return Poll::Ready(Ok(response.map(RateLimitBody::own)));
                }
                StateProj::Inner { future, fields } => {
                    let mut response = ready!(future.poll(cx))?;
                    if let Some((limiter, verdict)) = fields.take() {
                        limiter.decorate(response.headers_mut(), Some(verdict));
                    }
                    return Poll::Ready(Ok(response.map(RateLimitBody::inner)));
                }
                StateProj::Checking {
                    check,
                    service,
                    request,
                    limiter,
                } => {
                    let verdict = ready!(check.as_mut().poll(cx));
                    let (Some(mut service), Some(request)) = (service.take(), request.take())
                    else {
                        // Polled again after Ready.
                        return Poll::Ready(Ok(Response::new(RateLimitBody::own(Bytes::new()))));
                    };
                    let outcome = match verdict {
                        Some(verdict) => {
                            limiter.outcome(verdict, request.method(), request.uri().path())
                        }
                        None => limiter.unavailable(request.method()),
                    };
                    match outcome {
                        Outcome::Answer(response) => State::Answered {
                            response: Some(response),
                        },
                        Outcome::Pass(verdict) => State::Inner {
                            future: service.call(request),
                            fields: fields(limiter, verdict),
                        },
                    }
                }
            };
            state.set(next);
        }
    }
}
