//! Authentication for any tower service: argon2id password hashing, user
//! stores (in memory or an htpasswd-style file), HTTP Basic auth and
//! session login, hardened against the usual attacks (timing, guessing,
//! fixation, open redirects). For apps that need to know who is calling and
//! what they may do, as `RemoteUser` and [`Roles`].
//!
//! In the `pastry` facade this crate is `pastry::auth` (feature `auth`, on by
//! default): `pastry_auth::LoginForm` is `pastry::auth::LoginForm`, and
//! `pastry_core::X` is `pastry::X`. The examples use the crate paths, so each
//! crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode, header};
//! use pastry_auth::{Authenticator, BasicAuthLayer, MemoryUserStore, PasswordHasher, RolesExt, User};
//! use pastry_core::Environ;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! // Cheap argon2 parameters for the example; the default is OWASP's.
//! let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build()?;
//! let users = MemoryUserStore::new();
//! users.insert(User::builder("alice", hasher.hash_blocking("wonderland")?).roles(["admin"]).build());
//!
//! let app = ServiceBuilder::new()
//!     .layer(BasicAuthLayer::builder(Authenticator::new(users).hasher(hasher)).realm("Staff").build()?)
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
//!
//! # Limits
//!
//! Every limit has a safe default and a setting:
//!
//! | limit | default | setting |
//! |---|---|---|
//! | user name length looked up | [`MAX_NAME_LEN`] = 256 bytes (longer: wrong credentials, no work) | fixed |
//! | failures per name and address | 5, then 1 s doubling to 15 min | [`Authenticator::max_failures`], [`Authenticator::lockout`] |
//! | failures per account, all addresses | [`DEFAULT_ACCOUNT_FAILURES`] = 100 per [`DEFAULT_ACCOUNT_WINDOW`] = 1 h | [`Authenticator::account_limit`] |
//! | throttle records (each table) | [`DEFAULT_THROTTLE_CAPACITY`] = 100 000, oldest evicted | [`Authenticator::throttle_capacity`] |
//! | concurrent argon2 runs, and argon2 memory buffers kept | one per CPU | [`HasherBuilder::max_concurrent`] |
//! | argon2 runs waiting | 64, each at most 2 s | [`HasherBuilder::max_queue`], [`HasherBuilder::max_wait`] |
//! | login / logout form body | [`MAX_FORM`] = 16 KiB (413) | fixed |
//! | cached verified credentials | 4096 for 30 s | [`Authenticator::cache_capacity`], [`Authenticator::cache_ttl`] |
//! | bearer token length | 512 bytes (longer: 401, no lookup) | fixed |
//! | failed token attempts per address | as failures per name and address, under a name of their own | [`BearerAuthLayer::share_throttle`] |
//!
//! # API tokens
//!
//! Scripts call an app with `Authorization: Bearer pst_…` through
//! [`BearerAuthLayer`]. A token ([`ApiToken`]) has 256 random bits, a
//! name, the user it acts for, the roles it grants and an optional expiry;
//! it is shown once when made and kept only as a SHA-256 digest, in memory
//! ([`MemoryTokenStore`]) or in a tokens file ([`FileTokenStore`]) that
//! `pastry-passwd token create|list|revoke` edits. Every way of logging
//! in ends in the same `RemoteUser` and [`Roles`], so [`RequireLogin`] and
//! [`RequireRole`] guard token and password users alike.
//!
//! # Debug builds
//!
//! argon2 is about 16 times slower unoptimised: a login takes ~0.4 s in a
//! debug build of your app instead of ~0.03 s. Optimise argon2 (and its
//! hash) even in debug builds, in your workspace `Cargo.toml`:
//!
//! ```toml
//! [profile.dev.package.argon2]
//! opt-level = 3
//!
//! [profile.dev.package.blake2]
//! opt-level = 3
//! ```
//!
//! In a debug build, an argon2 run slower than [`SLOW_DEBUG_HASH`] logs
//! this advice once, as a warning.
//!
//! # Layer order
//!
//! From the outside in: `SessionLayer`, then [`SessionAuthLayer`] (or
//! [`BasicAuthLayer`]), then the guards ([`RequireLoginLayer`],
//! [`RequireRoleLayer`]) and the services ([`LoginForm`], [`Logout`]).
//! A layer whose partner is missing answers 500 and logs, at error level,
//! what to move where.
//!
//! # Features
//!
//! - `sessions` (default): session login through `pastry-sessions`
//!   ([`SessionAuthLayer`], [`LoginForm`], [`Logout`], [`login`],
//!   [`logout`]). `pastry-sessions` comes without any store; the app
//!   enables the one it uses (`memory`, `file`, `sqlite`) there. Without
//!   this feature: passwords, user stores, Basic auth and the guards.
//! - `cli`: the `pastry-passwd` program, which adds users to a users file
//!   and reads passwords from the terminal (`rpassword`), and makes, lists
//!   and revokes API tokens in a tokens file.
//! - `axum`: `CurrentUser`, an extractor of the logged-in user (401 when
//!   anonymous; `Option<CurrentUser>` for pages that serve both), and
//!   `IntoResponse` for [`AuthError`].
//!
//! # Changes
//!
//! Since 0.1.0:
//!
//! - **metrics feature** (off by default): failed logins and
//!   attempts refused during a lockout (by reason, `address` or
//!   `account`) counted through the `metrics` facade
//!   (`pastry_auth_failed_logins_total`, `pastry_auth_lockouts_total`).
//!   Never a user name in a label.
//! - **API tokens**: [`BearerAuthLayer`], [`ApiToken`], [`TokenStore`]
//!   with [`MemoryTokenStore`] and [`FileTokenStore`], the
//!   `pastry-passwd token` commands, and [`AuthError::TokenExists`].
//! - **[`AuthBody`] is `pastry_core::LayerBody`**, the one body
//!   of every Pastry layer that answers on its own (the CORS and
//!   cross-origin layers use it too): code that names `AuthBody<B>`
//!   compiles as before; its `Debug` output now reads `LayerBody::…`.
//! - **[`RequireLogin`] answers an anonymous upgrade request with 401**,
//!   not the 303 to the login page: a WebSocket handshake over
//!   HTTP/1.1 or an HTTP/2 extended `CONNECT` cannot follow a redirect.
//!   Other requests are answered as before (303, or the JSON 401).
//! - **The response to a logged-in user's request carries their
//!   `pastry_core::RemoteUser`** in its extensions, from [`BasicAuth`]
//!   (valid credentials) and [`SessionAuth`] (a logged-in session), as
//!   well as the request passed on: layers outside the auth layer, which
//!   never see that request, read the user there (`pastry_accesslog`
//!   writes it as `REMOTE_USER`). A `RemoteUser` the app or an inner layer
//!   put in the response stays; refusals and anonymous requests carry
//!   none.
//! - **Responses for a logged-in user default to `Cache-Control: private`**
//!   (OWASP "Web Content Caching", as Rails does): what
//!   [`BasicAuth`] passes with valid credentials, what [`SessionAuth`]
//!   passes for a logged-in session (anonymous requests are left alone),
//!   and what [`RequireLogin`] and [`RequireRole`] let through, so a shared
//!   cache never hands one user's page to another. An app that sets its own
//!   `Cache-Control` keeps it: set `public` (or anything) on a response to
//!   opt out. The middleware's own refusals (401, 403, 303) are unchanged.
//! - **[`login`] rotates the synchronizer token**: it removes
//!   `pastry_core::CSRF_SESSION_KEY` from the session, so
//!   `pastry_origin::CsrfTokenLayer` makes a fresh token after login and a
//!   token seen before login is refused after it.
//! - [`LoginForm`] and [`Logout`] **go by the cross-origin layer's rules**:
//!   when `pastry_origin::CrossOriginLayer` passed the request (it carries
//!   `pastry_core::CrossOriginChecked`), its decision stands (its trusted
//!   origins and exempt paths); without the layer they check on their own
//!   with `pastry_core::check_cross_origin`, as before.
//! - [`LoginForm`] renders the session's synchronizer token as a hidden
//!   `csrf_token` field (on `GET` and when a failed login shows the form
//!   again) when the request carries a `pastry_core::CsrfToken`, which
//!   `pastry_origin::CsrfTokenLayer` puts there; without that layer the
//!   form is as before.
//! - The counters for tests (`PasswordHasher::argon2_runs`,
//!   `verifications`, `dummy_verifications`) are hidden from the docs;
//!   they are not part of the API. The public signatures name only this
//!   crate's types, `pastry-core`'s, the contract's (`http`, `http-body`,
//!   `bytes`, `tower`'s `Layer` and `Service`), `std`'s, and
//!   `pastry_sessions::Session` (in [`login`], [`logout`],
//!   [`logout_keeping`]: session login is built on that crate), plus
//!   axum's traits behind the `axum` feature.
//! - **Setters no longer fail**; settings are checked where the layer or
//!   service is built: `BasicAuthLayer::realm(..)?` is
//!   `BasicAuthLayer::builder(auth).realm(..).build()?` (new
//!   [`BasicAuthLayerBuilder`]), `LoginForm::new(auth).default_next(..)?`
//!   is `LoginForm::builder(auth).default_next(..).build()?` (new
//!   [`LoginFormBuilder`]) and `Logout::new().default_next(..)?` is
//!   `Logout::builder().default_next(..).build()?` (new
//!   [`LogoutBuilder`]). The fallible setters are gone; the errors are the
//!   same ([`AuthError::InvalidRealm`], [`AuthError::InvalidPath`]).
//!   `BasicAuthLayer::new`, `LoginForm::new`, `Logout::new` and
//!   [`Logout::keep`] are unchanged.
//! - **Names**: the user stores are [`MemoryUserStore`] and
//!   [`FileUserStore`] (were `MemoryUsers` and `UsersFile`, kept as
//!   deprecated aliases), so they do not read as session stores. A
//!   [`User`]'s methods read and a [`UserBuilder`]'s set, under the same
//!   names: **`User::roles()` returns the roles** (it was a setter; was
//!   `role_list()`, now deprecated) and `User::credential_version()`
//!   returns the version (it was a setter; was `version()`, now
//!   deprecated). Set them with
//!   `User::builder(name, hash).roles([..]).credential_version(n).build()`
//!   (new [`User::builder`], [`UserBuilder`]); [`User::new`] is unchanged.
//! - **Features**: session login is behind the default feature
//!   `sessions`, and `pastry-sessions` comes without default features (no
//!   store, no bundled SQLite; the app enables the store it uses). The
//!   `pastry-passwd` program needs the new feature `cli`
//!   (`cargo run -p pastry-auth --features cli --bin pastry-passwd`), and
//!   `rpassword` is no longer a dependency of the library. The crate
//!   builds and tests with no default features and with each feature
//!   alone (the tests of session login need `sessions`).
//! - [`Clock`], [`ManualClock`] and [`SystemClock`] are `pastry_core`'s,
//!   re-exported here: `Clock` has `now()` (wall time, a `SystemTime`) and
//!   `instant()` (monotonic; what `now()` used to return), so a clock of
//!   your own implements both. New: `ManualClock::at`.
//! - The services ([`BasicAuth`], [`SessionAuth`], [`RequireLogin`],
//!   [`RequireRole`]) bound the app they wrap with `pastry_core::App`:
//!   its errors convert into `BoxError` and its body is a
//!   `Body<Data = Bytes>` whose errors do too.
//! - [`RolesExt`] is implemented for every `pastry_core::RequestHead` (a
//!   request or its `Parts`, as before) instead of a sealed trait of its
//!   own.
//! - The plain-text refusals the middleware writes itself (401, 403, 405,
//!   413, 415, 429, 500, 503) come from `pastry_core::text_response` and
//!   carry `Content-Length`.
//! - **[`logout`] clears the whole session** (Django's and OWASP's rule),
//!   deleting the record and expiring the cookie; it used to remove only the
//!   login keys, leaving a cart or notes to the next user of the browser.
//!   [`logout_keeping`] keeps named keys under a new id. New: [`Logout`],
//!   a ready `POST`-only logout service (405 with `Allow: POST` otherwise,
//!   403 for cross-origin requests, `next` checked by [`safe_next`]).
//! - [`LoginForm`] refuses cross-origin `POST`s with a 403 (login CSRF),
//!   by `pastry_core::check_cross_origin`, and answers every request with
//!   a logged 500 when no `SessionLayer` is outside it (it used to render
//!   the form on `GET`).
//! - **Wrong layer order is a 500 with an error-level log**:
//!   [`SessionAuthLayer`] without a session (it used to pass the request
//!   on, anonymous, with a debug event), [`RequireLoginLayer`] and
//!   [`RequireRoleLayer`] with no auth layer before them (they used to
//!   redirect or 403). Auth layers now mark requests with [`AuthChecked`];
//!   a custom auth layer should insert it too.
//! - New credential versions ([`UserBuilder::credential_version`],
//!   [`User::credential_version`]): a session of a
//!   user with a version is bound to it instead of the password hash's
//!   fingerprint, so users built in code survive a restart. Sessions of
//!   users without one are unchanged. The reason a session login stopped
//!   counting is logged at info (warn for a changed hash).
//! - Throttling: records are keyed by a keyed digest of the name (fixed
//!   size) in tables bounded by [`Authenticator::throttle_capacity`] (new,
//!   default [`DEFAULT_THROTTLE_CAPACITY`]; the old sweep past 10 000 idle
//!   records is gone); names over [`MAX_NAME_LEN`] fail at once;
//!   **failures per account across addresses are limited** (new
//!   [`Authenticator::account_limit`], default 100 an hour: the 101st
//!   failure in an hour is a 429 even from a new address); IPv6 clients
//!   are throttled by /64. New [`Authenticator::throttle_len`].
//! - [`PasswordHasher`] reuses at most `max_concurrent` argon2 memory
//!   buffers (new [`PasswordHasher::memory_buffers`]), makes its dummy
//!   hash when built, without running argon2 (new
//!   [`PasswordHasher::dummy_hash`]), counts argon2 runs (for tests,
//!   hidden from the docs), and warns once in slow debug builds
//!   ([`SLOW_DEBUG_HASH`]). Results are compared with `subtle`.
//! - New public constants: [`MAX_NAME_LEN`], [`DEFAULT_THROTTLE_CAPACITY`],
//!   [`DEFAULT_ACCOUNT_FAILURES`], [`DEFAULT_ACCOUNT_WINDOW`],
//!   [`MAX_FORM`], [`SLOW_DEBUG_HASH`]. New feature `axum`
//!   (`CurrentUser`, `AuthRejection`, `IntoResponse for AuthError`).

mod authenticator;
mod basic;
mod body;
mod cache;
mod error;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod login;
mod password;
mod store;
mod throttle;
mod token;
mod user;

pub use authenticator::Authenticator;
pub use basic::{BasicAuth, BasicAuthLayer, BasicAuthLayerBuilder};
pub use body::AuthBody;
pub use error::AuthError;
#[cfg(feature = "axum")]
pub use extract::{AuthRejection, CurrentUser};
pub use future::ResponseFuture;
pub use login::{
    AuthChecked, RequireLogin, RequireLoginLayer, RequireRole, RequireRoleLayer, safe_next,
};
#[cfg(feature = "sessions")]
pub use login::{
    FINGERPRINT_KEY, LoginForm, LoginFormBuilder, Logout, LogoutBuilder, MAX_FORM, SessionAuth,
    SessionAuthLayer, USER_KEY, login, logout, logout_keeping,
};
pub use password::{
    HasherBuilder, OWASP_ITERATIONS, OWASP_MEMORY_KIB, OWASP_PARALLELISM, PasswordHasher,
    SLOW_DEBUG_HASH,
};
pub use store::file::{FileUserStore, LineProblem, parse_users};
pub use store::memory::MemoryUserStore;

/// The old name of [`MemoryUserStore`].
#[deprecated(since = "0.2.0", note = "renamed `MemoryUserStore`")]
pub type MemoryUsers = MemoryUserStore;

/// The old name of [`FileUserStore`].
#[deprecated(since = "0.2.0", note = "renamed `FileUserStore`")]
pub type UsersFile = FileUserStore;
pub use throttle::{
    DEFAULT_ACCOUNT_FAILURES, DEFAULT_ACCOUNT_WINDOW, DEFAULT_THROTTLE_CAPACITY, MAX_NAME_LEN,
};
pub use token::{
    ApiToken, BearerAuth, BearerAuthLayer, FileTokenStore, MemoryTokenStore, TOKEN_PREFIX,
    TokenDigest, TokenSecret, TokenStore,
};
pub use user::{Roles, RolesExt, User, UserBuilder, UserStore};

/// The clocks of `pastry-core`, re-exported: give an [`Authenticator`] a
/// [`ManualClock`] to move its cache expiry and lockouts by hand.
pub use pastry_core::{Clock, ManualClock, SystemClock};
