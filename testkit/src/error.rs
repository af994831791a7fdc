//! Why a request failed.

use http::StatusCode;
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
    /// The app answered a WebSocket handshake with another status than
    /// `101 Switching Protocols` (a login redirect, a 401, a 403 ...).
    #[error(
        "the app refused the WebSocket handshake with {status}, not 101 Switching Protocols; body: {body:?}"
    )]
    Refused {
        /// The status the app answered.
        status: StatusCode,
        /// The decoded body, as text (invalid UTF-8 shown as U+FFFD).
        body: String,
    },
    /// The WebSocket failed: a handshake answer that is not a WebSocket
    /// one, a protocol error, a connection that ended, or a message of
    /// another kind than the one asked for.
    #[error("{0}")]
    WebSocket(String),
    /// Nothing arrived in time: no WebSocket message, no handshake answer,
    /// no server-sent event.
    #[error("{0}")]
    Timeout(String),
    /// The response is not an event stream that can be read (another
    /// `Content-Type`, a body that does not decode).
    #[error("{0}")]
    EventStream(String),
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

    /// The status of a [refused](TestError::Refused) WebSocket handshake.
    pub fn refused_status(&self) -> Option<StatusCode> {
        match self {
            TestError::Refused { status, .. } => Some(*status),
            _ => None,
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
