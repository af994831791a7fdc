//! What can be wrong with the settings of a layer.

/// A setting a layer of this crate refused when it was built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    /// A trusted origin is not `scheme://host[:port]` (no path, not even
    /// `/`, no user info).
    #[error("trusted origin {0:?} is not scheme://host[:port]")]
    InvalidOrigin(String),
    /// An exempt path or prefix does not start with `/`.
    #[error("exempt path {0:?} does not start with '/'")]
    InvalidPath(String),
    /// The form body limit is zero: no form could carry a token.
    #[error("the form body limit must be at least 1 byte")]
    InvalidLimit,
}
