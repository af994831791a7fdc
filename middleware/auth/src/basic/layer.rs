use http::HeaderValue;
use tower_layer::Layer;

use super::BasicAuth;
use super::header::challenge;
use crate::{AuthError, Authenticator, UserStore};

/// Requires HTTP Basic credentials (RFC 7617) checked against a
/// [`UserStore`], and tells the wrapped app who is calling.
///
/// On success the request reaches the app with
/// [`RemoteUser`](pastry_core::RemoteUser) and [`Roles`](crate::Roles) set.
/// A missing, malformed or wrong `Authorization` header gets a 401 with the
/// challenge `WWW-Authenticate: Basic realm="...", charset="UTF-8"`; a name
/// locked out after repeated failures a 429 with `Retry-After`; an
/// exhausted verification bound a 503; a failing store a 500. Checking is
/// done by an [`Authenticator`] (cache, throttle, dummy hash for unknown
/// names); configure one and pass it to [`new`](Self::new) to change its
/// settings.
///
/// ```
/// use pastry_auth::{Authenticator, BasicAuthLayer, MemoryUserStore, PasswordHasher};
///
/// let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build().unwrap();
/// let layer = BasicAuthLayer::new(Authenticator::new(MemoryUserStore::new()).hasher(hasher))
///     .realm("Staff \"only\"")
///     .unwrap();
/// # let _ = layer;
/// assert!(BasicAuthLayer::new(MemoryUserStore::new()).realm("bad\nrealm").is_err());
/// ```
pub struct BasicAuthLayer<U> {
    auth: Authenticator<U>,
    challenge: HeaderValue,
}

impl<U> Clone for BasicAuthLayer<U> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
            challenge: self.challenge.clone(),
        }
    }
}

impl<U> std::fmt::Debug for BasicAuthLayer<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuthLayer")
            .field("auth", &self.auth)
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl<U: UserStore> BasicAuthLayer<U> {
    /// Basic auth against a store (default [`Authenticator`] settings) or a
    /// configured [`Authenticator`], with the realm `"Restricted"`.
    pub fn new(auth: impl Into<Authenticator<U>>) -> Self {
        Self {
            auth: auth.into(),
            challenge: HeaderValue::from_static(r#"Basic realm="Restricted", charset="UTF-8""#),
        }
    }

    /// The realm named in the challenge; quotes and backslashes are escaped,
    /// control characters are an [`AuthError::InvalidRealm`].
    pub fn realm(mut self, realm: &str) -> Result<Self, AuthError> {
        self.challenge = challenge(realm)?;
        Ok(self)
    }

    /// The authenticator checking credentials.
    pub fn authenticator(&self) -> &Authenticator<U> {
        &self.auth
    }
}

impl<S, U> Layer<S> for BasicAuthLayer<U> {
    type Service = BasicAuth<S, U>;

    fn layer(&self, inner: S) -> Self::Service {
        BasicAuth::new(inner, self.auth.clone(), self.challenge.clone())
    }
}
