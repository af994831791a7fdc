//! Logging in: the guards that need a logged-in user, and (feature
//! `sessions`) `login`/`logout`, the layer that reads the session and a
//! ready login form.

#[cfg(feature = "sessions")]
mod form;
#[cfg(feature = "sessions")]
mod layer;
#[cfg(feature = "sessions")]
mod logout;
mod next;
mod require;
#[cfg(feature = "sessions")]
mod session;

#[cfg(feature = "sessions")]
pub use form::{LoginForm, LoginFormBuilder, MAX_FORM};
#[cfg(feature = "sessions")]
pub use layer::{SessionAuth, SessionAuthLayer};
#[cfg(feature = "sessions")]
pub use logout::{Logout, LogoutBuilder};
pub use next::safe_next;
pub use require::{RequireLogin, RequireLoginLayer, RequireRole, RequireRoleLayer};
#[cfg(feature = "sessions")]
pub use session::{FINGERPRINT_KEY, USER_KEY, login, logout, logout_keeping};

/// A marker every auth layer ([`SessionAuthLayer`], [`BasicAuthLayer`](crate::BasicAuthLayer))
/// puts in the extensions of each request it lets through, logged in or
/// not: [`RequireLoginLayer`], [`RequireRoleLayer`] and the axum
/// extractors answer a logged 500 when a request carries neither it nor a
/// [`RemoteUser`](pastry_core::RemoteUser), because then no auth layer ran
/// before them (a wrong layer order). An auth layer of your own inserts
/// it too.
///
/// ```
/// use http::Request;
/// use pastry_auth::AuthChecked;
///
/// let mut req = Request::new(());
/// req.extensions_mut().insert(AuthChecked);
/// assert!(req.extensions().get::<AuthChecked>().is_some());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuthChecked;
