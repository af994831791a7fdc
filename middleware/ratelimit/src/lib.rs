//! Per-client rate limits for any tower service: each request is counted
//! against its key (the client address, the authenticated user, or any
//! function of the request) by GCRA, and a key over its [`Policy`] gets
//! `429 Too Many Requests` with `Retry-After`. For APIs and login forms
//! that one client must not flood; the counts live in memory (bounded) or,
//! with the `redis` feature, in Redis, shared by every app server.
//!
//! In the `pastry` facade this crate is `pastry::ratelimit` (feature
//! `ratelimit`, off by default; the facade's `redis` feature turns on this
//! crate's `redis` too). The examples use the crate paths, so each crate
//! stays usable alone. With the `metrics` feature (the facade's `metrics`
//! turns it on) each 429 is counted as `pastry_ratelimit_limited_total`,
//! labelled by `backend` (`memory` or `redis`), for `pastry-metrics` to
//! render.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use pastry_core::ClientAddr;
//! use pastry_ratelimit::{Policy, RateLimitLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let app = ServiceBuilder::new()
//!     .layer(
//!         RateLimitLayer::builder(Policy::per_minute(60).burst(2))
//!             .headers(true)
//!             .build()?,
//!     )
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("hello")))
//!     }));
//!
//! let from = |addr: &str| -> Result<Request<String>, Box<dyn std::error::Error + Send + Sync>> {
//!     let mut req = Request::get("/").body(String::new())?;
//!     req.extensions_mut().insert(ClientAddr(addr.parse()?));
//!     Ok(req)
//! };
//! // A burst of two from one client passes...
//! let res = app.clone().oneshot(from("192.0.2.1:50000")?).await?;
//! assert_eq!(res.status(), StatusCode::OK);
//! assert_eq!(res.headers()["ratelimit-policy"], "\"default\";q=2;w=2");
//! assert_eq!(res.headers()["ratelimit"], "\"default\";r=1;t=1");
//! assert_eq!(app.clone().oneshot(from("192.0.2.1:50001")?).await?.status(), 200);
//!
//! // ...the third is refused until a second has passed (60 a minute)...
//! let res = app.clone().oneshot(from("192.0.2.1:50002")?).await?;
//! assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
//! assert_eq!(res.headers()["retry-after"], "1");
//! assert_eq!(res.headers()["ratelimit"], "\"default\";r=0;t=2");
//!
//! // ...and another client has its own budget.
//! assert_eq!(app.oneshot(from("198.51.100.7:40000")?).await?.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! # The rules and their defaults
//!
//! | request | answer |
//! |---|---|
//! | its key within the policy | passed to the app; with [`headers(true)`](RateLimitLayerBuilder::headers), `RateLimit-Policy` and `RateLimit` added to the answer |
//! | its key over the policy | `429 Too Many Requests` from the layer (the app is not called), `Retry-After` in whole seconds rounded up, a one-line `text/plain` body (empty for `HEAD`), the `RateLimit` fields when enabled; logged at debug (target `pastry_ratelimit`) |
//! | no key (no client address, or the key function returned `None`) | passed to the app, not counted |
//! | Redis store, Redis down or slower than the timeout | passed to the app without the fields (fail open, the default), or `503` with `Retry-After: 1` ([`fail_closed(true)`](RateLimitLayerBuilder::fail_closed)); one warning when the outage starts, one info line when Redis answers again |
//!
//! | setting | default | why |
//! |---|---|---|
//! | [key](RateLimitLayerBuilder::key_by_client_addr) | client address, IPv6 by /64 | a client picks any address of its /64; behind a proxy put the proxy layer outside this one |
//! | [`headers`](RateLimitLayerBuilder::headers) | off | the fields tell clients the policy; some sites would rather not |
//! | [`max_keys`](RateLimitLayerBuilder::max_keys) | 100 000 | bounds memory under a flood of addresses: the key idle the longest goes first |
//! | `redis_timeout` (feature `redis`) | 250 ms | a limiter must not become the slow part of every request |
//! | [`fail_closed`](RateLimitLayerBuilder::fail_closed) | off (fail open) | a rate limiter's store outage should not take the site down |
//!
//! GCRA (the generic cell rate algorithm, as the `governor` crate uses)
//! keeps one time per key: a key that sent nothing for a while may send a
//! whole burst at once, then one request per `period / count`. The Redis
//! store runs the same step as one Lua script per request, atomically on
//! the server, so N app servers enforce one limit.
//!
//! Policies can differ per mount: each layer has its own counts, so put
//! one layer around each mounted app (a strict one around `/login`, a
//! looser one around `/api`), and give each its own
//! [`name`](RateLimitLayerBuilder::name) when they share a Redis server.

#![deny(missing_docs)]

mod body;
mod config;
mod error;
mod future;
mod gcra;
mod key;
mod layer;
mod policy;
mod service;
mod store;

pub use body::RateLimitBody;
pub use error::RateLimitError;
pub use future::ResponseFuture;
pub use layer::{RateLimitLayer, RateLimitLayerBuilder};
pub use policy::Policy;
pub use service::RateLimit;
