//! Mount many apps of any type in one server, by path prefix and host, with
//! WSGI's `SCRIPT_NAME` / `PATH_INFO` split and a path normalisation that
//! no spelling of a URL can slip past. For anyone serving a blog, a forum
//! and an API from one process, each unaware of where it is mounted.
//!
//! In the `pastry` facade this crate is `pastry::urlmap` (feature `urlmap`, on
//! by default): `pastry_urlmap::UrlMap` is `pastry::urlmap::UrlMap`, and
//! `pastry_core::X` is `pastry::X`. The examples use the crate paths, so each
//! crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//!
//! use http::{Request, Response};
//! use http_body_util::BodyExt;
//! use pastry_core::Environ;
//! use pastry_urlmap::UrlMap;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pastry_core::BoxError> {
//! // The blog sees its own paths; `script_name` says where it is mounted.
//! let blog = service_fn(|req: Request<String>| async move {
//!     let text = format!("blog: {} + {}", req.script_name(), req.uri());
//!     Ok::<_, Infallible>(Response::new(text))
//! });
//!
//! // Whatever matches no mount goes to the wrapped service.
//! let app = ServiceBuilder::new()
//!     .layer(UrlMap::builder().mount("/blog", blog).into_layer()?)
//!     .service_fn(|req: Request<String>| async move {
//!         Ok::<_, Infallible>(Response::new(format!("site: {}", req.uri())))
//!     });
//!
//! let req = Request::get("/blog//posts/./1?page=2").body(String::new())?;
//! let body = app.clone().oneshot(req).await?.into_body().collect().await?.to_bytes();
//! assert_eq!(body, "blog: /blog + /posts/1?page=2");
//!
//! let req = Request::get("/blogger").body(String::new())?;
//! let body = app.oneshot(req).await?.into_body().collect().await?.to_bytes();
//! assert_eq!(body, "site: /blogger");
//! # Ok(())
//! # }
//! ```
//!
//! # Errors, and serving a map
//!
//! A mounted app's error leaves the map as a `BoxError` (apps mounted side
//! by side fail with different types) for the layer outside to answer.
//! With `pastry-catch`'s `CatchLayer` outermost, as in Pastry's standard
//! stack, the whole stack's `Error` is `Infallible`: it goes to hyper,
//! `pastry::serve`, or axum's `Router::fallback_service`, `route_service`
//! and `nest_service` as it is, with no adapter (the facade's
//! `tests/axum_serve.rs` serves one that way).
//!
//! # Changes
//!
//! Since 0.1.0:
//!
//! - An upgrade request (a WebSocket handshake, an HTTP/2 extended
//!   `CONNECT`) for exactly a prefix mounted with
//!   [`Mount::slash_redirect`] reaches the app with an empty path info
//!   instead of a `308` its client could not follow.
//! - A map starts with [`UrlMap::builder`] and ends with
//!   [`UrlMapBuilder::build`] (or [`UrlMapBuilder::into_layer`]), the one
//!   construction scheme of the crates; `UrlMap::new()` is its old name,
//!   kept for existing callers.
//! - [`UrlMapBuilder::mount`], [`UrlMapBuilder::host`],
//!   [`UrlMapBuilder::fallback`] and [`UrlMapLayer`] bound the app with
//!   `pastry_core::App` plus `Clone + Send + Sync + 'static`, a `Send`
//!   future and a `Send` body: the same requirements, said once.
//! - New: `From<Bytes>` for [`UrlMapBody`].
//! - The map's own `400 Bad Request` and `404 Not Found` come from
//!   `pastry_core::text_response_for` and carry `Content-Length` (on
//!   `HEAD` too, with an empty body).
//! - A request with several `Host` headers, or one that is not
//!   `host[:port]`, is answered `400 Bad Request` (RFC 9112 §3.2), as
//!   `pastry::serve` does; it used to take the first and treat a
//!   malformed one as absent. `host:` (empty port) names the default port.
//! - **[`Mount::rewrite_location`] puts the whole script name before a
//!   root-relative `Location`**: the one the app was given, outer prefixes
//!   included (a proxy's `X-Forwarded-Prefix` arriving as `ScriptName`, an
//!   outer map's mount), where it used to add only this map's prefix. So
//!   `ServeDir`'s redirect `/docs` → `/docs/` under `/static` behind
//!   `ScriptName("/app")` is `/app/static/docs/`. A `Location` gets the
//!   prefix once: maps outside one that rewrote it, or that answered with
//!   its own slash redirect, leave it alone (an outer map that opted in
//!   used to prefix an inner map's slash redirect a second time). A mount
//!   at `/` that opts in now adds the outer script name (it did nothing).

mod app;
mod body;
mod builder;
mod error;
mod future;
mod host;
mod layer;
mod mount;
mod path;
mod service;
mod table;
mod trie;

pub use body::UrlMapBody;
pub use builder::UrlMapBuilder;
pub use error::UrlMapError;
pub use future::ResponseFuture;
pub use layer::UrlMapLayer;
pub use mount::Mount;
pub use path::{InvalidPath, normalise_path};
pub use service::UrlMap;
