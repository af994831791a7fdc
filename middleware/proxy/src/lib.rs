//! Reads what a reverse proxy (nginx, HAProxy, a load balancer) says about
//! the client (`Forwarded` or `X-Forwarded-For`/`-Proto`/`-Host`/`-Port`/
//! `-Prefix`) and, when the proxy is trusted, sets the client address,
//! scheme, host and mount prefix that the rest of the stack reads. For
//! anyone serving an app behind a front server who wants throttles keyed
//! by the real client, and links, redirects and `Secure` cookies that
//! match what the browser sees.
//!
//! In the `pastry` facade this crate is `pastry::proxy` (feature `proxy`, on
//! by default): `pastry_proxy::ProxyLayer` is `pastry::proxy::ProxyLayer`,
//! and `pastry_core::X` is `pastry::X`. The examples use the crate paths, so
//! each crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//!
//! use http::{Request, Response};
//! use http_body_util::BodyExt;
//! use pastry_core::{ClientAddr, Environ};
//! use pastry_proxy::ProxyLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pastry_core::BoxError> {
//! let app = ServiceBuilder::new()
//!     .layer(ProxyLayer::builder().trust("127.0.0.1").hops(1).build()?)
//!     .service(service_fn(|req: Request<String>| async move {
//!         let seen = format!(
//!             "{} {} {} {}",
//!             req.client_addr().unwrap().ip(),
//!             req.url_scheme(),
//!             req.headers()["host"].to_str().unwrap(),
//!             req.url_for("/login"),
//!         );
//!         Ok::<_, Infallible>(Response::new(seen))
//!     }));
//!
//! // What nginx on the same machine sends for a browser at 203.0.113.7.
//! let mut req = Request::get("/")
//!     .header("host", "127.0.0.1:8080")
//!     .header("x-forwarded-for", "203.0.113.7")
//!     .header("x-forwarded-proto", "https")
//!     .header("x-forwarded-host", "example.com")
//!     .header("x-forwarded-prefix", "/app")
//!     .body(String::new())?;
//! req.extensions_mut().insert(ClientAddr("127.0.0.1:40000".parse()?));
//!
//! let res = app.oneshot(req).await?;
//! let body = res.into_body().collect().await?.to_bytes();
//! assert_eq!(body, "203.0.113.7 https example.com /app/login");
//! # Ok(())
//! # }
//! ```
//!
//! # What it trusts, and what it sets
//!
//! Trust is given either as addresses and CIDR ranges
//! ([`ProxyLayerBuilder::trust`]) or as a number of proxies in front
//! ([`ProxyLayerBuilder::hops`], or per header with
//! [`x_for`](ProxyLayerBuilder::x_for) … [`x_prefix`](ProxyLayerBuilder::x_prefix),
//! as Werkzeug's `ProxyFix`).
//!
//! - With addresses, nothing is read unless the connection's peer
//!   ([`ClientAddr`](pastry_core::ClientAddr), set by the server) is
//!   trusted. `X-Forwarded-For` and `-Proto` are read by default; `-Host`,
//!   `-Port` and `-Prefix` only when turned on
//!   ([`x_host`](ProxyLayerBuilder::x_host), …, or all with
//!   [`hops(1)`](ProxyLayerBuilder::hops)), since many proxy
//!   configurations pass a client's own on. The address chain is walked from the right: each entry is the
//!   hop before the last trusted one, and the first untrusted entry is the
//!   client (the leftmost one when all are trusted). Entries further left
//!   were written by the client and are never read, so a client cannot
//!   spoof its address by sending its own `X-Forwarded-For`. The scheme,
//!   host, port and prefix are read at the same depth: the entry written by
//!   the outermost trusted proxy (the leftmost entry when a header has
//!   fewer, as with proxies that set it rather than append).
//! - With hop counts, header `h` is read at its n-th entry from the right
//!   and ignored when it has fewer entries.
//! - Only one family is read, [`Source::XForwarded`] (the default) or
//!   [`Source::Forwarded`]: the other is ignored entirely, since the proxy
//!   passes it through from the client untouched.
//! - In `Forwarded`, an obfuscated (`for=_hidden`) or `unknown` hop ends
//!   the walk: the client is then the last identified hop.
//!
//! What changes on the request, all at once or not at all:
//!
//! | resolved | the request gets |
//! |---|---|
//! | client | [`ClientAddr`](pastry_core::ClientAddr) (port 0 when the proxy gave none) |
//! | scheme | [`UrlScheme`](pastry_core::UrlScheme); an absolute URI's scheme too |
//! | host, port | the `Host` header (an absolute URI's authority too); a forwarded port equal to the scheme's default is left out |
//! | prefix | [`ScriptName`](pastry_core::ScriptName): the normalised prefix, before any script name already set |
//!
//! The `Host` header is rewritten rather than kept in a side extension so
//! that everything reading the host (`UrlMap` host mounts, the
//! cross-origin check, apps) sees the one the client used.
//!
//! A malformed value in the part of the chain that is read (an address
//! that does not parse, a scheme other than `http`/`https`, a bad host or
//! port, a prefix with `..`), a header longer than
//! [`max_header_len`](ProxyLayerBuilder::max_header_len), or more trusted
//! hops than [`max_entries`](ProxyLayerBuilder::max_entries) make the
//! request's forwarding headers ignored, with a `debug` event (target
//! `pastry_proxy`): never a 500, never half applied. Such a request keeps
//! the peer's address, never one the client chose.
//!
//! # Behind nginx
//!
//! The proxy must set (or clear) every header of the family, so a client
//! cannot send its own; these lines do, for an app served at `/app/`:
//!
//! ```nginx
//! location /app/ {
//!     proxy_pass http://127.0.0.1:8080/;
//!     proxy_set_header Host              $http_host;
//!     proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
//!     proxy_set_header X-Forwarded-Proto $scheme;
//!     proxy_set_header X-Forwarded-Host  $http_host;
//!     proxy_set_header X-Forwarded-Port  $server_port;
//!     proxy_set_header X-Forwarded-Prefix /app;
//!     proxy_set_header Forwarded         "";
//! }
//! ```
//!
//! with `ProxyLayer::builder().trust("127.0.0.1").hops(1).build()?` (every
//! header of the family read, since these lines set them all) outermost in
//! the stack (it never fails or panics on a request), so that everything
//! inside, the access log, `CatchLayer`, sessions, auth and `UrlMap`, sees
//! the client. For an app at the root, write `location /` and
//! `proxy_pass http://127.0.0.1:8080;` and clear the prefix with
//! `proxy_set_header X-Forwarded-Prefix "";` (nginx passes a client's
//! header on unless told to set it; an empty value drops it). Several
//! proxies in a row: trust each of their addresses.

mod config;
mod error;
mod forwarded;
mod layer;
mod net;
mod service;

pub use config::{DEFAULT_MAX_ENTRIES, DEFAULT_MAX_HEADER_LEN, Source};
pub use error::ProxyError;
pub use layer::{ProxyLayer, ProxyLayerBuilder};
pub use net::{InvalidNet, TrustedNet};
pub use service::Proxy;
