//! Authentication for any tower service: argon2id password hashing, user
//! stores (in memory or an htpasswd-style file), HTTP Basic auth and
//! session login, hardened against the usual attacks (timing, guessing,
//! fixation, open redirects). For apps that need to know who is calling and
//! what they may do, as `RemoteUser` and [`Roles`].
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode, header};
//! use pastry_auth::{Authenticator, BasicAuthLayer, MemoryUsers, PasswordHasher, RolesExt, User};
//! use pastry_core::Environ;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! // Cheap argon2 parameters for the example; the default is OWASP's.
//! let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build()?;
//! let users = MemoryUsers::new();
//! users.insert(User::new("alice", hasher.hash_blocking("wonderland")?).roles(["admin"]));
//!
//! let app = ServiceBuilder::new()
//!     .layer(BasicAuthLayer::new(Authenticator::new(users).hasher(hasher)).realm("Staff")?)
//!     .service(service_fn(|req: Request<String>| async move {
//!         let text = format!("{} admin={}", req.remote_user().unwrap_or("-"), req.has_role("admin"));
//!         Ok::<_, Infallible>(Response::new(text))
//!     }));
//!
//! let res = app.clone().oneshot(Request::new(String::new())).await?;
//! assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(res.headers()[header::WWW_AUTHENTICATE], r#"Basic realm="Staff", charset="UTF-8""#);
//!
//! // "alice:wonderland" in base64
//! let req = Request::builder().header(header::AUTHORIZATION, "Basic YWxpY2U6d29uZGVybGFuZA==").body(String::new())?;
//! let res = app.oneshot(req).await?;
//! let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
//! assert_eq!(&body[..], b"alice admin=true");
//! # Ok(())
//! # }
//! ```

mod authenticator;
mod basic;
mod body;
mod cache;
mod clock;
mod error;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod login;
mod password;
mod store;
mod throttle;
mod user;

pub use authenticator::Authenticator;
pub use basic::{BasicAuth, BasicAuthLayer};
pub use body::AuthBody;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AuthError;
#[cfg(feature = "axum")]
pub use extract::{AuthRejection, CurrentUser};
pub use future::ResponseFuture;
pub use login::{
    AuthChecked, FINGERPRINT_KEY, LoginForm, Logout, MAX_FORM, RequireLogin, RequireLoginLayer,
    RequireRole, RequireRoleLayer, SessionAuth, SessionAuthLayer, USER_KEY, login, logout,
    logout_keeping, safe_next,
};
pub use password::{
    HasherBuilder, OWASP_ITERATIONS, OWASP_MEMORY_KIB, OWASP_PARALLELISM, PasswordHasher,
    SLOW_DEBUG_HASH,
};
pub use store::file::{LineProblem, UsersFile, parse_users};
pub use store::memory::MemoryUsers;
pub use throttle::{
    DEFAULT_ACCOUNT_FAILURES, DEFAULT_ACCOUNT_WINDOW, DEFAULT_THROTTLE_CAPACITY, MAX_NAME_LEN,
};
pub use user::{Roles, RolesExt, User, UserStore};
