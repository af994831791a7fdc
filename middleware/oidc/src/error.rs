//! [`OidcError`]: the settings [`OidcLayerBuilder::build`](crate::OidcLayerBuilder::build) refuses.

/// A setting of [`OidcLayerBuilder`](crate::OidcLayerBuilder) that cannot work,
/// reported when the layer is built.
///
/// ```
/// use pastry_oidc::{OidcError, OidcLayer};
///
/// let err = OidcLayer::builder()
///     .issuer("not a url")
///     .client_id("app")
///     .redirect_url("http://127.0.0.1:8080/auth/oidc/callback")
///     .map_user(|_| None)
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, OidcError::InvalidUrl { setting: "issuer", .. }));
/// ```
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum OidcError {
    /// A required setting was not given.
    #[error("OidcLayer needs `{0}`")]
    Missing(&'static str),
    /// A URL setting is not an absolute `http://` or `https://` URL.
    #[error("OidcLayer `{setting}` must be an absolute http:// or https:// URL, got {value:?}")]
    InvalidUrl {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: String,
    },
    /// The provider is reached over `https://`, which this build cannot
    /// speak: the crate's HTTP client is plain HTTP on hyper (a provider
    /// on loopback or behind a local TLS-terminating proxy).
    #[error(
        "OidcLayer `{0}` uses https://, but pastry-oidc's HTTP client speaks plain HTTP only; reach the provider through a local TLS-terminating proxy"
    )]
    HttpsUnsupported(&'static str),
    /// A mount path does not start with `/`, or both paths are the same.
    #[error(
        "OidcLayer `{setting}` must be a path starting with `/` and differ from the other path, got {value:?}"
    )]
    InvalidPath {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: String,
    },
    /// A limit was set to zero, which would refuse every login.
    #[error("OidcLayer `{0}` must be greater than zero")]
    ZeroLimit(&'static str),
}
