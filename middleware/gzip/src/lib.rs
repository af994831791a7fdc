//! Gzip compression middleware for any tower service, correct to the letter
//! of HTTP (q-value negotiation, `Vary`, weak ETags, HEAD, exact
//! `Content-Length`, per-event flushing for server-sent events, optional
//! gzip request bodies) for apps that want smaller responses without
//! breaking caches or streams.
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

mod body;
mod codec;
mod decompress;
mod error;
mod future;
mod layer;
mod level;
mod negotiate;
mod pool;
mod service;

pub use body::GzipBody;
pub use decompress::DecompressBody;
pub use error::GzipError;
pub use future::ResponseFuture;
pub use layer::{
    DEFAULT_BUFFER_LIMIT, DEFAULT_MIN_SIZE, DecompressRequests, GzipLayer, PlainRequests,
};
pub use level::Level;
pub use negotiate::{accepts_gzip, compressible_content_type};
pub use service::{Gzip, Streaming};
