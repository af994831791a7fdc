//! Pastry: reusable HTTP middleware for any tower service.
//!
//! Each middleware is its own crate, re-exported here as a module behind a
//! cargo feature of the same name: [`gzip`], [`catch`], [`sessions`],
//! [`auth`], [`urlmap`], [`origin`], [`proxy`], [`accesslog`] (all on by
//! default), `cors` (opt-in: CORS loosens the same-origin policy, so an
//! app turns it on knowingly), `conditional` (opt-in: conditional GET,
//! which reads bounded bodies to hash them into ETags), `metrics`
//! (opt-in: Prometheus metrics, and the other crates' own counters),
//! `ratelimit` (opt-in: per-client rate limits, a policy the app picks),
//! `oidc` (opt-in: OpenID Connect login through a provider, which it needs),
//! `config` (opt-in: a whole stack from a `pastry.toml`, see `pastry::config`;
//! `cli` adds the `pastry` command that checks and serves one) and
//! `testkit`
//! (opt-in: a test tool, so enable it in `[dev-dependencies]`). Feature
//! `axum` adds the session and user
//! extractors; `redis`, `redis-tls` and `postgres` add the session stores
//! on those servers (`redis` also the rate limiter's Redis store);
//! `cookie-store` adds the session store that seals the session into its
//! cookie; `br`
//! and `zstd` add brotli and zstd to [`gzip`] (off by default). The environ types of
//! [`pastry_core`] are at the top level, [`serve`] runs any conforming app
//! on hyper (feature `serve`, on by default; without it the facade does
//! not depend on hyper), and [`BoxApp`] gives a whole stack one nameable
//! type.
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
//!
//! # Changes
//!
//! 0.2.0
//! - `pastry::core` is gone (it shadowed the language's `core`): pastry-core's
//!   items stand at the top level, now with `App`, `RequestHead`, `Clock`,
//!   `ManualClock`, `SystemClock`, `inner_accessors!`, `text_response`,
//!   `text_response_for`, `check_cross_origin` and `CrossOrigin`.
//! - New [`BoxApp`] (one nameable type for a stack, any request body),
//!   feature `axum` (the session and user extractors), [`Listen::from_env_or`]
//!   (systemd socket activation and `systemfd`).
//! - [`serve`] is bounded against hostile clients, and some of its answers
//!   change: the header-read timeout now runs from accept for HTTP/2 too; an
//!   idle connection is closed after [`DEFAULT_IDLE_TIMEOUT`] (HTTP/2 with
//!   GOAWAY) and HTTP/2 sends keep-alive pings; a body stalled longer than
//!   [`DEFAULT_BODY_READ_TIMEOUT`] between frames gets `408` and the
//!   connection closes; an HTTP/1.1 request without exactly one valid `Host`
//!   gets `400`; at most [`default_max_connections`] connections are open at
//!   once (new ones wait in the kernel backlog); without a tracing
//!   subscriber, `serve` prints its listening address and startup errors to
//!   stderr (`.quiet(true)` turns that off).
//! - WebSockets and event streams: [`serve`] speaks WebSocket over HTTP/2
//!   (RFC 8441; [`Serve::http2_extended_connect`]), puts a
//!   [`ShutdownSignal`] in every request and, on shutdown, waits for
//!   upgraded connections and open streams up to the shutdown timeout, then
//!   closes them before returning (it used to return at once and leave
//!   them running); an upgraded connection counts toward the cap and is
//!   closed after [`DEFAULT_UPGRADED_IDLE_TIMEOUT`] without data.
//! - [`serve`], [`Serve`] and [`Listen`] are behind the feature `serve`
//!   (on by default), so a program that serves its stack some other way
//!   (axum, its own hyper loop) can leave hyper's server out.
//! - New feature `config`: `pastry::config` builds a stack from a
//!   `pastry.toml` (`load`, `Registry`, `Stack`); feature `cli`: the
//!   `pastry` command (`pastry check FILE`, `pastry serve FILE`).

mod app;
#[cfg(feature = "config")]
pub mod config;
#[cfg(feature = "serve")]
mod serve;

pub use app::{BoxApp, BoxAppLayer, BoxBody};
// pastry-core's items stand at the top level rather than under a module
// named `core`, which would shadow the language's `core`.
pub use pastry_core::{
    App, BoxError, ClientAddr, Clock, CrossOrigin, EmptyPathInfo, Environ, HttpError, ManualClock,
    OriginalUri, RemoteUser, RequestHead, ScriptName, ShutdownSignal, ShutdownTrigger, SystemClock,
    UrlScheme, check_cross_origin, header, html_escape, inner_accessors, text_response,
    text_response_for,
};
#[cfg(feature = "serve")]
pub use serve::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_KEEP_ALIVE_INTERVAL, DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT,
    DEFAULT_UPGRADED_IDLE_TIMEOUT, FD_RESERVE, Listen, MIN_MAX_CONNECTIONS, Serve,
    default_max_connections, serve,
};

#[cfg(feature = "accesslog")]
pub use pastry_accesslog as accesslog;
#[cfg(feature = "auth")]
pub use pastry_auth as auth;
#[cfg(feature = "catch")]
pub use pastry_catch as catch;
#[cfg(feature = "conditional")]
pub use pastry_conditional as conditional;
#[cfg(feature = "cors")]
pub use pastry_cors as cors;
#[cfg(feature = "gzip")]
pub use pastry_gzip as gzip;
#[cfg(feature = "metrics")]
pub use pastry_metrics as metrics;
#[cfg(feature = "oidc")]
pub use pastry_oidc as oidc;
#[cfg(feature = "origin")]
pub use pastry_origin as origin;
#[cfg(feature = "proxy")]
pub use pastry_proxy as proxy;
#[cfg(feature = "ratelimit")]
pub use pastry_ratelimit as ratelimit;
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
