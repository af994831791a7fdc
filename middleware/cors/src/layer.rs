//! [`CorsLayer`] and its builder: collects the settings, checks them, and
//! builds the service.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use http::request::Parts;
use tower_layer::Layer;

use crate::CorsError;
use crate::config::{Config, Policy};
use crate::service::Cors;

/// Lets the pages of other origins you name read your responses (CORS):
/// answers their preflights and adds `Access-Control-Allow-Origin` and its
/// companions to the app's answers. Builds [`Cors`]; made only by
/// [`CorsLayer::builder`], whose [`build`](CorsLayerBuilder::build) refuses
/// a setting browsers would not honour. See the [crate docs](crate) for the
/// rules and the defaults.
///
/// ```
/// use pastry_cors::{CorsError, CorsLayer};
///
/// let layer = CorsLayer::builder()
///     .allow_origin("https://app.example")
///     .allow_credentials(true)
///     .build()
///     .unwrap();
/// # let _ = layer;
/// assert_eq!(
///     CorsLayer::builder().allow_origin("https://app.example/").build().unwrap_err(),
///     CorsError::InvalidOrigin("https://app.example/".into()),
/// );
/// ```
#[derive(Clone, Debug)]
pub struct CorsLayer {
    policy: Arc<Policy>,
}

impl CorsLayer {
    /// Starts the settings of a layer; finish with
    /// [`CorsLayerBuilder::build`]. Nothing is allowed until you name the
    /// origins.
    ///
    /// ```
    /// use pastry_cors::{CorsError, CorsLayer};
    ///
    /// assert_eq!(CorsLayer::builder().build().unwrap_err(), CorsError::NoOrigin);
    /// assert!(CorsLayer::builder().allow_any_origin().build().is_ok());
    /// ```
    pub fn builder() -> CorsLayerBuilder {
        CorsLayerBuilder::default()
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Cors::new(inner, Arc::clone(&self.policy))
    }
}

/// The settings of a [`CorsLayer`], checked by [`build`](Self::build); made
/// by [`CorsLayer::builder`]. Setters never fail; every rule between them
/// is checked once, by `build`.
#[derive(Clone, Debug, Default)]
pub struct CorsLayerBuilder {
    config: Config,
}

impl CorsLayerBuilder {
    /// Allows the page of `origin` (`scheme://host[:port]`, exactly as a
    /// browser sends it in `Origin`: no path, no trailing `/`) to read
    /// responses; its `Origin` is mirrored in `Access-Control-Allow-Origin`.
    /// Compared as a serialized origin: the scheme and host ignoring ASCII
    /// case, and a default port (`:443` for `https`, `:80` for `http`) is
    /// the same as none. Call it once per origin.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .allow_origin("http://localhost:5173")
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.config.origins.push(origin.into());
        self
    }

    /// [`allow_origin`](Self::allow_origin) for each of `origins`.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origins(["https://a.example", "https://b.example"])
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn allow_origins<I>(mut self, origins: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.config
            .origins
            .extend(origins.into_iter().map(Into::into));
        self
    }

    /// Allows, besides the listed origins, every origin for which
    /// `predicate` returns `true`, given the request's `Origin` and head
    /// (say, every subdomain of yours). The origin is mirrored, so this
    /// works with credentials: the predicate decides who may read your
    /// users' data, so make it strict. Its answer makes every response
    /// `Vary: Origin`; a predicate that reads other request headers should
    /// be paired with a `Vary` for them, set by the app.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin_fn(|origin, _parts| {
    ///         origin.to_str().is_ok_and(|o| {
    ///             o.strip_prefix("https://")
    ///                 .is_some_and(|host| host.ends_with(".app.example"))
    ///         })
    ///     })
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn allow_origin_fn<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&HeaderValue, &Parts) -> bool + Send + Sync + 'static,
    {
        self.config.predicate = Some(Arc::new(predicate));
        self
    }

    /// Allows every origin, answered with `Access-Control-Allow-Origin: *`
    /// on every response (so no `Vary: Origin` is needed). For public data
    /// only: it cannot be combined with credentials, listed origins or a
    /// predicate ([`build`](Self::build) says so).
    ///
    /// ```
    /// use pastry_cors::{CorsError, CorsLayer};
    ///
    /// assert!(CorsLayer::builder().allow_any_origin().build().is_ok());
    /// assert_eq!(
    ///     CorsLayer::builder().allow_any_origin().allow_credentials(true).build().unwrap_err(),
    ///     CorsError::CredentialsWithWildcard("allowed origins"),
    /// );
    /// ```
    pub fn allow_any_origin(mut self) -> Self {
        self.config.any_origin = true;
        self
    }

    /// The methods a preflight may ask for (default `GET`, `HEAD`, `POST`),
    /// sent in `Access-Control-Allow-Methods`. The CORS-safelisted `GET`,
    /// `HEAD` and `POST` are always allowed, as browsers allow them anyway.
    /// `"*"` allows every method, without credentials only.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .allow_methods(["GET", "PUT", "DELETE"])
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn allow_methods<I>(mut self, methods: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.config.methods = Some(methods.into_iter().map(|m| m.as_ref().to_owned()).collect());
        self
    }

    /// The request headers a preflight may ask for (default none: the
    /// CORS-safelisted ones need no permission), sent in
    /// `Access-Control-Allow-Headers`; names compare ignoring case. `"*"`
    /// allows every header but `Authorization` (which must be named), and
    /// only without credentials.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .allow_headers(["content-type", "x-csrf-token"])
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn allow_headers<I>(mut self, headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.config
            .headers
            .extend(headers.into_iter().map(|h| h.as_ref().to_owned()));
        self
    }

    /// Whether a preflight from an allowed origin may ask for any request
    /// header, the requested ones being mirrored back in
    /// `Access-Control-Allow-Headers` (default `false`). An explicit opt-in:
    /// it works with credentials, so every allowed origin may then send
    /// any header.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .mirror_request_headers(true)
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn mirror_request_headers(mut self, mirror: bool) -> Self {
        self.config.mirror_headers = mirror;
        self
    }

    /// The response headers the page may read besides the safelisted ones
    /// (default none), sent in `Access-Control-Expose-Headers` on answers
    /// to allowed origins. `"*"` exposes all, without credentials only.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .expose_headers(["x-request-id", "etag"])
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn expose_headers<I>(mut self, headers: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.config
            .expose
            .extend(headers.into_iter().map(|h| h.as_ref().to_owned()));
        self
    }

    /// How long a browser may cache an allowed preflight
    /// (`Access-Control-Max-Age`, whole seconds). Default: not sent, so
    /// browsers use their own default (5 seconds) and cap what they accept
    /// (Chromium at 2 hours, Firefox at 24).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .max_age(Duration::from_secs(600))
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.config.max_age = Some(max_age);
        self
    }

    /// Whether pages of allowed origins may send cookies and read the
    /// answer (`Access-Control-Allow-Credentials: true`, default `false`).
    /// Never with a `*` wildcard anywhere: [`build`](Self::build) refuses.
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .allow_credentials(true)
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.config.credentials = allow;
        self
    }

    /// Whether a Private Network Access preflight (one carrying
    /// `Access-Control-Request-Private-Network: true`, sent by Chromium
    /// before a public page reaches a private address) from an allowed
    /// origin is answered with `Access-Control-Allow-Private-Network: true`
    /// (default `false`: such a preflight is refused).
    ///
    /// ```
    /// use pastry_cors::CorsLayer;
    ///
    /// let layer = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .allow_private_network(true)
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn allow_private_network(mut self, allow: bool) -> Self {
        self.config.private_network = allow;
        self
    }

    /// The layer.
    ///
    /// # Errors
    ///
    /// A [`CorsError`] for a setting browsers would not honour or that
    /// cannot match: no origin allowed, an origin that is not
    /// `scheme://host[:port]` or is `*`, any origin together with listed
    /// ones, credentials with a `*` wildcard, an invalid method or header
    /// name.
    ///
    /// ```
    /// use pastry_cors::{CorsError, CorsLayer};
    ///
    /// let err = CorsLayer::builder()
    ///     .allow_origin("https://app.example")
    ///     .allow_credentials(true)
    ///     .allow_headers(["*"])
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err, CorsError::CredentialsWithWildcard("allowed headers"));
    /// ```
    pub fn build(self) -> Result<CorsLayer, CorsError> {
        Ok(CorsLayer {
            policy: Arc::new(self.config.policy()?),
        })
    }
}
