/// A map that cannot be built, reported by
/// [`UrlMapBuilder::build`](crate::UrlMapBuilder::build).
///
/// ```
/// use pastry_urlmap::{UrlMap, UrlMapError};
/// use http::{Request, Response};
/// use tower::service_fn;
///
/// let app = service_fn(|_req: Request<String>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(String::new()))
/// });
/// let err = UrlMap::builder().mount("/blog", app).mount("/blog/", app).build().unwrap_err();
/// assert!(matches!(err, UrlMapError::DuplicateMount { ref prefix, .. } if prefix == "/blog"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlMapError {
    /// Two apps are mounted at the same (normalised) host and prefix.
    #[error("two apps are mounted at {}{prefix}", host.as_deref().unwrap_or(""))]
    DuplicateMount {
        /// The host key, lowercased, when the mount names one.
        host: Option<String>,
        /// The normalised prefix (`""` for the root).
        prefix: String,
    },
    /// A prefix that is not a valid absolute path: a bad `%` escape, an
    /// encoded NUL, or a `?` or `#`.
    #[error("mount prefix {prefix:?} is not a valid path")]
    InvalidPrefix {
        /// The prefix as given.
        prefix: String,
    },
    /// A host key that is not `name`, `name:port`, `*.name` or
    /// `*.name:port`.
    #[error("host key {host:?} is not a valid host")]
    InvalidHost {
        /// The key as given.
        host: String,
    },
}
