use std::convert::Infallible;
use std::future::Future;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{BodyExt, Full, Limited};
use pastry_core::{
    BoxError, CrossOrigin, CrossOriginChecked, CsrfToken, Environ, check_cross_origin, html_escape,
    text_response,
};
use pastry_sessions::{Session, SessionExt};
use tower_service::Service;

use super::{login, safe_next};
use crate::body::{html_response, internal_error, retry_after, see_other};
use crate::{AuthError, Authenticator, User, UserStore};

/// The largest login (or logout) form body read, in bytes; larger bodies
/// get a 413.
pub const MAX_FORM: usize = 16 * 1024;

/// The one message for an unknown user name and a wrong password alike.
const INVALID: &str = "Invalid user name or password.";

/// A ready login page: `GET` renders a minimal form, `POST` (fields
/// `username`, `password`, `next`) checks the credentials with an
/// [`Authenticator`] and logs the user in to the session with [`login`].
///
/// Success is a 303 to `next` when it is a safe local path (see
/// [`safe_next`]), else to the default (`/` below the mount prefix).
/// Failure is a 401 with the form and one message, the same for an unknown
/// user and a wrong password; a lockout is a 429, an exhausted verification
/// bound a 503. Everything echoed is HTML-escaped. A `POST` refused by
/// [`check_cross_origin`](pastry_core::check_cross_origin) (login CSRF) is
/// a 403, unless a cross-origin protection layer (`pastry_origin`'s
/// `CrossOriginLayer`) already passed it by its own rules (trusted
/// origins, exempt paths): then the layer's decision stands. Behind
/// `pastry_origin`'s `CsrfTokenLayer` the form carries the session's
/// synchronizer token (a hidden `csrf_token` field), which that layer
/// checks. Needs a `pastry_sessions::SessionLayer` outside it: without one
/// every request is a 500 with an error-level log naming the fix.
///
/// ```
/// use pastry_auth::{Authenticator, LoginForm, MemoryUserStore};
///
/// let form = LoginForm::builder(Authenticator::new(MemoryUserStore::new()))
///     .default_next("/home")
///     .build()
///     .unwrap();
/// # let _ = form;
/// assert!(LoginForm::builder(MemoryUserStore::new()).default_next("//evil.example").build().is_err());
/// ```
pub struct LoginForm<U> {
    auth: Authenticator<U>,
    default_next: String,
}

impl<U> Clone for LoginForm<U> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
            default_next: self.default_next.clone(),
        }
    }
}

impl<U> std::fmt::Debug for LoginForm<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("auth", &self.auth)
            .field("default_next", &self.default_next)
            .finish()
    }
}

impl<U: UserStore> LoginForm<U> {
    /// A login page checking credentials with `auth` (a store or a
    /// configured [`Authenticator`]).
    pub fn new(auth: impl Into<Authenticator<U>>) -> Self {
        Self {
            auth: auth.into(),
            default_next: "/".to_owned(),
        }
    }

    /// Starts a login page with settings of its own (where to go after
    /// logging in); finish with [`LoginFormBuilder::build`].
    pub fn builder(auth: impl Into<Authenticator<U>>) -> LoginFormBuilder<U> {
        LoginFormBuilder {
            auth: auth.into(),
            default_next: "/".to_owned(),
        }
    }
}

/// The settings of a [`LoginForm`], checked by [`build`](Self::build);
/// made by [`LoginForm::builder`].
pub struct LoginFormBuilder<U> {
    auth: Authenticator<U>,
    default_next: String,
}

impl<U> Clone for LoginFormBuilder<U> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
            default_next: self.default_next.clone(),
        }
    }
}

impl<U> std::fmt::Debug for LoginFormBuilder<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginFormBuilder")
            .field("auth", &self.auth)
            .field("default_next", &self.default_next)
            .finish()
    }
}

impl<U: UserStore> LoginFormBuilder<U> {
    /// Where to go after logging in when the form carries no usable `next`:
    /// a path below the mount prefix (default `/`).
    pub fn default_next(mut self, path: impl Into<String>) -> Self {
        self.default_next = path.into();
        self
    }

    /// The login page.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidPath`] when the default `next` is not a local
    /// path (see [`safe_next`]).
    pub fn build(self) -> Result<LoginForm<U>, AuthError> {
        Ok(LoginForm {
            auth: self.auth,
            default_next: local_path(self.default_next)?,
        })
    }
}

/// `path` when it is a local path to redirect to, else
/// [`AuthError::InvalidPath`].
pub(crate) fn local_path(path: String) -> Result<String, AuthError> {
    if safe_next(&path).is_none() {
        return Err(AuthError::InvalidPath(path));
    }
    Ok(path)
}

/// The answer when a service that needs a session finds none: a 500 and an
/// error-level log naming the fix.
pub(crate) fn no_session<B>(service: &str, req: &Request<B>) -> Response<Bytes> {
    tracing::error!(
        target: "pastry_auth",
        service,
        method = %req.method(),
        path = %req.uri().path(),
        fix = "ServiceBuilder::new().layer(SessionLayer::new(store)) outside it",
        "no session on the request: this service needs SessionLayer outside it"
    );
    internal_error()
}

/// The 403 for a cross-origin request, by the rules of the cross-origin
/// layer outside (when one marked the request with [`CrossOriginChecked`],
/// it passed them) or else by [`check_cross_origin`].
pub(crate) fn refuse_cross_origin<B>(req: &Request<B>) -> Option<Response<Bytes>> {
    if req.extensions().get::<CrossOriginChecked>().is_some() {
        return None;
    }
    check_cross_origin(req.method(), req.uri(), req.headers())
        .err()
        .map(|refused| cross_origin_refused(req, refused))
}

/// The 403 for a request [`check_cross_origin`] refused.
pub(crate) fn cross_origin_refused<B>(req: &Request<B>, why: CrossOrigin) -> Response<Bytes> {
    tracing::info!(
        target: "pastry_auth",
        method = %req.method(),
        path = %req.uri().path(),
        reason = %why,
        "cross-origin request refused"
    );
    text_response(
        StatusCode::FORBIDDEN,
        "403 Forbidden: cross-origin request\n",
    )
}

/// Reads a form body of at most [`MAX_FORM`] bytes; the refusal is a 413
/// past it, a 400 when the body fails.
pub(crate) async fn read_form<B>(body: B) -> Result<Bytes, Response<Bytes>>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    match Limited::new(body, MAX_FORM).collect().await {
        Ok(body) => Ok(body.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(text_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "413 Payload Too Large\n",
        )),
        Err(_) => Err(text_response(StatusCode::BAD_REQUEST, "400 Bad Request\n")),
    }
}

/// The 405 for a method the service does not take, naming those it does.
pub(crate) fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut response = text_response(StatusCode::METHOD_NOT_ALLOWED, "405 Method Not Allowed\n");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// The call of a service that needs a session ([`LoginForm`],
/// [`Logout`](crate::Logout)): without one, the logged 500 of
/// [`no_session`]; else what `answer` makes of the request.
pub(crate) fn with_session<B, F>(
    service: &'static str,
    req: Request<B>,
    answer: impl FnOnce(Request<B>) -> F + Send + 'static,
) -> BoxFuture<'static, Result<Response<Full<Bytes>>, Infallible>>
where
    B: Send + 'static,
    F: Future<Output = Response<Bytes>> + Send + 'static,
{
    Box::pin(async move {
        if req.session().is_none() {
            return Ok(no_session(service, &req).map(Full::new));
        }
        Ok(answer(req).await.map(Full::new))
    })
}

struct Page<'a> {
    next: &'a str,
    username: &'a str,
    message: Option<&'a str>,
    token: Option<&'a CsrfToken>,
}

fn render(page: &Page<'_>) -> String {
    let message = page
        .message
        .map(|m| format!("<p role=\"alert\">{}</p>\n", html_escape(m)))
        .unwrap_or_default();
    let token = page
        .token
        .map(|token| format!("{}\n", token.hidden_input()))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Log in</title></head>\n<body>\n<main>\n<h1>Log in</h1>\n{message}<form method=\"post\">\n<input type=\"hidden\" name=\"next\" value=\"{next}\">\n{token}<p><label>User name <input name=\"username\" value=\"{username}\" autocomplete=\"username\" required autofocus></label></p>\n<p><label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p>\n<p><button type=\"submit\">Log in</button></p>\n</form>\n</main>\n</body>\n</html>\n",
        next = html_escape(page.next),
        username = html_escape(page.username),
    )
}

fn form_response(status: StatusCode, page: &Page<'_>) -> Response<Bytes> {
    let mut response = html_response(status, render(page));
    response
        .headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub(crate) fn query_next(query: Option<&str>) -> String {
    query
        .into_iter()
        .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
        .filter(|next| safe_next(next).is_some())
        .unwrap_or_default()
}

pub(crate) fn is_form(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

impl<U, B> Service<Request<B>> for LoginForm<U>
where
    U: UserStore,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let this = self.clone();
        with_session("LoginForm", req, |req| async move {
            match *req.method() {
                Method::GET | Method::HEAD => {
                    let next = query_next(req.uri().query());
                    let mut response = form_response(
                        StatusCode::OK,
                        &Page {
                            next: &next,
                            username: "",
                            message: None,
                            token: req.extensions().get::<CsrfToken>(),
                        },
                    );
                    if req.method() == Method::HEAD {
                        *response.body_mut() = Bytes::new();
                    }
                    response
                }
                Method::POST => this.post(req).await,
                _ => method_not_allowed("GET, HEAD, POST"),
            }
        })
    }
}

impl<U: UserStore> LoginForm<U> {
    async fn post<B>(&self, req: Request<B>) -> Response<Bytes>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        if let Some(refused) = refuse_post(&req) {
            return refused;
        }
        let Some(session) = req.session().cloned() else {
            return no_session("LoginForm", &req);
        };
        let client = req.client_addr().map(|addr| addr.ip());
        let token = req.extensions().get::<CsrfToken>().cloned();
        let default_next = req.url_for(&self.default_next);
        let fields = match read_form(req.into_body()).await {
            Ok(body) => LoginFields::parse(&body),
            Err(refused) => return refused,
        };
        let checked = self
            .auth
            .authenticate(&fields.username, &fields.password, client)
            .await;
        match checked {
            Ok(user) => {
                let target = if fields.next.is_empty() {
                    default_next
                } else {
                    fields.next
                };
                logged_in(&session, &user, target).await
            }
            Err(err) => login_refused(err, &fields, token.as_ref()),
        }
    }
}

/// The refusal of a login `POST` that is not a form (415) or comes from
/// another origin (403), before its body is read.
fn refuse_post<B>(req: &Request<B>) -> Option<Response<Bytes>> {
    if !is_form(req.headers()) {
        return Some(text_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "415 Unsupported Media Type\n",
        ));
    }
    refuse_cross_origin(req)
}

/// The fields of a login form; `next` is empty unless it is a safe local
/// path.
struct LoginFields {
    username: String,
    password: String,
    next: String,
}

impl LoginFields {
    fn parse(body: &[u8]) -> Self {
        let (mut username, mut password, mut next) = (String::new(), String::new(), String::new());
        for (key, value) in form_urlencoded::parse(body) {
            match &*key {
                "username" => username = value.into_owned(),
                "password" => password = value.into_owned(),
                "next" => next = value.into_owned(),
                _ => {}
            }
        }
        if safe_next(&next).is_none() {
            next.clear();
        }
        Self {
            username,
            password,
            next,
        }
    }

    /// The form again, with what was typed (but the password) and `message`.
    fn page<'a>(&'a self, message: &'a str, token: Option<&'a CsrfToken>) -> Page<'a> {
        Page {
            next: &self.next,
            username: &self.username,
            message: Some(message),
            token,
        }
    }
}

/// Logs `user` in to `session` and sends them on to `target`.
async fn logged_in(session: &Session, user: &User, target: String) -> Response<Bytes> {
    if let Err(err) = login(session, user).await {
        tracing::error!(target: "pastry_auth", error = %err, "storing the login in the session failed");
        return internal_error();
    }
    see_other(target).unwrap_or_else(internal_error)
}

/// The answer to a failed login: the form with one message (401 for wrong
/// credentials, 429 or 503 with `Retry-After`), or a logged 500.
fn login_refused(
    err: AuthError,
    fields: &LoginFields,
    token: Option<&CsrfToken>,
) -> Response<Bytes> {
    let (status, message, after) = match err {
        AuthError::InvalidCredentials => (StatusCode::UNAUTHORIZED, INVALID, None),
        AuthError::LockedOut { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts. Try again later.",
            Some(retry_after),
        ),
        AuthError::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is busy. Try again in a moment.",
            Some(std::time::Duration::from_secs(1)),
        ),
        err => {
            tracing::error!(target: "pastry_auth", error = %err, "login failed");
            return internal_error();
        }
    };
    let mut response = form_response(status, &fields.page(message, token));
    if let Some(after) = after {
        retry_after(&mut response, after);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_escapes_everything_echoed() {
        let html = render(&Page {
            next: "/a\"><script>",
            username: "<b>'x'</b>",
            message: Some("<i>"),
            token: None,
        });
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<i>"));
        assert!(html.contains("&lt;b&gt;&#39;x&#39;&lt;/b&gt;"));
    }

    #[test]
    fn page_carries_the_csrf_token_when_given() {
        let page = |token| {
            render(&Page {
                next: "",
                username: "",
                message: None,
                token,
            })
        };
        let token = CsrfToken::new("t\"k");
        assert!(
            page(Some(&token))
                .contains(r#"<input type="hidden" name="csrf_token" value="t&quot;k">"#)
        );
        assert!(!page(None).contains("csrf_token"));
    }

    #[test]
    fn unsafe_next_in_query_is_dropped() {
        assert_eq!(query_next(Some("next=%2Fadmin%3Fx%3D1")), "/admin?x=1");
        assert_eq!(query_next(Some("next=%2F%2Fevil.example")), "");
        assert_eq!(query_next(Some("a=b")), "");
        assert_eq!(query_next(None), "");
    }
}
