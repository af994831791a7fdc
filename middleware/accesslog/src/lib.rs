//! Writes one access-log entry per request, as a Common or Combined Log
//! Format line (Apache, Paste's TransLogger) or as a structured `tracing`
//! event, timed to the end of the response body. For anyone running an app
//! who wants to see who asked for what, and how it went, without a cookie,
//! a password or an `Authorization` value ever reaching the log.
//!
//! In the `pastry` facade this crate is `pastry::accesslog` (feature
//! `accesslog`, on by default): `pastry_accesslog::AccessLogLayer` is
//! `pastry::accesslog::AccessLogLayer`, and `pastry_core::X` is `pastry::X`.
//! The examples use the crate paths, so each crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//! use std::io::Write;
//! use std::sync::{Arc, Mutex};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! use http::{Request, Response};
//! use http_body_util::BodyExt;
//! use pastry_accesslog::{AccessLogLayer, Format};
//! use pastry_core::{ClientAddr, ManualClock, RemoteUser};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! #[derive(Clone, Default)]
//! struct Lines(Arc<Mutex<Vec<u8>>>);
//! impl Write for Lines {
//!     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
//!         self.0.lock().unwrap().write(buf)
//!     }
//!     fn flush(&mut self) -> std::io::Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pastry_core::BoxError> {
//! let lines = Lines::default();
//! let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(971_186_136));
//! let app = ServiceBuilder::new()
//!     .layer(AccessLogLayer::new().format(Format::Common).writer(lines.clone()).clock(clock))
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("hello")))
//!     }));
//!
//! let mut req = Request::get("/greet?name=ann").body(String::new())?;
//! req.extensions_mut().insert(ClientAddr("203.0.113.7:50000".parse()?));
//! req.extensions_mut().insert(RemoteUser::new("alice"));
//! let res = app.oneshot(req).await?;
//! res.into_body().collect().await?; // the entry is written when the body ends
//!
//! let log = String::from_utf8(lines.0.lock().unwrap().clone())?;
//! assert_eq!(
//!     log,
//!     "203.0.113.7 - alice [10/Oct/2000:13:55:36 +0000] \"GET /greet?name=ann HTTP/1.1\" 200 5\n"
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # What an entry holds
//!
//! - The client address as the request reached this layer: put it inside
//!   `pastry::proxy`'s layer, so the address is the client's, not the
//!   proxy's.
//! - The user (`REMOTE_USER`): the [`RemoteUser`](pastry_core::RemoteUser)
//!   of the request, or, since auth layers usually sit inside the log and
//!   set it on the request they pass on, the `RemoteUser` an inner layer
//!   put in the response's extensions.
//! - The request target as the client sent it: the script name set by
//!   layers outside (a proxy prefix) and the path and query; the values of
//!   secret-looking query parameters (`password`, `token`, `api_key`, …)
//!   are written `[redacted]`. No request header but `Referer` (without
//!   user info, secrets redacted) and `User-Agent` is read, so cookies and
//!   `Authorization` never appear.
//! - The status, the body bytes sent (after compression, outside
//!   `GzipLayer`), the duration from the request to the end of the body,
//!   and the `x-error-id` header `pastry::catch` sets (so the log goes
//!   outside `CatchLayer`).
//!
//! In a whole stack: `ProxyLayer`, then `AccessLogLayer`, then the rest
//! (`CrossOriginLayer`, `CatchLayer`, `GzipLayer`, sessions, auth, maps),
//! so every answer, a refusal or a caught panic too, gets its line.
//! - An upgrade's handshake (a WebSocket over HTTP/1.1 answered `101`, or
//!   over HTTP/2 an extended `CONNECT`, RFC 8441, answered `200`; see
//!   [`pastry_core::is_upgrade_response`]) gets its one entry when its head
//!   is answered, with no bytes and its duration to the head: the tunnel
//!   after it may stay open for hours and its bytes never pass through the
//!   layer. The line reads `"CONNECT /chat HTTP/2.0" 200` (or `"GET /chat
//!   HTTP/1.1" 101`); the `tracing` event adds `protocol`, the HTTP/2
//!   `:protocol` (hyper's `hyper::ext::Protocol` extension) or the HTTP/1.1
//!   `Upgrade` header (`-` for other requests). Common and Combined lines
//!   keep Apache's fields, so log tools still read them. A plain `CONNECT`
//!   writes its `host:port` as the target.
//! - An app that fails without a response is logged as 500; a request
//!   dropped before its response (the client left) as 499; a body dropped
//!   or failing before its end with what was sent so far (`completed =
//!   false` in the `tracing` event).

mod body;
mod config;
mod date;
mod future;
mod layer;
mod record;
mod service;

pub use body::AccessLogBody;
pub use config::{DEFAULT_MAX_FIELD_LEN, Format};
pub use future::ResponseFuture;
pub use layer::AccessLogLayer;
pub use service::AccessLog;
