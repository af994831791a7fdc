//! The service: opens an entry per request.

use std::task::{Context, Poll};

use http::Request;
use pastry_core::App;
use tower_service::Service;

use crate::config::Config;
use crate::future::ResponseFuture;
use crate::record::Entry;

/// A service that writes one access-log entry per request; built by
/// [`AccessLogLayer`](crate::AccessLogLayer).
///
/// Its error is the app's own, so over an `Infallible` app it is
/// infallible too.
#[derive(Clone, Debug)]
pub struct AccessLog<S> {
    inner: S,
    config: Config,
}

impl<S> AccessLog<S> {
    pub(crate) fn with_config(inner: S, config: Config) -> Self {
        Self { inner, config }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for AccessLog<S>
where
    S: App<B>,
{
    type Response = http::Response<crate::AccessLogBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let entry = Entry::new(&req, &self.config);
        ResponseFuture::new(self.inner.call(req), entry)
    }
}
