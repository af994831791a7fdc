//! Why a request failed.

use pastry_core::BoxError;

use crate::Violation;

/// Why [`RequestBuilder::try_send`](crate::RequestBuilder::try_send)
/// failed; awaiting a request panics with this error's message instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The request could not be built (an unusable URI).
    #[error("bad test request: {0}")]
    Request(String),
    /// The app's future returned an error.
    #[error("the app returned an error: {0}")]
    App(#[source] BoxError),
    /// The response body returned an error.
    #[error("the response body failed: {0}")]
    Body(#[source] BoxError),
    /// [`Validate`](crate::Validate) found the response breaks a rule.
    #[error("{0}")]
    Violation(#[from] Violation),
    /// A redirect was refused (another host, too many hops, bad `Location`).
    #[error("redirect refused: {0}")]
    Redirect(String),
    /// The response's status was not the one expected.
    #[error("{0}")]
    Status(String),
}

impl TestError {
    pub(crate) fn from_app(err: BoxError) -> Self {
        match err.downcast::<Violation>() {
            Ok(violation) => TestError::Violation(*violation),
            Err(err) => TestError::App(err),
        }
    }

    pub(crate) fn from_body(err: BoxError) -> Self {
        match err.downcast::<Violation>() {
            Ok(violation) => TestError::Violation(*violation),
            Err(err) => TestError::Body(err),
        }
    }

    /// The violation, when this error is one.
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            TestError::Violation(v) => Some(v),
            _ => None,
        }
    }
}
