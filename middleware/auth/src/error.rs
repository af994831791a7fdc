use std::path::PathBuf;

use pastry_core::BoxError;

/// Everything that can go wrong in `pastry-auth`.
///
/// Configuration mistakes surface when a hasher, store or layer is built;
/// the request-time variants ([`AuthError::Busy`], [`AuthError::Store`])
/// become 503 and 500 responses inside the middleware.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The argon2 parameters are outside what argon2 accepts.
    #[error("invalid argon2 parameters: {0}")]
    InvalidParams(String),
    /// Hashing a password failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Too many verifications were running or waiting; try again later.
    #[error("too many password verifications in progress")]
    Busy,
    /// A realm or other header text contains characters a header cannot carry.
    #[error("invalid realm: {0:?}")]
    InvalidRealm(String),
    /// A user name that cannot be stored (empty, or containing `:` or a
    /// control character).
    #[error("invalid user name: {0:?}")]
    InvalidUserName(String),
    /// A role name that cannot be stored (empty, or containing `:`, `,`,
    /// whitespace or a control character).
    #[error("invalid role name: {0:?}")]
    InvalidRole(String),
    /// A users file could not be read or written.
    #[error("users file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A user store failed.
    #[error("user store failed: {0}")]
    Store(#[source] BoxError),
    /// A session operation failed.
    #[error("session failed: {0}")]
    Session(#[source] BoxError),
    /// The user name or password is wrong (the two are not told apart).
    #[error("invalid user name or password")]
    InvalidCredentials,
    /// Too many recent failures for this user name and client address.
    #[error("too many failed attempts; retry in {retry_after:?}")]
    LockedOut {
        /// How long until the lockout ends.
        retry_after: std::time::Duration,
    },
    /// An API token of that name exists already.
    #[error("an API token called {0:?} exists already")]
    TokenExists(String),
    /// A login URL or other path setting is not a local path.
    #[error("invalid path {0:?}: must start with a single '/'")]
    InvalidPath(String),
}
