//! axum glue (feature `axum`): [`Session`] as an extractor and
//! [`SessionError`] as a response.

use std::fmt;

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};

use crate::{Session, SessionError};

/// `Session` as an axum extractor: the session of a request that a
/// [`SessionLayer`](crate::SessionLayer) wraps.
///
/// Without the layer the handler is not called: the rejection,
/// [`MissingSessionLayer`], answers 500 and logs at error level how to fix
/// the stack.
///
/// ```
/// use axum::{Router, routing::get};
/// use pastry_sessions::{MemoryStore, Session, SessionError, SessionLayer};
///
/// async fn visits(session: Session) -> Result<String, SessionError> {
///     let n = session.get::<u64>("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", &n).await?;
///     Ok(format!("visit {n}"))
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(visits))
///     .layer(SessionLayer::new(MemoryStore::new()));
/// # let _ = app;
/// ```
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Session>() {
            Some(session) => Ok(session.clone()),
            None => Err(MissingSessionLayer),
        }
    }
}

/// The rejection of the [`Session`] extractor when no
/// [`SessionLayer`](crate::SessionLayer) wraps the route: a 500 whose body
/// and error-level log say to add the layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MissingSessionLayer;

const MISSING_LAYER: &str = "the Session extractor found no session: no SessionLayer wraps this route. \
Add it around the router, e.g. `Router::new().route(..).layer(SessionLayer::new(store))`, \
so that it runs before the handler (with `ServiceBuilder`, list SessionLayer before layers that need sessions)";

impl fmt::Display for MissingSessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MISSING_LAYER)
    }
}

impl std::error::Error for MissingSessionLayer {}

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        tracing::error!(target: "pastry_sessions", "{MISSING_LAYER}");
        let mut res = (StatusCode::INTERNAL_SERVER_ERROR, MISSING_LAYER).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        res
    }
}

/// A failed session operation as a response: `500 Internal Server Error`
/// with a fresh error id in the body and the `x-error-id` header; the error
/// itself goes only to the log (at error level, with the same `error_id`),
/// never to the client.
///
/// ```
/// use axum::response::IntoResponse;
/// use pastry_sessions::SessionError;
///
/// let res = SessionError::Finished.into_response();
/// assert_eq!(res.status(), 500);
/// assert!(res.headers().contains_key("x-error-id"));
/// ```
impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        let id = uuid::Uuid::new_v4();
        let status = self.status();
        tracing::error!(target: "pastry_sessions", error_id = %id, error = %self, status = status.as_u16(), "session operation failed");
        let reason = status.canonical_reason().unwrap_or("Error");
        let body = format!("{reason}\nerror id: {id}\n");
        let mut res = (status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
            headers.insert("x-error-id", value);
        }
        res
    }
}
