use http::HeaderValue;
use tower_layer::Layer;

use super::BasicAuth;
use super::header::challenge;
use crate::{AuthError, Authenticator, UserStore};

/// Requires HTTP Basic credentials (RFC 7617) checked against a
/// [`UserStore`], and tells the wrapped app who is calling.
///
/// On success the request reaches the app with
/// [`RemoteUser`](pastry_core::RemoteUser) and [`Roles`](crate::Roles) set,
/// and the app's response carries the same `RemoteUser` in its extensions
/// (unless the app put one there), for layers outside that never see the
/// request passed on, such as an access log.
/// A missing, malformed or wrong `Authorization` header gets a 401 with the
/// challenge `WWW-Authenticate: Basic realm="...", charset="UTF-8"`; a name
/// locked out after repeated failures a 429 with `Retry-After`; an
/// exhausted verification bound a 503; a failing store a 500. Checking is
/// done by an [`Authenticator`] (cache, throttle, dummy hash for unknown
/// names); configure one and pass it to [`new`](Self::new) to change its
/// settings. [`builder`](Self::builder) sets the realm, checked when the
/// layer is built.
///
/// ```
/// use pastry_auth::{Authenticator, BasicAuthLayer, MemoryUserStore, PasswordHasher};
///
/// let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build().unwrap();
/// let layer = BasicAuthLayer::builder(Authenticator::new(MemoryUserStore::new()).hasher(hasher))
///     .realm("Staff \"only\"")
///     .build()
///     .unwrap();
/// # let _ = layer;
/// assert!(BasicAuthLayer::builder(MemoryUserStore::new()).realm("bad\nrealm").build().is_err());
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
            challenge: HeaderValue::from_static(DEFAULT_CHALLENGE),
        }
    }

    /// Starts a layer with settings of its own (the realm); finish with
    /// [`BasicAuthLayerBuilder::build`].
    pub fn builder(auth: impl Into<Authenticator<U>>) -> BasicAuthLayerBuilder<U> {
        BasicAuthLayerBuilder {
            auth: auth.into(),
            realm: DEFAULT_REALM.to_owned(),
        }
    }

    /// The authenticator checking credentials.
    pub fn authenticator(&self) -> &Authenticator<U> {
        &self.auth
    }
}

const DEFAULT_REALM: &str = "Restricted";
const DEFAULT_CHALLENGE: &str = r#"Basic realm="Restricted", charset="UTF-8""#;

/// The settings of a [`BasicAuthLayer`], checked by
/// [`build`](Self::build); made by [`BasicAuthLayer::builder`].
pub struct BasicAuthLayerBuilder<U> {
    auth: Authenticator<U>,
    realm: String,
}

impl<U> Clone for BasicAuthLayerBuilder<U> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
            realm: self.realm.clone(),
        }
    }
}

impl<U> std::fmt::Debug for BasicAuthLayerBuilder<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuthLayerBuilder")
            .field("auth", &self.auth)
            .field("realm", &self.realm)
            .finish()
    }
}

impl<U: UserStore> BasicAuthLayerBuilder<U> {
    /// The realm named in the challenge (default `"Restricted"`); quotes
    /// and backslashes are escaped.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// The layer.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidRealm`] when the realm has control characters.
    pub fn build(self) -> Result<BasicAuthLayer<U>, AuthError> {
        Ok(BasicAuthLayer {
            challenge: challenge(&self.realm)?,
            auth: self.auth,
        })
    }
}

impl<S, U> Layer<S> for BasicAuthLayer<U> {
    type Service = BasicAuth<S, U>;

    fn layer(&self, inner: S) -> Self::Service {
        BasicAuth::new(inner, self.auth.clone(), self.challenge.clone())
    }
}
