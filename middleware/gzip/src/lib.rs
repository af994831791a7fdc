//! Gzip compression middleware for any tower service, correct to the letter
//! of HTTP (q-value negotiation, `Vary`, weak ETags, HEAD, exact
//! `Content-Length`, per-event flushing for server-sent events) for apps
//! that want smaller responses without breaking caches or streams; and, as a
//! layer of its own ([`GunzipRequestsLayer`]), gzip request bodies decoded
//! with a size limit.
//! Bodies known up front are compressed in one libdeflate call; the rest are
//! streamed with zlib-rs, with compressors pooled across responses.
//!
//! In the `pastry` facade this crate is `pastry::gzip` (feature `gzip`, on by
//! default): `pastry_gzip::GzipLayer` is `pastry::gzip::GzipLayer`, and
//! `pastry_core::X` is `pastry::X`. The examples use the crate paths, so each
//! crate stays usable alone.
//!
//! ```
//! use bytes::Bytes;
//! use http::{Request, Response, header};
//! use http_body_util::{BodyExt, Full};
//! use pastry_gzip::GzipLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let page = "<p>hello, gzip</p>".repeat(100);
//! let app = ServiceBuilder::new().layer(GzipLayer::new()).service(service_fn(move |_req: Request<()>| {
//!     let page = page.clone();
//!     async move {
//!         let res = Response::builder()
//!             .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
//!             .body(Full::new(Bytes::from(page)))
//!             .unwrap();
//!         Ok::<_, std::convert::Infallible>(res)
//!     }
//! }));
//!
//! let req = Request::get("/").header(header::ACCEPT_ENCODING, "gzip, br").body(()).unwrap();
//! let res = app.oneshot(req).await.unwrap();
//! assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
//! assert_eq!(res.headers()[header::VARY], "accept-encoding");
//! let gz = res.into_body().collect().await.unwrap().to_bytes();
//! assert!(gz.len() < 100);
//! # });
//! ```
//!
//! # Changes
//!
//! - **Upgrades pass untouched** (issue 24): [`GzipLayer`] never
//!   compresses, nor adds `Vary` to, the answer to an upgrade (a `101`, or
//!   a 2xx answering `CONNECT`, which HTTP/2 WebSockets use, RFC 8441);
//!   before, a 2xx to `CONNECT` with a compressible type was compressed
//!   and given a `Content-Length`, which makes hyper reset the HTTP/2
//!   stream. [`GunzipRequestsLayer`] leaves the body of an upgrade request
//!   as sent.
//! - **Two layers for two jobs** (issue 19): request decompression is its
//!   own middleware, [`GunzipRequestsLayer`] / [`GunzipRequests`] (response
//!   future [`GunzipFuture`], response body [`GunzipResponseBody`]); the app
//!   still sees a [`DecompressBody`], with the same limit, 413 and 400.
//!   [`GzipLayer`] and [`Gzip`] only compress responses and lose their type
//!   parameter (`GzipLayer<D>`, `Gzip<S, D>` become `GzipLayer`, `Gzip<S>`);
//!   `PlainRequests`, `DecompressRequests` and `GzipLayer::get_requests` are
//!   gone. [`GzipLayer::decompress_requests`] stays for compatibility and
//!   now returns the two layers stacked (`Stack<GunzipRequestsLayer,
//!   GzipLayer>`, a `Gzip<GunzipRequests<S>>` when applied); write
//!   `ServiceBuilder::new().layer(GzipLayer::new()).layer(GunzipRequestsLayer::new(limit))`
//!   instead. The one visible difference: the 400/413 refusal now passes
//!   through the outer [`Gzip`] like any response, so with
//!   [`min_size`](GzipLayer::min_size) under its length (about 40 bytes) a
//!   client accepting gzip gets it compressed.

mod body;
mod codec;
mod config;
mod error;
mod future;
mod gunzip;
mod layer;
mod level;
mod negotiate;
mod pool;
mod service;

pub use body::GzipBody;
pub use error::GzipError;
pub use future::ResponseFuture;
pub use gunzip::{
    DecompressBody, GunzipFuture, GunzipRequests, GunzipRequestsLayer, GunzipResponseBody,
};
pub use layer::{DEFAULT_BUFFER_LIMIT, DEFAULT_MIN_SIZE, GzipLayer};
pub use level::Level;
pub use negotiate::{Streaming, accepts_gzip, compressible_content_type};
pub use service::Gzip;
