//! axum glue, behind the `axum` feature: the logged-in user as an
//! extractor, and [`AuthError`] as a response.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderName, HeaderValue, StatusCode, header};
use pastry_core::RemoteUser;

use crate::{AuthChecked, AuthError, Roles, RolesExt};

/// The response header carrying the id of a logged 500: `x-error-id`, as
/// `pastry-catch` names it.
const ERROR_ID: HeaderName = HeaderName::from_static("x-error-id");

/// The logged-in user, for an axum handler behind
/// [`SessionAuthLayer`](crate::SessionAuthLayer) or
/// [`BasicAuthLayer`](crate::BasicAuthLayer): the handler runs only for a
/// logged-in user; anonymous requests get a 401 (`{"error":"login
/// required"}`). Take `Option<CurrentUser>` to serve anonymous requests
/// too. Without any auth layer before the handler (a wrong layer order)
/// both answer a 500 with an error-level log naming the fix.
///
/// Put Pastry into an axum app with `Router::layer(ServiceBuilder…)` for
/// the layers every route needs (sessions, session auth), and
/// `Router::route_layer` for guards of some routes only
/// ([`RequireLoginLayer`](crate::RequireLoginLayer) on the routes added
/// before it, so unknown paths stay 404s):
///
/// ```
/// # #[cfg(feature = "sessions")] {
/// use axum::{Router, routing::get};
/// use pastry_auth::{CurrentUser, MemoryUserStore, RequireLoginLayer, SessionAuthLayer};
/// use pastry_sessions::{MemoryStore, SessionLayer};
/// use tower::ServiceBuilder;
///
/// async fn me(user: CurrentUser) -> String {
///     format!("hello {}", user.name())
/// }
///
/// async fn hello(user: Option<CurrentUser>) -> String {
///     user.map_or("hello stranger".into(), |u| format!("hello {}", u.name()))
/// }
///
/// let app: Router = Router::new()
///     .route("/me", get(me))
///     .route_layer(RequireLoginLayer::new("/login").unwrap())
///     .route("/", get(hello))
///     .layer(
///         ServiceBuilder::new()
///             .layer(SessionLayer::new(MemoryStore::new()))
///             .layer(SessionAuthLayer::new(MemoryUserStore::new())),
///     );
/// # let _ = app;
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentUser {
    name: String,
    roles: Roles,
}

impl CurrentUser {
    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The user's roles.
    pub fn roles(&self) -> &Roles {
        &self.roles
    }

    /// Whether the user has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }
}

/// Why [`CurrentUser`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// Nobody is logged in: 401.
    Anonymous,
    /// No auth layer ran before the handler (logged when it happened): 500.
    NoAuthLayer,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::Anonymous => (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"error\":\"login required\"}",
            )
                .into_response(),
            AuthRejection::NoAuthLayer => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error\n",
            )
                .into_response(),
        }
    }
}

fn current_user(parts: &Parts) -> Result<Option<CurrentUser>, AuthRejection> {
    if let Some(user) = parts.extensions.get::<RemoteUser>() {
        return Ok(Some(CurrentUser {
            name: user.as_str().to_owned(),
            roles: parts.roles(),
        }));
    }
    if parts.extensions.get::<AuthChecked>().is_some() {
        return Ok(None);
    }
    tracing::error!(
        target: "pastry_auth",
        guard = "CurrentUser",
        method = %parts.method,
        path = %parts.uri.path(),
        fix = "Router::layer(ServiceBuilder::new().layer(SessionLayer::new(store)).layer(SessionAuthLayer::new(users)))",
        "no auth layer ran before this guard: put SessionAuthLayer (or BasicAuthLayer) outside it, so every request reaches it with RemoteUser or AuthChecked set"
    );
    Err(AuthRejection::NoAuthLayer)
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        current_user(parts)?.ok_or(AuthRejection::Anonymous)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        current_user(parts)
    }
}

/// An [`AuthError`] as a response, so a handler can use `?` on
/// [`login`](crate::login), [`logout`](crate::logout) and
/// [`Authenticator::authenticate`](crate::Authenticator::authenticate):
/// wrong credentials are a 401, a lockout a 429 and an exhausted
/// verification bound a 503 (both with `Retry-After`); anything else is a
/// 500 whose body and `x-error-id` header carry an id that the error-level
/// log line carries too (the error itself stays in the log).
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        match self {
            AuthError::InvalidCredentials => {
                (StatusCode::UNAUTHORIZED, "401 Unauthorized\n").into_response()
            }
            AuthError::LockedOut { retry_after } => {
                let mut response =
                    (StatusCode::TOO_MANY_REQUESTS, "429 Too Many Requests\n").into_response();
                crate::body::retry_after(&mut response, retry_after);
                response
            }
            AuthError::Busy => {
                let mut response =
                    (StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable\n").into_response();
                crate::body::retry_after(&mut response, std::time::Duration::from_secs(1));
                response
            }
            other => {
                let id = uuid::Uuid::new_v4();
                tracing::error!(target: "pastry_auth", error_id = %id, error = %other, "authentication error");
                let mut response = (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("500 Internal Server Error\nerror id: {id}\n"),
                )
                    .into_response();
                if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
                    response.headers_mut().insert(ERROR_ID, value);
                }
                response
            }
        }
    }
}
