//! [`RateLimit`]: the service that counts each request against its key.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use pastry_core::App;
use tower_service::Service;

use crate::body::RateLimitBody;
use crate::config::{Limiter, Outcome};
use crate::future::ResponseFuture;
use crate::store::Store;

/// The service made by [`RateLimitLayer`](crate::RateLimitLayer): counts
/// each request against its key and answers `429 Too Many Requests` (with
/// `Retry-After`) when the key is over its policy; passes every other
/// request to the wrapped app.
///
/// The wrapped app must be `Clone` (every router and `service_fn` is): with
/// the Redis store the request waits for Redis's verdict before the app is
/// called, so the future takes the app along, as tower's own middleware do.
#[derive(Clone, Debug)]
pub struct RateLimit<S> {
    inner: S,
    limiter: Arc<Limiter>,
}

impl<S> RateLimit<S> {
    pub(crate) fn new(inner: S, limiter: Arc<Limiter>) -> Self {
        Self { inner, limiter }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for RateLimit<S>
where
    S: App<B> + Clone,
{
    type Response = Response<RateLimitBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let limiter = &self.limiter;
        let (parts, body) = req.into_parts();
        let Some(key) = limiter.key(&parts) else {
            let future = self.inner.call(Request::from_parts(parts, body));
            return ResponseFuture::inner(future, limiter, None);
        };
        match &limiter.store {
            Store::Memory(store) => {
                let verdict = store.check(key, &limiter.gcra, limiter.monotonic_now());
                match limiter.outcome(verdict, &parts.method, parts.uri.path()) {
                    Outcome::Answer(response) => ResponseFuture::answered(response),
                    Outcome::Pass(verdict) => {
                        let future = self.inner.call(Request::from_parts(parts, body));
                        ResponseFuture::inner(future, limiter, verdict)
                    }
                }
            }
            #[cfg(feature = "redis")]
            Store::Redis(_) => {
                // The app is called once Redis answered: take the service
                // that was made ready, leave a clone in its place.
                let clone = self.inner.clone();
                let service = std::mem::replace(&mut self.inner, clone);
                let now = limiter.wall_micros();
                let shared = Arc::clone(limiter);
                let check = Box::pin(async move {
                    match &shared.store {
                        Store::Redis(store) => store.check(&key, now).await,
                        Store::Memory(_) => None,
                    }
                });
                ResponseFuture::checking(
                    check,
                    service,
                    Request::from_parts(parts, body),
                    Arc::clone(limiter),
                )
            }
        }
    }
}
