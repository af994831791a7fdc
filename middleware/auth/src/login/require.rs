use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use pastry_core::header::media_quality;
use pastry_core::{App, Environ, OriginalUri, is_upgrade, text_response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tower_layer::Layer;
use tower_service::Service;

use crate::body::{AuthBody, internal_error, see_other};
use crate::future::ResponseFuture;
use crate::{AuthChecked, AuthError, RolesExt};

/// Whether an auth layer ran before: a [`RemoteUser`](pastry_core::RemoteUser)
/// or an [`AuthChecked`] marker is on the request. When neither is, the
/// guard named `guard` logs an error naming the fix and the caller
/// answers 500.
pub(crate) fn auth_layer_ran<B>(req: &Request<B>, guard: &str) -> bool {
    if req.remote_user().is_some() || req.extensions().get::<AuthChecked>().is_some() {
        return true;
    }
    tracing::error!(
        target: "pastry_auth",
        guard,
        method = %req.method(),
        path = %req.uri().path(),
        fix = "ServiceBuilder::new().layer(SessionLayer::new(store)).layer(SessionAuthLayer::new(users)) outside the guard",
        "no auth layer ran before this guard: put SessionAuthLayer (or BasicAuthLayer) outside it, so every request reaches it with RemoteUser or AuthChecked set"
    );
    false
}

/// What `next=` values keep unescaped: path and query characters that need
/// no escaping inside a query value.
const NEXT_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Sends anonymous requests to the login page.
///
/// Goes inside an auth layer ([`SessionAuthLayer`](crate::SessionAuthLayer)
/// or [`BasicAuthLayer`](crate::BasicAuthLayer)): a request that reaches it
/// with neither [`RemoteUser`](pastry_core::RemoteUser) nor
/// [`AuthChecked`](crate::AuthChecked) means no auth layer ran (a wrong
/// layer order), and gets a 500 with an error-level log naming the fix.
///
/// An anonymous request (the auth layer ran and found nobody) gets, when it prefers JSON
/// over HTML (`Accept`), a 401 with a JSON error; otherwise a 303 to the
/// login path joined onto the request's `ScriptName` (so it works under a
/// mount prefix), with `next=` the path the client asked for.
///
/// An anonymous upgrade request (a WebSocket handshake over HTTP/1.1, or an
/// HTTP/2 extended `CONNECT`; see [`pastry_core::is_upgrade`]) gets a 401
/// instead of the redirect, in plain text (or the JSON error, when it
/// prefers JSON): a WebSocket client does not follow redirects, so a 303
/// would only fail the handshake with a misleading status, while a 401
/// tells the page's script (which sees the socket close, and the server's
/// log) that the user must log in first. The page itself, a plain `GET`,
/// still redirects.
///
/// ```
/// use pastry_auth::RequireLoginLayer;
///
/// let layer = RequireLoginLayer::new("/login").unwrap();
/// # let _ = layer;
/// assert!(RequireLoginLayer::new("https://evil.example/login").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct RequireLoginLayer {
    login_path: String,
}

impl RequireLoginLayer {
    /// Redirects to `login_path`, a path below the app's mount prefix
    /// (`/login`); anything but a local path is [`AuthError::InvalidPath`].
    pub fn new(login_path: &str) -> Result<Self, AuthError> {
        if super::safe_next(login_path).is_none() {
            return Err(AuthError::InvalidPath(login_path.to_owned()));
        }
        Ok(Self {
            login_path: login_path.to_owned(),
        })
    }
}

impl<S> Layer<S> for RequireLoginLayer {
    type Service = RequireLogin<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireLogin {
            inner,
            login_path: self.login_path.clone(),
        }
    }
}

/// The service made by [`RequireLoginLayer`].
#[derive(Clone, Debug)]
pub struct RequireLogin<S> {
    inner: S,
    login_path: String,
}

impl<S> RequireLogin<S> {
    pastry_core::inner_accessors!(S);
}

/// Whether the client prefers JSON to HTML.
fn prefers_json(headers: &http::HeaderMap) -> bool {
    let accept = headers.get_all(header::ACCEPT);
    let json = media_quality(accept.iter(), "application/json").map_or(0, |q| q.thousandths());
    let html = media_quality(accept.iter(), "text/html").map_or(0, |q| q.thousandths());
    json > html
}

/// The path and query the client asked for, from the site root.
fn requested<B>(req: &Request<B>) -> String {
    if let Some(original) = req.extensions().get::<OriginalUri>() {
        return original
            .0
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
    }
    let mut path = req.url_for(req.uri().path());
    if let Some(query) = req.uri().query() {
        path.push('?');
        path.push_str(query);
    }
    path
}

fn login_redirect<B>(req: &Request<B>, login_path: &str) -> Response<Bytes> {
    let next = requested(req);
    let mut location = req.url_for(login_path);
    location.push(if location.contains('?') { '&' } else { '?' });
    location.push_str("next=");
    location.extend(utf8_percent_encode(&next, NEXT_VALUE));
    see_other(location).unwrap_or_else(|| {
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        response
    })
}

/// The answer to an anonymous upgrade request: 401, no redirect.
fn upgrade_unauthorized() -> Response<Bytes> {
    text_response(
        StatusCode::UNAUTHORIZED,
        "401 Unauthorized: log in before opening this connection\n",
    )
}

fn json_unauthorized() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(b"{\"error\":\"login required\"}"));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

impl<S, B> Service<Request<B>> for RequireLogin<S>
where
    S: App<B>,
{
    type Response = Response<AuthBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        if req.remote_user().is_some() {
            return ResponseFuture::inner(self.inner.call(req));
        }
        if !auth_layer_ran(&req, "RequireLoginLayer") {
            return ResponseFuture::answer(internal_error());
        }
        tracing::debug!(target: "pastry_auth", method = %req.method(), path = %req.uri().path(), "login required");
        if prefers_json(req.headers()) {
            ResponseFuture::answer(json_unauthorized())
        } else if is_upgrade(req.method(), req.headers()) {
            ResponseFuture::answer(upgrade_unauthorized())
        } else {
            ResponseFuture::answer(login_redirect(&req, &self.login_path))
        }
    }
}

/// Lets through only users with a role: others get 403 (anonymous
/// requests too; put [`RequireLoginLayer`] outside it to send those to the
/// login page instead). Like [`RequireLoginLayer`], it answers a logged
/// 500 when no auth layer ran before it.
///
/// ```
/// use pastry_auth::{RequireLoginLayer, RequireRoleLayer};
/// use tower::ServiceBuilder;
///
/// let admin_only = ServiceBuilder::new()
///     .layer(RequireLoginLayer::new("/login").unwrap())
///     .layer(RequireRoleLayer::new("admin"));
/// # let _ = admin_only;
/// ```
#[derive(Clone, Debug)]
pub struct RequireRoleLayer {
    role: String,
}

impl RequireRoleLayer {
    /// Requires `role`.
    pub fn new(role: impl Into<String>) -> Self {
        Self { role: role.into() }
    }
}

impl<S> Layer<S> for RequireRoleLayer {
    type Service = RequireRole<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireRole {
            inner,
            role: self.role.clone(),
        }
    }
}

/// The service made by [`RequireRoleLayer`].
#[derive(Clone, Debug)]
pub struct RequireRole<S> {
    inner: S,
    role: String,
}

impl<S> RequireRole<S> {
    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for RequireRole<S>
where
    S: App<B>,
{
    type Response = Response<AuthBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        if req.remote_user().is_some() && req.has_role(&self.role) {
            return ResponseFuture::inner(self.inner.call(req));
        }
        if !auth_layer_ran(&req, "RequireRoleLayer") {
            return ResponseFuture::answer(internal_error());
        }
        tracing::info!(
            target: "pastry_auth",
            user = req.remote_user().unwrap_or("-"),
            role = %self.role,
            path = %req.uri().path(),
            "forbidden: role missing"
        );
        ResponseFuture::answer(text_response(StatusCode::FORBIDDEN, "403 Forbidden\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pastry_core::ScriptName;

    #[test]
    fn json_preference_needs_json_above_html() {
        let mut headers = http::HeaderMap::new();
        assert!(!prefers_json(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(prefers_json(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/json;q=0.9"),
        );
        assert!(!prefers_json(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(!prefers_json(&headers));
    }

    #[test]
    fn redirect_keeps_prefix_and_escapes_next() {
        let mut req = Request::get("/posts?id=1&x=a b".replace(' ', "%20"))
            .body(())
            .unwrap();
        req.extensions_mut().insert(ScriptName::new("/blog"));
        let res = login_redirect(&req, "/login");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()[header::LOCATION],
            "/blog/login?next=/blog/posts%3Fid%3D1%26x%3Da%2520b"
        );
    }
}
