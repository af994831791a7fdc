//! The short plain-text answers middleware give of their own accord.

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};

/// A `text/plain; charset=utf-8` response with `status` and `text`, with an
/// exact `Content-Length`, for refusals a middleware makes itself (a 400, a
/// 403, a 413). The body is any type made from [`Bytes`].
///
/// ```
/// use bytes::Bytes;
/// use http::StatusCode;
/// use http_body_util::Full;
///
/// let res = pastry_core::text_response::<Full<Bytes>>(StatusCode::FORBIDDEN, "Forbidden\n");
/// assert_eq!(res.status(), 403);
/// assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
/// assert_eq!(res.headers()["content-length"], "10");
/// ```
pub fn text_response<B: From<Bytes>>(status: StatusCode, text: &'static str) -> Response<B> {
    let mut res = Response::new(B::from(Bytes::from_static(text.as_bytes())));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        crate::header::content_length(text.len()),
    );
    res
}

/// [`text_response`] for a request made with `method`: the same head, and
/// for `HEAD` an empty body.
///
/// ```
/// use bytes::Bytes;
/// use http::{Method, StatusCode};
///
/// let res = pastry_core::text_response_for::<Bytes>(&Method::HEAD, StatusCode::NOT_FOUND, "Not Found\n");
/// assert_eq!(res.headers()["content-length"], "10");
/// assert!(res.body().is_empty());
/// ```
pub fn text_response_for<B: From<Bytes>>(
    method: &Method,
    status: StatusCode,
    text: &'static str,
) -> Response<B> {
    let mut res = text_response::<B>(status, text);
    if method == Method::HEAD {
        *res.body_mut() = B::from(Bytes::new());
    }
    res
}
