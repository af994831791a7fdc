//! Cross-origin request protection for any tower service: refuses the
//! requests another site's page makes a browser send (login and logout
//! CSRF, form posts, cross-site WebSocket hijacking) with a 403 before the
//! app runs. For apps with cookie sessions; [`CrossOriginLayer`] needs no
//! token and no state, [`CsrfTokenLayer`] adds synchronizer tokens for
//! clients that send no Fetch metadata.
//!
//! In the `pastry` facade this crate is `pastry::origin` (feature `origin`, on
//! by default): `pastry_origin::CrossOriginLayer` is
//! `pastry::origin::CrossOriginLayer`, and `pastry_core::X` is `pastry::X`.
//! The examples use the crate paths, so each crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use pastry_origin::CrossOriginLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let app = ServiceBuilder::new()
//!     .layer(CrossOriginLayer::builder().trusted_origin("https://shop.example").build()?)
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("transferred")))
//!     }));
//!
//! // A form on another site posting here: refused.
//! let forged = Request::post("/transfer")
//!     .header("host", "bank.example")
//!     .header("sec-fetch-site", "cross-site")
//!     .body(String::new())?;
//! let res = app.clone().oneshot(forged).await?;
//! assert_eq!(res.status(), StatusCode::FORBIDDEN);
//!
//! // The bank's own page, and a trusted origin: passed on.
//! let own = Request::post("/transfer")
//!     .header("host", "bank.example")
//!     .header("sec-fetch-site", "same-origin")
//!     .body(String::new())?;
//! assert_eq!(app.clone().oneshot(own).await?.status(), StatusCode::OK);
//! let trusted = Request::post("/transfer")
//!     .header("host", "bank.example")
//!     .header("origin", "https://shop.example")
//!     .body(String::new())?;
//! assert_eq!(app.oneshot(trusted).await?.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! ```
//!
//! # The rule and its defaults
//!
//! [`CrossOriginLayer`] follows Go 1.25's `http.CrossOriginProtection`
//! (the rule is [`pastry_core::check_cross_origin`]):
//!
//! | request | default | how to change it |
//! |---|---|---|
//! | `GET`, `HEAD`, `OPTIONS` | pass (they must change nothing) | — |
//! | an upgrade: `Upgrade: websocket` (any `Upgrade`), any `CONNECT` (HTTP/2 WebSocket, RFC 8441) | checked like an unsafe method, even as a `GET` | exempt its path |
//! | unsafe, `Sec-Fetch-Site: same-origin` or `none` | pass | — |
//! | unsafe, `Sec-Fetch-Site: cross-site` | 403 | trust the origin: [`CrossOriginLayerBuilder::trusted_origin`] |
//! | unsafe, `Sec-Fetch-Site: same-site` (a sibling subdomain, another port or scheme) | 403 | [`CrossOriginLayerBuilder::allow_same_site`] |
//! | unsafe, no `Sec-Fetch-Site`, `Origin` equal to `Host` (host and port) | pass | — |
//! | unsafe, no `Sec-Fetch-Site`, another or a `null` `Origin` | 403 | trust the origin |
//! | unsafe, neither header (not a browser, or a very old one) | pass | add [`CsrfTokenLayer`] |
//! | any request to an exempt path | pass unchecked | none exempt by default: [`CrossOriginLayerBuilder::exempt_path`], [`exempt_prefix`](CrossOriginLayerBuilder::exempt_prefix) |
//!
//! A refusal is a `403` with a `text/plain` body saying why, logged at
//! info (target `pastry_origin`). To turn the protection off for a part
//! of the app, exempt its paths, or leave the layer out of that part's
//! stack. Requests the layer lets through carry
//! [`CrossOriginChecked`]: `pastry_auth`'s `LoginForm` and `Logout`,
//! which check on their own by the default rule when no layer ran, then go
//! by the layer's rules (its trusted origins and exempt paths).
//!
//! Put the layer outermost (before sessions), so a refused request costs
//! no session lookup and never gets a cookie.
//!
//! # Synchronizer tokens (feature `sessions`, on by default)
//!
//! [`CsrfTokenLayer`] gives each session a random token, hands it to the
//! app as a [`CsrfToken`] request extension (render it with
//! [`CsrfToken::hidden_input`]; `LoginForm` does when the layer is there)
//! and requires it back on every unsafe request, in the `X-CSRF-Token`
//! header or the `csrf_token` form field: a 403 otherwise. Upgrades (an
//! HTTP/2 WebSocket `CONNECT`) need no token: a browser's WebSocket cannot
//! send one, and [`CrossOriginLayer`] checks their `Origin`. It is off
//! unless you add the layer (inside a `pastry_sessions::SessionLayer`).
//! Its defaults: forms read up to [`DEFAULT_MAX_FORM`] (64 KiB; larger is
//! a 413, [`CsrfTokenLayerBuilder::max_form`] changes it; the app gets
//! the body whole), no exempt path
//! ([`CsrfTokenLayerBuilder::exempt_path`]), a new token after each login
//! (`pastry_auth::login` removes it from the session), a fresh token
//! stored only when the app read it. Without the feature, the crate has
//! no `pastry-sessions` dependency and only [`CrossOriginLayer`].
//!
//! ```
//! use http::{Request, Response};
//! use pastry_origin::{CsrfToken, CsrfTokenLayer};
//! use pastry_sessions::{MemoryStore, SessionLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let app = ServiceBuilder::new()
//!     .layer(SessionLayer::new(MemoryStore::new()))
//!     .layer(CsrfTokenLayer::new())
//!     .service(service_fn(|req: Request<_>| async move {
//!         let token = req.extensions().get::<CsrfToken>().expect("behind CsrfTokenLayer");
//!         let page = format!("<form method=post>{}<button>Go</button></form>", token.hidden_input());
//!         Ok::<_, std::convert::Infallible>(Response::new(page))
//!     }));
//!
//! let res = app.clone().oneshot(Request::get("/").body(String::new())?).await?;
//! assert!(res.headers().contains_key("set-cookie"));
//! let res = app.oneshot(Request::post("/").body(String::new())?).await?;
//! assert_eq!(res.status(), 403);
//! # Ok(())
//! # }
//! ```

mod body;
mod config;
mod error;
mod future;
mod layer;
mod service;
#[cfg(feature = "sessions")]
mod token;

pub use body::{CheckedBody, OriginBody};
pub use error::OriginError;
pub use future::ResponseFuture;
pub use layer::{CrossOriginLayer, CrossOriginLayerBuilder};
pub use service::CrossOriginProtection;
#[cfg(feature = "sessions")]
pub use token::{CsrfTokenCheck, CsrfTokenLayer, CsrfTokenLayerBuilder, DEFAULT_MAX_FORM};

/// The rule and the extensions of `pastry-core`, re-exported: the reason a
/// request was refused, the rules, the marker left on passed requests and
/// the token handed to the app.
pub use pastry_core::{
    CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, CrossOrigin, CrossOriginChecked, CrossOriginRules,
    CsrfToken, check_cross_origin, is_upgrade,
};
