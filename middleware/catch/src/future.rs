//! The response future: catches errors and panics of the inner future.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Response;
use http_body::Body;
use pastry_core::BoxError;
use pin_project_lite::pin_project;

use crate::body::CatchBody;
use crate::config::Config;
use crate::failure::{Cause, Phase, RequestInfo};

pin_project! {
    /// The response future of [`Catch`](crate::Catch): the inner future,
    /// polled inside `catch_unwind`, or an error page ready to go.
    ///
    /// Never fails and never boxes the inner future.
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
        info: Option<RequestInfo>,
        config: Config,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Running {
            #[pin]
            future: F,
        },
        Failed {
            response: Option<Response<Bytes>>,
        },
    }
}

impl<F> ResponseFuture<F> {
    #[inline]
    pub(crate) fn new(future: F, info: RequestInfo, config: Config) -> Self {
        Self {
            state: State::Running { future },
            info: Some(info),
            config,
        }
    }

    pub(crate) fn failed(response: Response<Bytes>) -> Self {
        Self {
            state: State::Failed {
                response: Some(response),
            },
            info: None,
            config: Config::default(),
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
    E: Into<BoxError>,
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<CatchBody<B>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.state.project() {
            StateProj::Running { future } => {
                let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(result)) => Ok(result),
                    Err(payload) => Err(payload),
                };
                let info = this
                    .info
                    .take()
                    .expect("pastry_catch::ResponseFuture polled after completion");
                let config = &*this.config;
                let response = match outcome {
                    Ok(Ok(response)) => {
                        let debug = config.debug;
                        return Poll::Ready(Ok(
                            response.map(|body| CatchBody::new(body, info, debug))
                        ));
                    }
                    Ok(Err(err)) => config.respond(Phase::Future, Cause::Error(err.into()), info),
                    Err(payload) => config.respond(Phase::Future, Cause::panic(payload), info),
                };
                Poll::Ready(Ok(response.map(CatchBody::page)))
            }
            StateProj::Failed { response } => {
                let response = response
                    .take()
                    .expect("pastry_catch::ResponseFuture polled after completion");
                Poll::Ready(Ok(response.map(CatchBody::page)))
            }
        }
    }
}
