//! Compression middleware for any tower service, correct to the letter of
//! HTTP (q-value negotiation, `Vary`, weak ETags, HEAD, exact
//! `Content-Length`, per-event flushing for server-sent events) for apps
//! that want smaller responses without breaking caches or streams: gzip
//! always, brotli (`br`) and zstd with the cargo features of those names;
//! and, as a layer of its own ([`GunzipRequestsLayer`]), compressed request
//! bodies decoded with a size limit.
//! gzip bodies known up front are compressed in one libdeflate call and
//! the rest streamed with zlib-rs; brotli uses the pure-Rust `brotli`
//! crate and zstd libzstd (the `zstd` crate, which builds the C library
//! with the system's C compiler). Every coding runs through the same
//! streaming engine: compress each frame as it comes, flush after it for
//! event streams, finish at the end; gzip and zstd contexts are pooled
//! across responses.
//!
//! In the `pastry` facade this crate is `pastry::gzip` (feature `gzip`, on by
//! default; features `br` and `zstd` forward to this crate's):
//! `pastry_gzip::GzipLayer` is `pastry::gzip::GzipLayer`, and
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
//! let req = Request::get("/").header(header::ACCEPT_ENCODING, "gzip, compress").body(()).unwrap();
//! let res = app.oneshot(req).await.unwrap();
//! assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
//! assert_eq!(res.headers()[header::VARY], "accept-encoding");
//! let gz = res.into_body().collect().await.unwrap().to_bytes();
//! assert!(gz.len() < 100);
//! # });
//! ```
//!
//! # Codings, features and preference
//!
//! | coding | cargo feature | offered by [`GzipLayer::new`] | default level | builder |
//! |---|---|---|---|---|
//! | `gzip` | always | yes | 6 ([`Level`]) | [`gzip`](GzipLayer::gzip), [`level`](GzipLayer::level) |
//! | `br` | `br` (off by default) | no: `.br(true)` | quality 4 (`BrLevel`) | `br`, `br_level` |
//! | `zstd` | `zstd` (off by default) | no: `.zstd(true)` | 3 (`ZstdLevel`) | `zstd`, `zstd_level` |
//!
//! Both steps are opt-in. The cargo features are off by default, as in
//! tower-http: `zstd` builds a C library, which a pure-Rust build may not
//! want, and each adds compile time. A feature makes a coding available;
//! the layer offers it only when told (`.br(true)`, `.zstd(true)`).
//! Cargo unifies features across a build, so a feature that changed what
//! `GzipLayer::new()` sends would let any other crate in the tree switch
//! every app's responses to a new coding behind its back; and which
//! codings to send is a deployment's choice anyway (caches and CDNs in
//! front must store a variant per coding). [`GunzipRequestsLayer`] decodes
//! every coding the build has: accepting more request encodings changes
//! nothing for requests that worked before.
//!
//! The client's `Accept-Encoding` weights decide (all its lines, q-values,
//! `*` for codings it does not name, `x-gzip` for `gzip`, `q=0` refusing);
//! among codings it weighs equally the server prefers **zstd, then br,
//! then gzip**. At the default levels zstd compresses about as small as
//! brotli 4 in a fraction of the CPU time, and both beat gzip on size:
//! for responses compressed as they are sent, CPU per response is the
//! cost that matters, and a client listing zstd (Chrome sends
//! `gzip, deflate, br, zstd`) has said it decodes it. A client that
//! accepts nothing offered, or sends no `Accept-Encoding`, gets identity
//! (never a 406). The skip rules and header rules are the same for every
//! coding.
//!
//! ```
//! use pastry_gzip::{Coding, GzipLayer};
//!
//! let layer = GzipLayer::new();
//! assert!(layer.offers(Coding::Gzip));
//! # #[cfg(all(feature = "br", feature = "zstd"))] {
//! use pastry_gzip::{BrLevel, ZstdLevel};
//! assert!(!layer.offers(Coding::Br) && !layer.offers(Coding::Zstd));
//! let layer = GzipLayer::new()
//!     .br(true)
//!     .zstd(true)
//!     .br_level(BrLevel::new(5).unwrap())
//!     .zstd_level(ZstdLevel::new(6).unwrap())
//!     .gzip(false);
//! assert!(layer.offers(Coding::Zstd) && layer.offers(Coding::Br));
//! assert!(!layer.offers(Coding::Gzip));
//! # }
//! ```
//!
//! [`GunzipRequestsLayer`] decodes `gzip`, and with the features `br` and
//! `zstd` request bodies, all under the same decompressed-size limit and
//! with the same 413 and 400 answers. Its name stays: it is the layer
//! existing stacks name, and it decodes whatever codings the build has.
//!
//! # Compressing once: the cache
//!
//! A response the app sends again and again (a page, a stylesheet, a JSON
//! document with a strong `ETag`) is compressed each time unless the layer
//! is given a [`CompressionCache`]: then the first response is compressed
//! and stored, keyed by its strong ETag, the coding and level, its
//! `Content-Type` and the request's `Host`, mount prefix and target, and
//! later ones are sent from the cache with the same bytes and headers
//! (the `gzip_cache` bench in `BENCHMARKS.md` measures the gain). The app
//! still answers each request; on a hit its body is dropped unread. Weak
//! or missing ETags,
//! streamed bodies and bodies with trailers are never stored, and the
//! cache is bounded in bytes (least recently used entries go first). See
//! [`CompressionCache`] for the details.
//!
//! ```
//! use pastry_gzip::{CompressionCache, GzipLayer};
//!
//! let cache = CompressionCache::new(32 * 1024 * 1024);
//! let layer = GzipLayer::new().cache(cache.clone());
//! # let _ = layer;
//! ```
//!
//! # Precompressed static files
//!
//! Files compressed at build time (`site.css.gz`, `site.css.br`,
//! `site.css.zst` next to `site.css`) are served as they are by
//! tower-http's `ServeDir` with `precompressed_gzip()`,
//! `precompressed_br()` and `precompressed_zstd()`: it picks the variant
//! the client's `Accept-Encoding` prefers and sets `Content-Encoding`.
//! Mounted inside a [`GzipLayer`], such a response passes through
//! untouched (never compressed twice, whatever codings the layer offers);
//! the layer adds the `Vary: accept-encoding` that `ServeDir` leaves out,
//! so caches keep the variants apart. A file with no variant, or a client
//! accepting none of them, gets the plain file, which the layer
//! compresses as any other response. `tests/precompressed.rs` in the
//! workspace runs this stack:
//!
//! ```ignore
//! use pastry_gzip::GzipLayer;
//! use tower::ServiceBuilder;
//! use tower_http::services::ServeDir;
//!
//! let files = ServeDir::new("static")
//!     .precompressed_gzip()
//!     .precompressed_br()
//!     .precompressed_zstd();
//! let app = ServiceBuilder::new().layer(GzipLayer::new()).service(files);
//! ```
//!
//! # Changes
//!
//! - **Compressing once, and precompressed files**: an opt-in
//!   [`CompressionCache`] ([`GzipLayer::cache`], [`GzipLayer::get_cache`],
//!   [`DEFAULT_CACHE_BYTES`], [`CACHE_ENTRY_OVERHEAD`]) stores compressed
//!   bodies by strong ETag. Three behaviour changes, with or without it:
//!   a response already carrying a `Content-Encoding` (a precompressed
//!   file) now gets `Vary: accept-encoding` added when it lacks it (its
//!   body and other headers are untouched, as before); a body known to be
//!   empty (exact size hint 0) passes through untouched even with
//!   `min_size(0)` (before, it was compressed to a 20-byte gzip stream);
//!   and a body that sends more than its exact size hint promised is
//!   buffered only up to [`buffer_limit`](GzipLayer::buffer_limit), then
//!   streamed after what was read, without `Content-Length` (before, it
//!   was read to its end whatever its length). A 304 still carries the
//!   `Vary` and the weakened ETag of the compressed 200 it stands for
//!   (RFC 9110 §15.4.5).
//! - **metrics feature** (off by default): bytes into and out
//!   of the compressor, by coding, counted through the `metrics` facade
//!   (`pastry_gzip_bytes_in_total`, `pastry_gzip_bytes_out_total`: their
//!   ratio is the compression ratio).
//! - **brotli and zstd**: features `br` and `zstd` add those
//!   codings to [`GzipLayer`], offered once switched on with `.br(true)`,
//!   `.zstd(true)` (negotiated by weight, server preference zstd > br >
//!   gzip, levels set with `br_level` and `zstd_level`; gzip can be
//!   switched off with [`gzip`](GzipLayer::gzip)), and to
//!   [`GunzipRequestsLayer`], which decodes them with the features alone. New: [`Coding`], `BrLevel`, `ZstdLevel`,
//!   [`GzipLayer::offers`], [`GzipError::InvalidBrLevel`],
//!   [`GzipError::InvalidZstdLevel`]. Without the features nothing changes
//!   but two texts: the 400 answer's body now reads "corrupt or truncated
//!   compressed request body", and a decoding error names the coding.
//!   [`accepts_gzip`] still answers for gzip alone.
//!
//! - **Upgrades pass untouched**: [`GzipLayer`] never
//!   compresses, nor adds `Vary` to, the answer to an upgrade (a `101`, or
//!   a 2xx answering `CONNECT`, which HTTP/2 WebSockets use, RFC 8441);
//!   before, a 2xx to `CONNECT` with a compressible type was compressed
//!   and given a `Content-Length`, which makes hyper reset the HTTP/2
//!   stream. [`GunzipRequestsLayer`] leaves the body of an upgrade request
//!   as sent.
//! - **Two layers for two jobs**: request decompression is its
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
mod cache;
mod codec;
mod coding;
mod config;
mod error;
mod future;
mod gunzip;
mod layer;
mod level;
mod negotiate;
mod pool;
mod service;
#[cfg(feature = "metrics")]
mod telemetry;

pub use body::GzipBody;
pub use cache::{CACHE_ENTRY_OVERHEAD, CompressionCache, DEFAULT_CACHE_BYTES};
pub use coding::Coding;
pub use error::GzipError;
pub use future::ResponseFuture;
pub use gunzip::{
    DecompressBody, GunzipFuture, GunzipRequests, GunzipRequestsLayer, GunzipResponseBody,
};
pub use layer::{DEFAULT_BUFFER_LIMIT, DEFAULT_MIN_SIZE, GzipLayer};
#[cfg(feature = "br")]
pub use level::BrLevel;
pub use level::Level;
#[cfg(feature = "zstd")]
pub use level::ZstdLevel;
pub use negotiate::{Streaming, accepts_gzip, compressible_content_type};
pub use service::Gzip;
