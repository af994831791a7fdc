//! Prometheus metrics for any tower service: [`MetricsLayer`] counts the
//! requests through it by mount, method and status class, times each to
//! the end of its response body, and counts the bytes sent and the
//! requests in flight; [`MetricsHandle`] renders them, and the other
//! Pastry crates' own counters, as the Prometheus text a scrape of
//! [`MetricsHandle::endpoint`] reads. For operators who want dashboards and
//! alerts without a label per URL.
//!
//! In the `pastry` facade this crate is `pastry::metrics` (feature
//! `metrics`, off by default), and that feature also turns on the
//! `metrics` feature of `pastry-sessions`, `pastry-auth`, `pastry-gzip`
//! and `pastry-catch`.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use pastry_metrics::{MetricsHandle, MetricsLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let handle = MetricsHandle::new();
//! let app = ServiceBuilder::new()
//!     .layer(MetricsLayer::new(&handle).mount("api"))
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("hello")))
//!     }));
//!
//! let res = app.oneshot(Request::get("/users/42").body(String::new())?).await?;
//! drop(res); // the request ends with its body
//!
//! let text = handle.render();
//! assert!(text.contains(
//!     r#"pastry_http_requests_total{mount="api",method="GET",status="2xx"} 1"#
//! ));
//! assert!(text.contains(
//!     r#"pastry_http_request_duration_seconds_count{mount="api",method="GET",status="2xx"} 1"#
//! ));
//! assert!(text.contains(r#"pastry_http_requests_in_flight{mount="api"} 0"#));
//! assert!(!text.contains("/users/42"));
//! # Ok(())
//! # }
//! ```
//!
//! # The metrics
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `pastry_http_requests_total` | counter | `mount`, `method`, `status` | requests answered, counted when the response head is known |
//! | `pastry_http_request_duration_seconds` | histogram | `mount`, `method`, `status` | from the request reaching the layer to the end of its body, or the body dropped unfinished (as `pastry-accesslog` times it) |
//! | `pastry_http_requests_in_flight` | gauge | `mount` | requests whose response body has not ended |
//! | `pastry_http_response_body_bytes_total` | counter | `mount`, `method`, `status` | body bytes sent through the layer (inside a gzip layer: before compression) |
//!
//! Every label value comes from a short list, so the number of series is
//! fixed by the app's shape, never by its traffic:
//!
//! - `mount`: the name given to the layer ([`MetricsLayer::mount`]), else
//!   the script name the request reached the layer with (`/` at the root);
//!   never the path. At most [`DEFAULT_MAX_MOUNTS`] distinct names per
//!   layer ([`MetricsLayer::max_mounts`]), the rest as `other`.
//! - `method`: `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `CONNECT`,
//!   `OPTIONS`, `TRACE`, `PATCH`, or `OTHER`.
//! - `status`: `1xx` to `5xx`. An app's error (no response) counts as
//!   `5xx` and a request dropped before its answer (the client left) as
//!   `4xx`, as the access log writes them 500 and 499. An upgrade (a
//!   WebSocket handshake) ends with its head: the tunnel is not timed.
//!
//! # Pastry's own metrics
//!
//! The other crates record through the `metrics` facade with their
//! `metrics` feature (off by default; the facade's `metrics` feature turns
//! on all of them), labelled by store kind, operation, reason or coding,
//! never by a session id or a user name. [`names`] lists each with its
//! labels:
//!
//! | crate | metrics |
//! |---|---|
//! | `pastry-sessions` | `pastry_sessions_loaded_total`, `pastry_sessions_saved_total`, `pastry_sessions_cas_conflicts_total`, `pastry_sessions_cas_replays_total` (by `store`), `pastry_sessions_store_duration_seconds` (by `store`, `op`) |
//! | `pastry-auth` | `pastry_auth_failed_logins_total`, `pastry_auth_lockouts_total` (by `reason`) |
//! | `pastry-gzip` | `pastry_gzip_bytes_in_total`, `pastry_gzip_bytes_out_total` (by `coding`): their ratio is the compression ratio |
//! | `pastry-catch` | `pastry_catch_panics_total` |
//! | `pastry-ratelimit` | `pastry_ratelimit_limited_total` (by `backend`: `memory`, `redis`): requests refused with 429 |
//!
//! # Why the `metrics` facade
//!
//! This crate uses the [`metrics`](https://docs.rs/metrics) facade and
//! `metrics-exporter-prometheus` (without its HTTP listener and push
//! gateway: [`MetricsHandle::render`] writes the text and your own stack
//! serves it) rather than `prometheus-client`. The facade lets the other
//! Pastry crates record with one `metrics::counter!` line behind a
//! feature, without a registry handed through every layer's settings, and
//! costs nothing when no recorder is installed. The layer itself records
//! straight into its handle, so each handle (each test) has its own
//! registry, whatever recorder the process has.
//!
//! To see the other crates' metrics, make the handle the global recorder
//! once at start-up with [`MetricsHandle::install`]; in tests, give each
//! test its own handle and set it as the thread's recorder
//! (`metrics::set_default_local_recorder(handle.recorder())`, on a
//! current-thread runtime).

mod body;
mod endpoint;
mod error;
mod future;
mod handle;
mod labels;
mod layer;
pub mod names;
mod record;
mod service;

pub use body::MetricsBody;
pub use endpoint::{CONTENT_TYPE, MetricsEndpoint};
pub use error::MetricsError;
pub use future::ResponseFuture;
pub use handle::{DEFAULT_BUCKETS, MetricsHandle, MetricsHandleBuilder};
pub use layer::{DEFAULT_MAX_MOUNTS, MetricsLayer};
pub use service::Metrics;
