use std::task::{Context, Poll};

use http::{Request, Response};
use pastry_core::{App, BoxError};
use tower_service::Service;

use super::check::RequestInfo;
use super::{ResponseFuture, Rule, ValidateBody, ValidateLayer, Violation};

/// Checks that the service it wraps answers like a conforming HTTP app,
/// and that whoever calls it respects `poll_ready`.
///
/// [`TestClient`](crate::TestClient) puts every app in a `Validate` unless
/// made lenient. Used on its own (inside a middleware under test, to check
/// that the middleware calls `poll_ready` and passes a conforming response
/// along, say), a broken rule is reported as a [`Violation`], boxed into a
/// [`BoxError`]:
///
/// - rules about the response head (status, headers) and about calling the
///   service make the response future fail with the violation;
/// - rules about the body (its length, gzip, no body on 204…) make the body
///   fail with the violation at the frame where it is detected (for a length
///   mismatch or bad gzip, at the end), after which the body ends.
///
/// A time-out is a violation too, so a hanging app fails the test instead of
/// hanging it. Find the violation in an error with [`Violation::find`].
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response, StatusCode};
/// use http_body_util::BodyExt;
/// use pastry_testkit::{Rule, ValidateLayer, Violation};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let broken = tower::service_fn(|_req: Request<String>| async {
///     let mut res = Response::new("surprise".to_owned());
///     *res.status_mut() = StatusCode::NO_CONTENT;
///     Ok::<_, Infallible>(res)
/// });
/// let app = ServiceBuilder::new().layer(ValidateLayer::new()).service(broken);
/// let res = app.oneshot(Request::new(String::new())).await.unwrap();
/// let err = res.into_body().collect().await.unwrap_err();
/// assert_eq!(Violation::find(&*err).unwrap().rule(), Rule::NoBody);
/// # }
/// ```
#[derive(Debug)]
pub struct Validate<S> {
    inner: S,
    config: ValidateLayer,
    ready: bool,
}

impl<S> Validate<S> {
    /// Wraps `inner`, checking the rules `config` selects.
    pub fn new(inner: S, config: ValidateLayer) -> Self {
        Self {
            inner,
            config,
            ready: false,
        }
    }

    pastry_core::inner_accessors!(S);
}

/// A clone has not been polled ready, whatever the original's state.
impl<S: Clone> Clone for Validate<S> {
    fn clone(&self) -> Self {
        Self::new(self.inner.clone(), self.config)
    }
}

impl<S, B> Service<Request<B>> for Validate<S>
where
    S: App<B>,
{
    type Response = Response<ValidateBody<S::ResBody>>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => {
                self.ready = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let info = RequestInfo::of(&req);
        if !std::mem::take(&mut self.ready) && self.config.checks(Rule::PollReadyBeforeCall) {
            let violation = Violation::new(
                Rule::PollReadyBeforeCall,
                format!(
                    "{} {} was passed to call() without poll_ready() returning ready first",
                    req.method(),
                    req.uri()
                ),
            );
            return ResponseFuture::refused(violation, info, self.config);
        }
        ResponseFuture::new(self.inner.call(req), info, self.config)
    }
}
