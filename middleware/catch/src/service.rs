//! The service: catches failures of `poll_ready` and `call`.

use std::convert::Infallible;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::{Context, Poll};

use http::{Request, Response};
use pastry_core::App;
use tower_service::Service;

use crate::body::CatchBody;
use crate::config::Config;
use crate::failure::{Cause, Phase, RequestInfo};
use crate::future::ResponseFuture;

/// A service that turns its inner service's errors and panics into error
/// responses; built by [`CatchLayer`](crate::CatchLayer).
///
/// Its error type is [`Infallible`], so a server can serve it directly.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response, StatusCode};
/// use http_body_util::Full;
/// use bytes::Bytes;
/// use pastry_catch::Catch;
/// use pastry_core::HttpError;
/// use tower::{ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = Catch::new(service_fn(|_req: Request<Full<Bytes>>| async {
///     Err::<Response<Full<Bytes>>, _>(HttpError::new(StatusCode::NOT_FOUND, "no such post"))
/// }));
/// let res = app.oneshot(Request::new(Full::default())).await.unwrap();
/// assert_eq!(res.status(), StatusCode::NOT_FOUND);
/// # }
/// ```
pub struct Catch<S> {
    inner: S,
    config: Config,
    /// A failure of `poll_ready`, answered by the next call.
    pending: Option<Box<Cause>>,
}

impl<S> Catch<S> {
    /// Wraps `inner` with the defaults of [`CatchLayer::new`](crate::CatchLayer::new).
    pub fn new(inner: S) -> Self {
        Self::with_config(inner, Config::default())
    }

    pub(crate) fn with_config(inner: S, config: Config) -> Self {
        Self {
            inner,
            config,
            pending: None,
        }
    }

    pastry_core::inner_accessors!(S);
}

impl<S: Clone> Clone for Catch<S> {
    /// A clone starts without the readiness failure the original may hold:
    /// it must be polled ready itself.
    fn clone(&self) -> Self {
        Self::with_config(self.inner.clone(), self.config.clone())
    }
}

impl<S: fmt::Debug> fmt::Debug for Catch<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catch")
            .field("inner", &self.inner)
            .field("debug", &self.config.debug)
            .field("handler", &self.config.handler.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody> Service<Request<ReqBody>> for Catch<S>
where
    S: App<ReqBody>,
{
    type Response = Response<CatchBody<S::ResBody>>;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future>;

    /// Polls the inner service; an error or a panic there is kept and
    /// answered by the next `call` with an error page (phase `ready`), so
    /// this never fails.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.pending.is_some() {
            return Poll::Ready(Ok(()));
        }
        match catch_unwind(AssertUnwindSafe(|| self.inner.poll_ready(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(Ok(()))) => Poll::Ready(Ok(())),
            Ok(Poll::Ready(Err(err))) => {
                self.pending = Some(Box::new(Cause::Error(err.into())));
                Poll::Ready(Ok(()))
            }
            Err(payload) => {
                self.pending = Some(Box::new(Cause::panic(payload)));
                Poll::Ready(Ok(()))
            }
        }
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let info = RequestInfo::capture(&req, self.config.wants_headers());
        if let Some(cause) = self.pending.take() {
            return ResponseFuture::failed(self.config.respond(Phase::Ready, *cause, info));
        }
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(future) => ResponseFuture::new(future, info, self.config.clone()),
            Err(payload) => ResponseFuture::failed(self.config.respond(
                Phase::Call,
                Cause::panic(payload),
                info,
            )),
        }
    }
}
