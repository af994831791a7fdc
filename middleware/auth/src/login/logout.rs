use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Method, Request, Response};
use http_body::Body;
use http_body_util::Full;
use pastry_core::{BoxError, Environ};
use pastry_sessions::SessionExt;
use tower_service::Service;

use super::form::{
    is_form, local_path, method_not_allowed, no_session, query_next, read_form,
    refuse_cross_origin, with_session,
};
use super::{logout_keeping, safe_next};
use crate::AuthError;
use crate::body::{internal_error, see_other};

/// A ready logout endpoint, beside [`LoginForm`](crate::LoginForm): a
/// `POST` logs the user out with [`logout_keeping`] (the whole session is
/// cleared, except the keys named with [`keep`](Self::keep)) and answers a
/// 303 to `next` (from the form body or the query) when it is a safe local
/// path (see [`safe_next`]), else to the default (`/` below the mount
/// prefix).
///
/// Other methods get a 405 with `Allow: POST` (a link or an image must not
/// log anyone out), and a `POST` refused by
/// [`check_cross_origin`](pastry_core::check_cross_origin) (another site
/// posting a form) a 403, unless a cross-origin protection layer outside
/// (`pastry_origin`'s `CrossOriginLayer`) already passed it by its own
/// rules. Needs a `pastry_sessions::SessionLayer` outside
/// it: without one, a 500 with an error-level log naming the fix.
///
/// ```
/// use http::Request;
/// use pastry_auth::Logout;
/// use pastry_sessions::{MemoryStore, SessionLayer};
/// use tower::{ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let logout = ServiceBuilder::new()
///     .layer(SessionLayer::new(MemoryStore::new()))
///     .service(Logout::builder().default_next("/bye").keep(["lang"]).build()?);
///
/// let res = logout.clone().oneshot(Request::post("/logout").body(String::new())?).await?;
/// assert_eq!(res.status(), 303);
/// assert_eq!(res.headers()["location"], "/bye");
///
/// let res = logout.oneshot(Request::get("/logout").body(String::new())?).await?;
/// assert_eq!(res.status(), 405);
/// assert_eq!(res.headers()["allow"], "POST");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Logout {
    default_next: String,
    keep: Arc<[String]>,
}

impl Default for Logout {
    fn default() -> Self {
        Self::new()
    }
}

impl Logout {
    /// Logs out, clears the whole session and goes to `/`.
    pub fn new() -> Self {
        Self {
            default_next: "/".to_owned(),
            keep: Arc::from(Vec::new()),
        }
    }

    /// Starts a logout endpoint with settings of its own; finish with
    /// [`LogoutBuilder::build`].
    pub fn builder() -> LogoutBuilder {
        LogoutBuilder {
            default_next: "/".to_owned(),
            keep: Vec::new(),
        }
    }

    /// Session keys that survive the logout (moved to the new session).
    pub fn keep<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        self.keep = keys.into_iter().map(|k| k.as_ref().to_owned()).collect();
        self
    }

    async fn post<B>(&self, req: Request<B>) -> Response<Bytes>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        if let Some(refused) = refuse_cross_origin(&req) {
            return refused;
        }
        let Some(session) = req.session().cloned() else {
            return no_session("Logout", &req);
        };
        let mut next = query_next(req.uri().query());
        let default_next = req.url_for(&self.default_next);
        if is_form(req.headers()) {
            let body = match read_form(req.into_body()).await {
                Ok(body) => body,
                Err(refused) => return refused,
            };
            if let Some((_, value)) = form_urlencoded::parse(&body).find(|(key, _)| key == "next")
                && safe_next(&value).is_some()
            {
                next = value.into_owned();
            }
        }
        if let Err(err) = logout_keeping(&session, self.keep.iter()).await {
            tracing::error!(target: "pastry_auth", error = %err, "logging out failed");
            return internal_error();
        }
        let target = if next.is_empty() { default_next } else { next };
        see_other(target).unwrap_or_else(internal_error)
    }
}

/// The settings of a [`Logout`], checked by [`build`](Self::build); made
/// by [`Logout::builder`].
#[derive(Clone, Debug)]
pub struct LogoutBuilder {
    default_next: String,
    keep: Vec<String>,
}

impl LogoutBuilder {
    /// Where to go when the request carries no usable `next`: a path below
    /// the mount prefix (default `/`).
    pub fn default_next(mut self, path: impl Into<String>) -> Self {
        self.default_next = path.into();
        self
    }

    /// Session keys that survive the logout (moved to the new session).
    pub fn keep<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        self.keep = keys.into_iter().map(|k| k.as_ref().to_owned()).collect();
        self
    }

    /// The logout endpoint.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidPath`] when the default `next` is not a local
    /// path (see [`safe_next`]).
    pub fn build(self) -> Result<Logout, AuthError> {
        Ok(Logout {
            default_next: local_path(self.default_next)?,
            keep: self.keep.into(),
        })
    }
}

impl<B> Service<Request<B>> for Logout
where
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
        with_session("Logout", req, |req| async move {
            if req.method() == Method::POST {
                this.post(req).await
            } else {
                method_not_allowed("POST")
            }
        })
    }
}
