use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use pastry_core::App;
use pastry_sessions::{Session, SessionExt};
use subtle::ConstantTimeEq;
use tower_layer::Layer;
use tower_service::Service;

use super::AuthChecked;
use super::session::{FINGERPRINT_KEY, USER_KEY, binding};
use crate::UserStore;
use crate::body::{AuthBody, internal_error};
use crate::future::{ResponseFuture, admit};

/// Reads the logged-in user from the session on every request and sets
/// [`RemoteUser`](pastry_core::RemoteUser) and [`Roles`](crate::Roles) for the wrapped app.
/// The response to a logged-in user's request carries the same
/// `RemoteUser` in its extensions (unless the app put one there), for
/// layers outside that never see the request passed on, such as an access
/// log.
///
/// Goes inside a `pastry_sessions::SessionLayer` (the `SessionLayer` is
/// added to the `ServiceBuilder` first). A session whose stored binding no
/// longer matches the user (the password hash or the
/// [credential version](crate::UserBuilder::credential_version) changed) or whose
/// user is gone counts as logged out, its auth keys are removed, and the
/// reason is logged at info level (warn for a changed hash, with the hint
/// for users built in code). Requests with nobody logged in pass through
/// with [`AuthChecked`](crate::AuthChecked) set; a failing session or user
/// store is a logged 500, and so is a request without a session (the
/// layers are in the wrong order), with an error-level log naming the fix.
///
/// ```
/// use pastry_auth::{MemoryUserStore, SessionAuthLayer};
/// use pastry_sessions::{MemoryStore, SessionLayer};
/// use tower::ServiceBuilder;
///
/// let users = MemoryUserStore::new();
/// let stack = ServiceBuilder::new()
///     .layer(SessionLayer::new(MemoryStore::new()))
///     .layer(SessionAuthLayer::new(users));
/// # let _ = stack;
/// ```
pub struct SessionAuthLayer<U> {
    users: Arc<U>,
}

impl<U> Clone for SessionAuthLayer<U> {
    fn clone(&self) -> Self {
        Self {
            users: Arc::clone(&self.users),
        }
    }
}

impl<U> std::fmt::Debug for SessionAuthLayer<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionAuthLayer").finish_non_exhaustive()
    }
}

impl<U: UserStore> SessionAuthLayer<U> {
    /// Looks logged-in users up in `users`.
    pub fn new(users: U) -> Self {
        Self {
            users: Arc::new(users),
        }
    }
}

impl<S, U> Layer<S> for SessionAuthLayer<U> {
    type Service = SessionAuth<S, U>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionAuth {
            inner,
            users: Arc::clone(&self.users),
        }
    }
}

const HASH_CHANGED: &str = "password hash changed since login";

/// Why a stored binding does not match the user's current one.
fn mismatch_reason(stored: &str, has_version: bool) -> &'static str {
    match (stored.starts_with("v:"), has_version) {
        (true, true) => "credential version changed since login",
        (true, false) => "credential version removed since login",
        (false, true) => "credential version set since login",
        (false, false) => HASH_CHANGED,
    }
}

/// The service made by [`SessionAuthLayer`].
pub struct SessionAuth<S, U> {
    inner: S,
    users: Arc<U>,
}

impl<S: Clone, U> Clone for SessionAuth<S, U> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            users: Arc::clone(&self.users),
        }
    }
}

impl<S: std::fmt::Debug, U> std::fmt::Debug for SessionAuth<S, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, U> SessionAuth<S, U> {
    pastry_core::inner_accessors!(S);
}

impl<S, U, B> Service<Request<B>> for SessionAuth<S, U>
where
    S: App<B> + Clone,
    U: UserStore,
    B: Send + 'static,
{
    type Response = Response<AuthBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let Some(session) = req.session().cloned() else {
            tracing::error!(
                target: "pastry_auth",
                method = %req.method(),
                path = %req.uri().path(),
                fix = "ServiceBuilder::new().layer(SessionLayer::new(store)).layer(SessionAuthLayer::new(users))",
                "SessionAuthLayer found no session on the request: it needs SessionLayer outside it; add SessionLayer to the ServiceBuilder before SessionAuthLayer"
            );
            return ResponseFuture::answer(internal_error());
        };
        req.extensions_mut().insert(AuthChecked);
        let users = Arc::clone(&self.users);
        ResponseFuture::check_then_call(&mut self.inner, session_login(session, users, req))
    }
}

/// Who the session says is logged in: the request with the user admitted,
/// or with the stale login keys removed; a logged 500 when the session or
/// the user store fails.
///
/// An `async` block rather than an `async fn`, which keeps its arguments
/// twice in its state (rust-lang/rust#62958) and would make the box this
/// check lives in, one per request, a third larger.
#[expect(clippy::manual_async_fn, reason = "rust-lang/rust#62958, above")]
fn session_login<U: UserStore, B: Send + 'static>(
    session: Session,
    users: Arc<U>,
    req: Request<B>,
) -> impl Future<Output = Result<Request<B>, Response<Bytes>>> + Send + 'static {
    async move {
        let name: Option<String> = match session.get(USER_KEY).await {
            Ok(name) => name,
            Err(err) => {
                tracing::error!(target: "pastry_auth", error = %err, "reading the session failed");
                return Err(internal_error());
            }
        };
        let Some(name) = name else {
            return Ok(req);
        };
        let stored: Option<String> = session.get(FINGERPRINT_KEY).await.unwrap_or(None);
        let user = match users.find(&name).await {
            Ok(user) => user,
            Err(err) => {
                tracing::error!(target: "pastry_auth", error = %err, "user store failed");
                return Err(internal_error());
            }
        };
        let reason = match (user, stored.as_deref()) {
            (None, _) => "user removed",
            (Some(_), None) => "no credential binding in the session",
            (Some(user), Some(stored)) => {
                if bool::from(stored.as_bytes().ct_eq(binding(&user).as_bytes())) {
                    return Ok(admit(req, &user));
                }
                mismatch_reason(stored, user.credential_version().is_some())
            }
        };
        log_stale_login(&name, reason);
        // Boxed: the removes' futures would otherwise size every request's
        // check for a path few requests take.
        Box::pin(forget_login(session)).await;
        Ok(req)
    }
}

/// Removes a login that no longer counts from the session.
async fn forget_login(session: Session) {
    let _ = session.remove(USER_KEY).await;
    let _ = session.remove(FINGERPRINT_KEY).await;
}

/// Logs why a session login stopped counting: at warn level, with the fix,
/// for a changed hash; at info level otherwise.
fn log_stale_login(name: &str, reason: &'static str) {
    if reason == HASH_CHANGED {
        tracing::warn!(
            target: "pastry_auth",
            user = %name,
            reason,
            hint = "users built in code with hash_blocking get a new salt in every process: give them a credential version with User::builder(name, hash).credential_version(n), read back by User::credential_version",
            "session login no longer valid: logged out"
        );
    } else {
        tracing::info!(target: "pastry_auth", user = %name, reason, "session login no longer valid: logged out");
    }
}
