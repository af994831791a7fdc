//! Pastry: reusable HTTP middleware for any tower service.
//!
//! Each middleware is its own crate, re-exported here as a module behind a
//! cargo feature of the same name: [`gzip`], [`catch`], [`sessions`],
//! [`auth`], [`urlmap`] (all on by default) and `testkit` (opt-in: a test
//! tool, so enable it in `[dev-dependencies]`). The environ types of
//! [`pastry_core`] are at the top level, [`serve`] runs any conforming app
//! on hyper, and [`BoxApp`] gives a whole stack one nameable type.
//!
//! A conforming app is any `tower::Service<http::Request<B>>` answering
//! `http::Response<R>`, with bodies implementing `http_body::Body<Data =
//! Bytes>`: a `tower::service_fn`, an axum `Router`, a hyper service or a
//! stack of Pastry layers.
//!
//! ```no_run
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use pastry::Environ;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = tower::service_fn(|req: Request<hyper::body::Incoming>| async move {
//!         let body = format!("you asked for {}\n", req.path_info());
//!         Ok::<_, Infallible>(Response::new(body))
//!     });
//!     pastry::serve("127.0.0.1:8080", app).await
//! }
//! ```

mod app;
mod serve;

pub use app::{BoxApp, BoxAppLayer, BoxBody};
// pastry-core's items stand at the top level rather than under a module
// named `core`, which would shadow the language's `core`.
pub use pastry_core::{
    App, BoxError, ClientAddr, Clock, CrossOrigin, EmptyPathInfo, Environ, HttpError, ManualClock,
    OriginalUri, RemoteUser, RequestHead, ScriptName, SystemClock, UrlScheme, check_cross_origin,
    header, html_escape, inner_accessors, text_response, text_response_for,
};
pub use serve::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_KEEP_ALIVE_INTERVAL, DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT, FD_RESERVE,
    Listen, MIN_MAX_CONNECTIONS, Serve, default_max_connections, serve,
};

#[cfg(feature = "auth")]
pub use pastry_auth as auth;
#[cfg(feature = "catch")]
pub use pastry_catch as catch;
#[cfg(feature = "gzip")]
pub use pastry_gzip as gzip;
#[cfg(feature = "sessions")]
pub use pastry_sessions as sessions;
#[cfg(feature = "testkit")]
pub use pastry_testkit as testkit;
#[cfg(feature = "urlmap")]
pub use pastry_urlmap as urlmap;

/// Keeps the README's Rust example compiling.
#[cfg(all(doctest, feature = "axum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
