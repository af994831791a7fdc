//! [`CrossOriginProtection`]: the service that checks each request.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use pastry_core::{App, CrossOrigin, CrossOriginChecked, is_upgrade, text_response};
use tower_service::Service;

use crate::body::OriginBody;
use crate::config::Policy;
use crate::future::ResponseFuture;

/// The service made by [`CrossOriginLayer`](crate::CrossOriginLayer): a
/// 403 for a cross-origin unsafe request or upgrade, else the wrapped app,
/// with [`CrossOriginChecked`] in the request's extensions.
#[derive(Clone, Debug)]
pub struct CrossOriginProtection<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S> CrossOriginProtection<S> {
    pub(crate) fn new(inner: S, policy: Arc<Policy>) -> Self {
        Self { inner, policy }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for CrossOriginProtection<S>
where
    S: App<B>,
{
    type Response = Response<OriginBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        if let Err(why) = self.policy.check(req.method(), req.uri(), req.headers()) {
            return ResponseFuture::own(refusal(&req, why));
        }
        req.extensions_mut().insert(CrossOriginChecked);
        ResponseFuture::inner(self.inner.call(req))
    }
}

/// The 403 for a refused request, logged at info with the reason.
fn refusal<B>(req: &Request<B>, why: CrossOrigin) -> Response<Bytes> {
    let upgrade = is_upgrade(req.method(), req.headers());
    tracing::info!(
        target: "pastry_origin",
        method = %req.method(),
        path = %req.uri().path(),
        origin = ?req.headers().get(http::header::ORIGIN),
        sec_fetch_site = ?req.headers().get("sec-fetch-site"),
        upgrade,
        reason = %why,
        "cross-origin request refused"
    );
    if upgrade {
        text_response(
            StatusCode::FORBIDDEN,
            "403 Forbidden: cross-origin upgrade (WebSocket) refused\n",
        )
    } else {
        text_response(
            StatusCode::FORBIDDEN,
            "403 Forbidden: cross-origin request refused\n",
        )
    }
}
