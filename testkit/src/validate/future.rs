use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::Response;
use pastry_core::BoxError;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use super::check::{self, RequestInfo};
use super::{Rule, ValidateBody, ValidateLayer, Violation};
use crate::response::describe_head;

pin_project! {
    /// The response future of [`Validate`](super::Validate).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<F>,
        refused: Option<Violation>,
        sleep: Option<Pin<Box<Sleep>>>,
        info: RequestInfo,
        config: ValidateLayer,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, info: RequestInfo, config: ValidateLayer) -> Self {
        Self {
            inner: Some(inner),
            refused: None,
            sleep: None,
            info,
            config,
        }
    }

    pub(crate) fn refused(violation: Violation, info: RequestInfo, config: ValidateLayer) -> Self {
        Self {
            inner: None,
            refused: Some(violation),
            sleep: None,
            info,
            config,
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("refused", &self.refused)
            .finish_non_exhaustive()
    }
}

impl<F, R, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
    E: Into<BoxError>,
    R: http_body::Body<Data = Bytes>,
    R::Error: Into<BoxError>,
{
    type Output = Result<Response<ValidateBody<R>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            let violation = this.refused.take().unwrap_or_else(|| {
                Violation::new(
                    Rule::PollReadyBeforeCall,
                    "response future polled after completion",
                )
            });
            return Poll::Ready(Err(violation.into()));
        };
        let res = match inner.poll(cx) {
            Poll::Ready(res) => res.map_err(Into::into)?,
            Poll::Pending => {
                if let Some(limit) = this.config.timeout
                    && this.config.checks(Rule::ResponseTimeout)
                {
                    if this.sleep.is_none() && tokio::runtime::Handle::try_current().is_ok() {
                        *this.sleep = Some(Box::pin(tokio::time::sleep(limit)));
                    }
                    if let Some(sleep) = this.sleep.as_mut() {
                        ready!(sleep.as_mut().poll(cx));
                        return Poll::Ready(Err(Violation::new(
                            Rule::ResponseTimeout,
                            format!("the response did not arrive within {limit:?}"),
                        )
                        .into()));
                    }
                }
                return Poll::Pending;
            }
        };
        let plan = check::head(res.status(), res.headers(), this.info, this.config)
            .map_err(|v| v.with_context(&describe_head(res.status(), res.headers())))?;
        let deadline = this
            .config
            .timeout
            .filter(|_| this.config.checks(Rule::BodyTimeout))
            .filter(|_| !plan.switches_protocols)
            .filter(|_| tokio::runtime::Handle::try_current().is_ok())
            .map(|limit| (Instant::now() + limit, limit));
        Poll::Ready(Ok(res.map(|body| ValidateBody::new(body, plan, deadline))))
    }
}
