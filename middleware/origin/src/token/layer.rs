//! [`CsrfTokenLayer`]: collects the settings and builds the service.

use std::sync::Arc;

use tower_layer::Layer;

use super::config::{DEFAULT_MAX_FORM, TokenConfig};
use super::service::CsrfTokenCheck;
use crate::OriginError;
use crate::config::ExemptPaths;

/// Requires a synchronizer token on unsafe requests, for apps that must
/// protect clients that send neither `Sec-Fetch-Site` nor `Origin` (old
/// browsers, some proxies strip them). Builds [`CsrfTokenCheck`].
///
/// Each session gets one random token (32 bytes from the operating
/// system's generator, base64url), kept in the session under
/// [`CSRF_SESSION_KEY`](crate::CSRF_SESSION_KEY). Every request gets it as
/// a [`CsrfToken`](crate::CsrfToken) extension to render in forms
/// ([`CsrfToken::hidden_input`](crate::CsrfToken::hidden_input)); a fresh
/// token is stored only when the app read it. A `POST`, `PUT`, `PATCH`,
/// `DELETE` … (but an upgrade: an HTTP/2 WebSocket `CONNECT` cannot carry
/// it, and [`CrossOriginLayer`](crate::CrossOriginLayer) checks its
/// `Origin`) must send it back in the `X-CSRF-Token` header or the
/// `csrf_token` field of an `application/x-www-form-urlencoded` body
/// (read up to [`DEFAULT_MAX_FORM`], then handed to the app whole);
/// without it, or with another value (compared in constant time), the
/// answer is a 403. `pastry_auth::login` removes the token, so a new one
/// is made after login.
///
/// Needs a `pastry_sessions::SessionLayer` outside it (else every request
/// is a logged 500).
///
/// ```
/// use pastry_origin::CsrfTokenLayer;
///
/// let layer = CsrfTokenLayer::builder().max_form(1 << 20).exempt_prefix("/api/").build().unwrap();
/// # let _ = layer;
/// assert!(CsrfTokenLayer::builder().max_form(0).build().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct CsrfTokenLayer {
    config: Arc<TokenConfig>,
}

impl Default for CsrfTokenLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl CsrfTokenLayer {
    /// Tokens required on every unsafe request; forms read up to
    /// [`DEFAULT_MAX_FORM`].
    pub fn new() -> Self {
        Self {
            config: Arc::new(TokenConfig {
                max_form: DEFAULT_MAX_FORM,
                exempt: ExemptPaths::default(),
            }),
        }
    }

    /// Starts a layer with settings of its own; finish with
    /// [`CsrfTokenLayerBuilder::build`].
    pub fn builder() -> CsrfTokenLayerBuilder {
        CsrfTokenLayerBuilder {
            max_form: DEFAULT_MAX_FORM,
            exempt: ExemptPaths::default(),
        }
    }
}

impl<S> Layer<S> for CsrfTokenLayer {
    type Service = CsrfTokenCheck<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfTokenCheck::new(inner, Arc::clone(&self.config))
    }
}

/// The settings of a [`CsrfTokenLayer`], checked by
/// [`build`](Self::build); made by [`CsrfTokenLayer::builder`].
#[derive(Clone, Debug)]
pub struct CsrfTokenLayerBuilder {
    max_form: usize,
    exempt: ExemptPaths,
}

impl CsrfTokenLayerBuilder {
    /// The largest form body read to find the token, in bytes (default
    /// [`DEFAULT_MAX_FORM`]); a larger one is a 413.
    pub fn max_form(mut self, bytes: usize) -> Self {
        self.max_form = bytes;
        self
    }

    /// Lets unsafe requests for exactly `path` through without a token.
    pub fn exempt_path(mut self, path: impl Into<String>) -> Self {
        self.exempt.path(path);
        self
    }

    /// Lets unsafe requests for every path starting with `prefix` through
    /// without a token.
    pub fn exempt_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.exempt.prefix(prefix);
        self
    }

    /// The layer.
    ///
    /// # Errors
    ///
    /// [`OriginError::InvalidLimit`] for a form limit of 0,
    /// [`OriginError::InvalidPath`] for an exempt path or prefix that does
    /// not start with `/`.
    pub fn build(self) -> Result<CsrfTokenLayer, OriginError> {
        if self.max_form == 0 {
            return Err(OriginError::InvalidLimit);
        }
        self.exempt.validate()?;
        Ok(CsrfTokenLayer {
            config: Arc::new(TokenConfig {
                max_form: self.max_form,
                exempt: self.exempt,
            }),
        })
    }
}
