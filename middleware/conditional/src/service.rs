//! [`Conditional`]: the service that hashes and answers conditional
//! requests.

use std::task::{Context, Poll};

use http::{Request, Response};
use pastry_core::App;
use tower_service::Service;

use crate::body::ConditionalBody;
use crate::conditions::Conditions;
use crate::config::Config;
use crate::future::ResponseFuture;

/// The service made by [`ConditionalLayer`](crate::ConditionalLayer):
/// gives the complete, bounded `200` answers to `GET` and `HEAD` a strong
/// `ETag`, and answers their preconditions with `304` or `412`. Every
/// other request and response passes through untouched.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use pastry_conditional::{Conditional, ConditionalLayer};
/// use tower::{Layer, service_fn};
///
/// let app = service_fn(|_req: Request<String>| async {
///     Ok::<_, Infallible>(Response::new(String::from("hello")))
/// });
/// let mut service: Conditional<_> = ConditionalLayer::new().layer(app);
/// let _app = service.get_mut();
/// ```
#[derive(Clone, Debug)]
pub struct Conditional<S> {
    inner: S,
    config: Config,
}

impl<S> Conditional<S> {
    pub(crate) fn new(inner: S, config: Config) -> Self {
        Self { inner, config }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for Conditional<S>
where
    S: App<B>,
{
    type Response = Response<ConditionalBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, S::ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let conditions = Conditions::of(&req);
        ResponseFuture::new(self.inner.call(req), conditions, self.config)
    }
}
