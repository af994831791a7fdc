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
    /// The provider is reached over `https://`, but this build has no TLS
    /// client: pastry-oidc was built without its feature `https` (on by
    /// default).
    #[error(
        "OidcLayer `{0}` uses https://, but pastry-oidc was built without its `https` feature; turn it on, or reach the provider over http://"
    )]
    HttpsUnsupported(&'static str),
    /// A [`root_certificate_pem`](crate::OidcLayerBuilder::root_certificate_pem)
    /// holds no certificate, or one that does not parse; the text says why.
    #[error("OidcLayer `root_certificate_pem` is not a PEM certificate: {0}")]
    InvalidRootCertificate(String),
    /// The TLS library could not set up a client (feature `https`); the
    /// text is its error.
    #[error("OidcLayer could not set up its TLS client: {0}")]
    TlsUnavailable(String),
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
