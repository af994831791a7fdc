//! What can be wrong with the settings of a [`CorsLayer`](crate::CorsLayer).

/// A setting [`CorsLayerBuilder::build`](crate::CorsLayerBuilder::build)
/// refused. Each is a mistake in the configuration, found before the first
/// request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorsError {
    /// No origin is allowed: neither a listed origin, a predicate nor
    /// [`allow_any_origin`](crate::CorsLayerBuilder::allow_any_origin). The
    /// layer would only ever refuse.
    #[error("no origin is allowed: list one, give a predicate, or allow any origin")]
    NoOrigin,
    /// A listed origin is not a serialized origin `scheme://host[:port]`:
    /// it has a path (even a trailing `/`), a query, user info, or no
    /// scheme. Browsers never send such an `Origin`, so it could never
    /// match.
    #[error(
        "allowed origin {0:?} is not scheme://host[:port] (no path, no trailing '/', no query)"
    )]
    InvalidOrigin(String),
    /// `*` was listed as an origin. A list holds exact origins; allowing
    /// every origin is
    /// [`allow_any_origin`](crate::CorsLayerBuilder::allow_any_origin).
    #[error("'*' is not an origin: use allow_any_origin() to allow every origin")]
    WildcardInOriginList,
    /// Any origin was allowed together with listed origins or a predicate:
    /// the list would mean nothing.
    #[error("allow_any_origin() cannot be combined with listed origins or a predicate")]
    ConflictingOrigins,
    /// Credentials were allowed together with a `*` wildcard (any origin,
    /// or `*` among the methods, request headers or exposed headers). The
    /// Fetch standard makes browsers refuse `*` on credentialed requests,
    /// so the setting would silently not work.
    #[error("credentials cannot be allowed with a '*' wildcard in the {0}")]
    CredentialsWithWildcard(&'static str),
    /// An allowed method is not a valid HTTP method token.
    #[error("allowed method {0:?} is not a valid method")]
    InvalidMethod(String),
    /// An allowed or exposed header name is not a valid header name.
    #[error("header name {0:?} is not a valid header name")]
    InvalidHeaderName(String),
}
