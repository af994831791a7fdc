//! Conditional GET for any tower service: gives complete `200` answers a
//! strong `ETag` hashed from their body, and answers `If-None-Match` and
//! `If-Modified-Since` with `304 Not Modified`, so a browser or cache that
//! already has the page gets a few hundred bytes instead of the page. For
//! apps that render pages and JSON dynamically and never set validators,
//! as Django's `ConditionalGetMiddleware` and Werkzeug's `make_conditional`
//! do for Python apps.
//!
//! In the `pastry` facade this crate is `pastry::conditional` (feature
//! `conditional`, off by default): `pastry_conditional::ConditionalLayer`
//! is `pastry::conditional::ConditionalLayer`. The examples use the crate
//! paths, so each crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::BodyExt;
//! use pastry_conditional::ConditionalLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let app = ServiceBuilder::new()
//!     .layer(ConditionalLayer::new())
//!     .service(service_fn(|_req: Request<String>| async {
//!         let page = Response::builder()
//!             .header("content-type", "text/html; charset=utf-8")
//!             .header("cache-control", "no-cache")
//!             .body(String::from("<h1>Today's menu</h1>"))?;
//!         Ok::<_, http::Error>(page)
//!     }));
//!
//! // The first visit: the page, with a strong ETag made from its bytes.
//! let res = app.clone().oneshot(Request::get("/menu").body(String::new())?).await?;
//! assert_eq!(res.status(), StatusCode::OK);
//! let etag = res.headers()["etag"].clone();
//! assert_eq!(etag.len(), 34); // "…32 hex digits…"
//! assert_eq!(res.into_body().collect().await?.to_bytes(), "<h1>Today's menu</h1>");
//!
//! // The browser revalidates: the page has not changed, so 304 and no body.
//! let revalidate = Request::get("/menu").header("if-none-match", etag.clone()).body(String::new())?;
//! let res = app.clone().oneshot(revalidate).await?;
//! assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
//! assert_eq!(res.headers()["etag"], etag);
//! assert_eq!(res.headers()["cache-control"], "no-cache");
//! assert!(!res.headers().contains_key("content-type"));
//! assert!(res.into_body().collect().await?.to_bytes().is_empty());
//!
//! // A stale copy (or a weak tag from a gzip layer, compared weakly) differs: the page.
//! let stale = Request::get("/menu").header("if-none-match", "W/\"0123\"").body(String::new())?;
//! assert_eq!(app.oneshot(stale).await?.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! ```
//!
//! # What it does
//!
//! | request and response | answer |
//! |---|---|
//! | `GET` or `HEAD`, app answers `200` with a body whose exact size is known up front (an exact `size_hint`: `Full`, `String`, `Bytes`, axum's bodies for those) and at most [`buffer_limit`](ConditionalLayerBuilder::buffer_limit) (default 1 MiB), no `ETag` of its own, no `Cache-Control: no-store`, not `text/event-stream` | the body is read, hashed, and sent as it came, with a strong `ETag`; then the preconditions below |
//! | same, the app set an `ETag` or `Last-Modified` | the preconditions evaluated against the app's validators, without reading the body; the validators are never replaced |
//! | a body of unknown size (a stream), larger than the limit, an event stream, `no-store`, any status but `200` (a `101`, a `206`, a `304` the app made, errors) | passed through untouched, frame by frame (a `200` with the app's own validators still gets its `304`) |
//! | any method but `GET` and `HEAD` | passed through untouched, preconditions included: see below |
//!
//! Preconditions follow RFC 9110 §13.2.2, in its order:
//!
//! 1. `If-Match` (strong comparison; `*` matches): no match → `412`.
//! 2. without `If-Match`, `If-Unmodified-Since`: modified after it → `412`.
//! 3. `If-None-Match` (weak comparison, so `W/"x"` and `"x"` match each
//!    other; `*` matches; lists over several lines): a match → `304`.
//! 4. only without `If-None-Match`, `If-Modified-Since`: not modified
//!    since (by the app's `Last-Modified`, to the second) → `304`.
//!
//! A malformed field counts as absent (a list item that is not an entity
//! tag, `*` beside tags, a date that is not an HTTP-date in any of the
//! three formats, a date field sent twice); date conditions need a valid
//! `Last-Modified` from the app. Nothing a client sends makes the layer
//! panic: the answer is the `200`, a `304` or a `412`.
//!
//! **The `304`** keeps the fields RFC 9110 §15.4.5 requires (`ETag`,
//! `Cache-Control`, `Content-Location`, `Date`, `Expires`, `Vary`) and
//! whatever is not about the content (`Set-Cookie`, CORS headers); it drops
//! the content's metadata and framing (`Content-Type`, `Content-Length`,
//! `Content-Encoding`, `Content-Language`, `Content-Range`,
//! `Content-Digest`, `Transfer-Encoding`), and `Last-Modified` when an
//! `ETag` is there (as Werkzeug does; Django keeps it). Its body is empty
//! with an exact size hint of 0.
//!
//! **The `412`** is a short `text/plain` answer of the layer's own that
//! keeps only the app's `Set-Cookie` and `Vary`: none of the page's
//! caching headers, so no cache stores it as the page.
//!
//! # Decisions where the RFC leaves room
//!
//! - **Unsafe methods are not evaluated.** `If-Match` and
//!   `If-Unmodified-Since` on a `PUT`, `POST`, `PATCH` or `DELETE` guard
//!   against lost updates only when checked *before* the change is made
//!   (RFC 9110 §13.2.1); a layer that sees the app's answer sees it after
//!   the change, so its `412` would lie. The app checks them (it knows the
//!   stored resource's validator); the layer passes such requests through.
//!   `If-Match` and `If-Unmodified-Since` on `GET` and `HEAD` are
//!   evaluated (step 1 and 2), since answering `412` there changes nothing.
//! - **`Cache-Control: no-store`** responses get no computed ETag, as in
//!   Django: no client keeps a copy to revalidate, so hashing them is work
//!   for nothing. Validators the app set on them are still honoured.
//! - **Only `200`.** Other statuses are not hashed, nor turned into a 304:
//!   RFC 9110 §13.2.1 has preconditions ignored when the answer would not
//!   be a 2xx, and a `206` or `203` is the app's business.
//! - **`HEAD`.** When the app's `HEAD` answer still carries the whole body
//!   (as a `service_fn` that ignores the method does), it is hashed like
//!   the `GET` (same `ETag`) and dropped, keeping `Content-Length`. When
//!   the app already emptied it (axum does), there is nothing to hash, so
//!   no `ETag` is computed; RFC 9110 §9.3.2 allows a `HEAD` answer to omit
//!   fields computed from the content. The app's own validators work for
//!   both.
//! - **A body that says it is small but is not**: the layer stops reading
//!   at the limit and sends what it read followed by the rest, unhashed.
//!   A body error while reading is sent after the frames read, without an
//!   `ETag`.
//!
//! # The hash
//!
//! ETags are xxh3 128-bit hashes (the `xxhash-rust` crate, pure Rust and
//! maintained), written as 32 hex digits in quotes. xxh3 hashes at memory
//! speed (tens of GB/s with SIMD), so hashing a 100 KiB page costs a few
//! microseconds, and 128 bits make an accidental collision between two
//! versions of one URL negligible. It is not a cryptographic hash: someone
//! who controls a page's content could craft two versions with the same
//! tag, so that a client keeps the first. If users write the content of
//! pages other users revalidate and that matters to you, set your own
//! `ETag` (from a version number, or a cryptographic hash such as BLAKE3)
//! and the layer will use it.
//!
//! # With compression
//!
//! Put the compression layer **outside** this one:
//!
//! ```
//! # use std::convert::Infallible;
//! # use http::{Request, Response};
//! use pastry_conditional::ConditionalLayer;
//! use pastry_gzip::GzipLayer;
//! use tower::{ServiceBuilder, service_fn};
//!
//! let app = ServiceBuilder::new()
//!     .layer(GzipLayer::new())
//!     .layer(ConditionalLayer::new())
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("<p>page</p>")))
//!     }));
//! # let _ = app;
//! ```
//!
//! Then the ETag is hashed from the uncompressed page, and the gzip layer
//! weakens it (`W/"…"`) when it compresses, as it must: one weak tag for
//! every coding of the same page. A revalidation with `W/"…"` or `"…"`
//! matches (weak comparison) and is answered here, before anything is
//! compressed: a 304 costs no compression at all. The other order works
//! too (both are tested), but hashes the compressed bytes, so it
//! compresses the page again on every revalidation before it can answer
//! 304, and gives each coding its own strong tag. Either way, a behind-gzip
//! `304` carries `Vary: Accept-Encoding` from the gzip layer.
//!
//! The compressed-representation cache planned for compression (which
//! would keep compressed pages by ETag, one cache key for both layers)
//! does not exist yet; this layer does not build one.

mod body;
mod conditions;
mod config;
mod error;
mod etag;
mod future;
mod layer;
mod service;

pub use body::ConditionalBody;
pub use config::DEFAULT_BUFFER_LIMIT;
pub use error::ConditionalError;
pub use future::ResponseFuture;
pub use layer::{ConditionalLayer, ConditionalLayerBuilder};
pub use service::Conditional;
