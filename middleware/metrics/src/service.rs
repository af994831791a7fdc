//! [`Metrics`]: the service that records each request.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use pastry_core::App;
use tower_service::Service;

use crate::body::MetricsBody;
use crate::future::ResponseFuture;
use crate::record::{Recording, Shared};

/// The service made by [`MetricsLayer`](crate::MetricsLayer): records each
/// request in its [`MetricsHandle`](crate::MetricsHandle) and passes it to
/// the wrapped app untouched. Its error is the app's own, so over an
/// `Infallible` app it is infallible too.
#[derive(Clone, Debug)]
pub struct Metrics<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Metrics<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for Metrics<S>
where
    S: App<B>,
{
    type Response = Response<MetricsBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let recording = Recording::new(&self.shared, &req);
        let method = req.method().clone();
        ResponseFuture::new(self.inner.call(req), recording, &method)
    }
}
