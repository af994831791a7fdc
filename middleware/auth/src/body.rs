//! The response body of the auth services: the inner app's, or a short
//! page of their own.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use pastry_core::text_response;

/// The body of a response from an auth service: the wrapped app's body,
/// or a small page the middleware wrote itself (a 401, 403, 303 …). It is
/// [`pastry_core::LayerBody`], the body every Pastry layer that answers on
/// its own uses.
pub type AuthBody<B> = pastry_core::LayerBody<B>;

/// A `303 See Other` to `location` with an empty body, or `None` when
/// `location` cannot be a header value.
pub(crate) fn see_other(location: String) -> Option<Response<Bytes>> {
    let location = HeaderValue::try_from(location).ok()?;
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(header::LOCATION, location);
    Some(response)
}

/// An HTML response of the middleware's own, never cached.
#[cfg(feature = "sessions")]
pub(crate) fn html_response(status: StatusCode, html: String) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(html));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The 500 answer for a failure the middleware logged itself.
pub(crate) fn internal_error() -> Response<Bytes> {
    text_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "500 Internal Server Error\n",
    )
}

/// Adds `Retry-After` in whole seconds, rounded up.
pub(crate) fn retry_after<B>(response: &mut Response<B>, after: std::time::Duration) {
    let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
}

/// The answer to an authentication error other than wrong credentials:
/// 429 for a lockout, 503 for an exhausted bound, else a logged 500.
pub(crate) fn refusal(err: &crate::AuthError) -> Response<Bytes> {
    match err {
        crate::AuthError::LockedOut { retry_after: after } => {
            let mut response =
                text_response(StatusCode::TOO_MANY_REQUESTS, "429 Too Many Requests\n");
            retry_after(&mut response, *after);
            response
        }
        crate::AuthError::Busy => {
            let mut response =
                text_response(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable\n");
            retry_after(&mut response, std::time::Duration::from_secs(1));
            response
        }
        other => {
            tracing::error!(target: "pastry_auth", error = %other, "authentication failed");
            internal_error()
        }
    }
}
