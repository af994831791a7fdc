use std::error::Error;
use std::fmt;

use http::StatusCode;

/// The error type middleware accept from the services they wrap.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// An error that knows which HTTP status it should become.
///
/// Apps return it (boxed into a [`BoxError`]) so that error-handling
/// middleware such as `pastry-catch` answer with the intended status instead
/// of a generic 500. The message is meant for logs and debug pages; production
/// error pages show only the status.
///
/// ```
/// use http::StatusCode;
/// use pastry_core::{BoxError, HttpError};
///
/// let err: BoxError = HttpError::new(StatusCode::NOT_FOUND, "no such post").into();
/// let http_err = HttpError::find(&*err).unwrap();
/// assert_eq!(http_err.status(), StatusCode::NOT_FOUND);
/// assert_eq!(http_err.to_string(), "no such post");
/// ```
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    message: String,
    source: Option<BoxError>,
}

impl HttpError {
    /// An error answered with `status`, described by `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause, shown in logs and debug pages.
    ///
    /// ```
    /// use http::StatusCode;
    /// use pastry_core::HttpError;
    ///
    /// let io = std::io::Error::other("disk on fire");
    /// let err = HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "storage down").source(io);
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The status this error should be answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The human-readable description.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Finds an `HttpError` in `err` or anywhere along its chain of sources.
    ///
    /// ```
    /// use http::StatusCode;
    /// use pastry_core::HttpError;
    ///
    /// let err = HttpError::new(StatusCode::CONFLICT, "stale version");
    /// assert_eq!(HttpError::find(&err).map(|e| e.status()), Some(StatusCode::CONFLICT));
    /// assert!(HttpError::find(&std::fmt::Error).is_none());
    /// ```
    pub fn find<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a HttpError> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<HttpError>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for HttpError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(HttpError);
    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("wrapped")
        }
    }
    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn find_walks_the_source_chain() {
        let err = Wrapper(HttpError::new(StatusCode::FORBIDDEN, "nope"));
        assert_eq!(
            HttpError::find(&err).unwrap().status(),
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn boxed_error_is_found() {
        let err: BoxError = HttpError::new(StatusCode::BAD_REQUEST, "bad").into();
        assert_eq!(HttpError::find(&*err).unwrap().message(), "bad");
    }
}
