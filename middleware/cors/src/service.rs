//! [`Cors`]: the service that answers preflights and marks responses.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response, StatusCode};
use pastry_core::{App, text_response};
use tower_service::Service;

use crate::body::CorsBody;
use crate::config::{Policy, is_preflight};
use crate::future::ResponseFuture;

/// The service made by [`CorsLayer`](crate::CorsLayer): answers CORS
/// preflights itself (`204` when allowed, `403` without CORS headers when
/// not) and passes every other request to the wrapped app, adding the CORS
/// headers and `Vary` to its answer.
#[derive(Clone, Debug)]
pub struct Cors<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S> Cors<S> {
    pub(crate) fn new(inner: S, policy: Arc<Policy>) -> Self {
        Self { inner, policy }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for Cors<S>
where
    S: App<B>,
{
    type Response = Response<CorsBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let (parts, body) = req.into_parts();
        if is_preflight(&parts) {
            return ResponseFuture::answered(preflight(&self.policy, &parts));
        }
        let origin = self.policy.allowed_origin(&parts);
        let future = self.inner.call(Request::from_parts(parts, body));
        ResponseFuture::inner(future, Arc::clone(&self.policy), origin)
    }
}

/// The layer's answer to a preflight: `204 No Content` with the CORS
/// headers, or a `403` without them (logged at debug).
fn preflight(policy: &Policy, parts: &Parts) -> Response<Bytes> {
    let mut response = match policy.preflight(parts) {
        Ok(headers) => {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response.headers_mut().extend(headers);
            response
        }
        Err(why) => {
            tracing::debug!(
                target: "pastry_cors",
                method = %parts.method,
                path = %parts.uri.path(),
                origin = ?parts.headers.get(http::header::ORIGIN),
                request_method = ?parts.headers.get(http::header::ACCESS_CONTROL_REQUEST_METHOD),
                request_headers = ?parts.headers.get(http::header::ACCESS_CONTROL_REQUEST_HEADERS),
                reason = %why,
                "CORS preflight refused"
            );
            text_response(
                StatusCode::FORBIDDEN,
                "403 Forbidden: CORS preflight refused\n",
            )
        }
    };
    policy.vary_preflight(response.headers_mut());
    response
}
