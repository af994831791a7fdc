//! The response body of the auth services: the inner app's, or a short
//! page of their own.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body::{Body, Frame, SizeHint};
use pastry_core::text_response;
use pin_project_lite::pin_project;

pin_project! {
    /// The body of a response from an auth service: the wrapped app's body,
    /// or a small page the middleware wrote itself (a 401, 403, 303 …).
    pub struct AuthBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Full { data: Option<Bytes> },
    }
}

impl<B> AuthBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn full(data: Bytes) -> Self {
        Self {
            kind: Kind::Full {
                data: (!data.is_empty()).then_some(data),
            },
        }
    }
}

impl<B> std::fmt::Debug for AuthBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Inner { .. } => f.write_str("AuthBody::Inner"),
            Kind::Full { data } => f.debug_tuple("AuthBody::Full").field(data).finish(),
        }
    }
}

impl<B> Body for AuthBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Full { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Full { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}

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
