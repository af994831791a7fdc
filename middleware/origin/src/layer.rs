//! [`CrossOriginLayer`]: collects the settings and builds the service.

use std::sync::Arc;

use tower_layer::Layer;

use crate::OriginError;
use crate::config::{Config, Policy};
use crate::service::CrossOriginProtection;

/// Refuses cross-origin requests that could change something: unsafe
/// methods (`POST`, `PUT`, `PATCH`, `DELETE`, `CONNECT` …) and every
/// upgrade (a WebSocket handshake, over HTTP/1.1 or HTTP/2) sent by a page
/// of another origin, with a 403, before the app runs. Builds
/// [`CrossOriginProtection`]; see the [crate docs](crate) for the rule and
/// its defaults.
///
/// ```
/// use pastry_origin::CrossOriginLayer;
///
/// let layer = CrossOriginLayer::builder()
///     .trusted_origin("https://app.example")
///     .exempt_path("/hooks/payments")
///     .build()
///     .unwrap();
/// # let _ = layer;
/// assert!(CrossOriginLayer::builder().trusted_origin("app.example").build().is_err());
/// ```
#[derive(Clone, Debug, Default)]
pub struct CrossOriginLayer {
    policy: Arc<Policy>,
}

impl CrossOriginLayer {
    /// The default protection: no trusted origin, no exempt path,
    /// `Sec-Fetch-Site: same-site` refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a layer with settings of its own; finish with
    /// [`CrossOriginLayerBuilder::build`].
    pub fn builder() -> CrossOriginLayerBuilder {
        CrossOriginLayerBuilder::default()
    }
}

impl<S> Layer<S> for CrossOriginLayer {
    type Service = CrossOriginProtection<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CrossOriginProtection::new(inner, Arc::clone(&self.policy))
    }
}

/// The settings of a [`CrossOriginLayer`], checked by
/// [`build`](Self::build); made by [`CrossOriginLayer::builder`].
#[derive(Clone, Debug, Default)]
pub struct CrossOriginLayerBuilder {
    config: Config,
}

impl CrossOriginLayerBuilder {
    /// Trusts requests whose `Origin` is exactly `origin`
    /// (`scheme://host[:port]`, no trailing `/`): another site of yours
    /// that posts forms or opens WebSockets here. Compared ignoring ASCII
    /// case.
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.config.trusted.push(origin.into());
        self
    }

    /// Lets requests for exactly `path` through unchecked (a webhook that
    /// other servers post to). The path is the request's as this layer
    /// sees it (outside a URL map: the full path).
    pub fn exempt_path(mut self, path: impl Into<String>) -> Self {
        self.config.exempt.path(path);
        self
    }

    /// Lets requests for every path starting with `prefix` through
    /// unchecked (`/hooks/` exempts `/hooks/a`, not `/hooks`).
    pub fn exempt_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.exempt.prefix(prefix);
        self
    }

    /// Whether `Sec-Fetch-Site: same-site` passes (default `false`). A
    /// same-site request comes from another origin of the same site: a
    /// sibling subdomain, or the same host on another port or scheme. Turn
    /// it on when your subdomains trust each other.
    pub fn allow_same_site(mut self, allow: bool) -> Self {
        self.config.allow_same_site = allow;
        self
    }

    /// The layer.
    ///
    /// # Errors
    ///
    /// [`OriginError::InvalidOrigin`] for a trusted origin that is not
    /// `scheme://host[:port]`, [`OriginError::InvalidPath`] for an exempt
    /// path or prefix that does not start with `/`.
    pub fn build(self) -> Result<CrossOriginLayer, OriginError> {
        Ok(CrossOriginLayer {
            policy: Arc::new(self.config.policy()?),
        })
    }
}
