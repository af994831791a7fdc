use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use pastry_core::RemoteUser;
use pastry_sessions::SessionExt;
use subtle::ConstantTimeEq;
use tower_layer::Layer;
use tower_service::Service;

use super::{FINGERPRINT_KEY, USER_KEY, fingerprint};
use crate::UserStore;
use crate::body::{AuthBody, internal_error};
use crate::future::ResponseFuture;

/// Reads the logged-in user from the session on every request and sets
/// [`RemoteUser`] and [`Roles`](crate::Roles) for the wrapped app.
///
/// Goes inside a `pastry_sessions::SessionLayer`. A session whose stored
/// password fingerprint no longer matches the user's hash (the password
/// changed) or whose user is gone counts as logged out, and its auth keys
/// are removed. Requests without a session, or with nobody logged in, pass
/// through unchanged; a failing session or user store is a logged 500.
///
/// ```
/// use pastry_auth::{MemoryUsers, SessionAuthLayer};
/// use pastry_sessions::{MemoryStore, SessionLayer};
/// use tower::ServiceBuilder;
///
/// let users = MemoryUsers::new();
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
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, U, B, R> Service<Request<B>> for SessionAuth<S, U>
where
    S: Service<Request<B>, Response = Response<R>> + Clone,
    U: UserStore,
    B: Send + 'static,
{
    type Response = Response<AuthBody<R>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let Some(session) = req.session().cloned() else {
            tracing::debug!(target: "pastry_auth", "no session on the request; is SessionLayer outside SessionAuthLayer?");
            return ResponseFuture::inner(self.inner.call(req));
        };
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let users = Arc::clone(&self.users);
        let check = Box::pin(async move {
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
            let valid = user.filter(|user| {
                stored.as_deref().is_some_and(|stored| {
                    bool::from(
                        stored
                            .as_bytes()
                            .ct_eq(fingerprint(user.password_hash()).as_bytes()),
                    )
                })
            });
            match valid {
                Some(user) => {
                    req.extensions_mut().insert(RemoteUser::new(user.name()));
                    req.extensions_mut().insert(user.role_list().clone());
                }
                None => {
                    tracing::info!(target: "pastry_auth", user = %name, "session login no longer valid (password changed or user removed)");
                    let _ = session.remove(USER_KEY).await;
                    let _ = session.remove(FINGERPRINT_KEY).await;
                }
            }
            Ok(req)
        });
        ResponseFuture::checking(check, inner)
    }
}
