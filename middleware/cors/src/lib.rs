//! CORS for any tower service, per the Fetch standard: lets the pages of
//! the origins you name call your API from a browser (with cookies, if you
//! allow credentials), and nobody else. For apps whose front end is served
//! from another origin; [`CorsLayer`] answers the preflights itself and
//! adds `Access-Control-Allow-Origin` and `Vary` to the app's answers.
//!
//! In the `pastry` facade this crate is `pastry::cors` (feature `cors`, off
//! by default: CORS loosens the browser's same-origin policy, so an app
//! turns it on knowingly): `pastry_cors::CorsLayer` is
//! `pastry::cors::CorsLayer`. The examples use the crate paths, so each
//! crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use pastry_cors::CorsLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let app = ServiceBuilder::new()
//!     .layer(
//!         CorsLayer::builder()
//!             .allow_origin("https://app.example")
//!             .allow_methods(["GET", "PUT"])
//!             .allow_headers(["content-type"])
//!             .allow_credentials(true)
//!             .build()?,
//!     )
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("{\"cart\":3}")))
//!     }));
//!
//! // The browser's preflight for a PUT with a JSON body: answered here.
//! let preflight = Request::options("/cart")
//!     .header("origin", "https://app.example")
//!     .header("access-control-request-method", "PUT")
//!     .header("access-control-request-headers", "content-type")
//!     .body(String::new())?;
//! let res = app.clone().oneshot(preflight).await?;
//! assert_eq!(res.status(), StatusCode::NO_CONTENT);
//! assert_eq!(res.headers()["access-control-allow-origin"], "https://app.example");
//! assert_eq!(res.headers()["access-control-allow-credentials"], "true");
//!
//! // The request itself: the app answers, the layer marks the answer.
//! let put = Request::put("/cart")
//!     .header("origin", "https://app.example")
//!     .body(String::from("{}"))?;
//! let res = app.clone().oneshot(put).await?;
//! assert_eq!(res.headers()["access-control-allow-origin"], "https://app.example");
//! assert_eq!(res.headers()["vary"], "origin");
//!
//! // Another site's page: no CORS headers, so its browser hides the answer.
//! let other = Request::get("/cart")
//!     .header("origin", "https://evil.example")
//!     .body(String::new())?;
//! let res = app.oneshot(other).await?;
//! assert!(!res.headers().contains_key("access-control-allow-origin"));
//! # Ok(())
//! # }
//! ```
//!
//! # The rules and their defaults
//!
//! | request | answer |
//! |---|---|
//! | preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`), origin, method and every requested header allowed | `204 No Content` from the layer (the app is not called) with `Access-Control-Allow-Origin`, `-Allow-Methods`, `-Allow-Headers`, `-Max-Age`, `-Allow-Credentials` as configured |
//! | preflight with anything not allowed (the origin, the method, one header, or a private-network ask that is not enabled) | `403` from the layer, without any CORS header, logged at debug (target `pastry_cors`): the browser blocks the request, and the status says why in its network panel |
//! | any other request (`OPTIONS` without `Access-Control-Request-Method` included) | passed to the app; an allowed origin gets `Access-Control-Allow-Origin` (its own `Origin` mirrored, or `*` with [`allow_any_origin`](CorsLayerBuilder::allow_any_origin)), `-Allow-Credentials` and `-Expose-Headers` added to the answer, whatever its status (a 4xx or 5xx page of the app too) |
//!
//! `Vary` is merged into what the app set, never replacing it: every
//! preflight answer, allowed or not, varies on `Origin`,
//! `Access-Control-Request-Method` and `Access-Control-Request-Headers`
//! (and `Access-Control-Request-Private-Network` when that is enabled);
//! every other answer varies on `Origin` unless every origin gets `*`,
//! including answers to origins that are not allowed and to requests
//! without an `Origin`, so a shared cache never serves one origin's answer
//! to another.
//!
//! | setting | default | why |
//! |---|---|---|
//! | origins | none: [`build`](CorsLayerBuilder::build) refuses until you name some ([`allow_origin`](CorsLayerBuilder::allow_origin), [`allow_origin_fn`](CorsLayerBuilder::allow_origin_fn)) or allow any | who may read your responses is the one decision only you can make |
//! | methods | `GET`, `HEAD`, `POST` ([`allow_methods`](CorsLayerBuilder::allow_methods)) | the CORS-safelisted methods, which browsers send without asking anyway |
//! | request headers | none beyond the safelisted ([`allow_headers`](CorsLayerBuilder::allow_headers), [`mirror_request_headers`](CorsLayerBuilder::mirror_request_headers)) | each header a page may send you is a choice |
//! | exposed headers | none ([`expose_headers`](CorsLayerBuilder::expose_headers)) | the safelisted response headers only |
//! | max age | not sent ([`max_age`](CorsLayerBuilder::max_age)) | browsers' own default (5 s) |
//! | credentials | off ([`allow_credentials`](CorsLayerBuilder::allow_credentials)) | cookies cross origins only when you say so |
//! | private network | off ([`allow_private_network`](CorsLayerBuilder::allow_private_network)) | a public page reaching a private address is refused |
//!
//! Settings browsers would not honour are a [`CorsError`] from
//! [`build`](CorsLayerBuilder::build), never a panic or a silent no-op:
//! credentials with a `*` (any origin, or `*` among methods, request or
//! exposed headers), `*` in the origin list, an origin with a path, a
//! query or a trailing `/`, an invalid method or header name.
//!
//! Put the layer outside the layers that refuse requests (authentication,
//! `pastry_origin::CrossOriginLayer`), so a preflight, which carries no
//! cookie, is answered before them, and their refusals still carry the
//! CORS headers the page needs to read them; put an error catching layer
//! inside it, so an app's error reaches it as a response (an `Err` passes
//! through untouched: there is no response to mark).
//!
//! CORS decides what a page may *read*; cross-origin protection decides
//! what it may *change*. With `pastry_origin::CrossOriginLayer` in the same
//! stack, a `PUT` or `POST` that CORS allows from another origin is still
//! refused there (`Sec-Fetch-Site: cross-site`) unless that origin is also
//! one of its trusted origins: list the origin in both.

mod body;
mod config;
mod error;
mod future;
mod layer;
mod service;

pub use body::CorsBody;
pub use error::CorsError;
pub use future::ResponseFuture;
pub use layer::{CorsLayer, CorsLayerBuilder};
pub use service::Cors;
