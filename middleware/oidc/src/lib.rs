//! OpenID Connect login for any tower service: the authorization code flow
//! with PKCE (S256), `state` and `nonce` checked, the provider's discovery
//! document and keys fetched and cached (with key rotation), and the ID
//! token verified before the user is logged in to the session exactly as
//! `pastry_auth`'s password form does it.
//!
//! For apps that let users sign in with an identity provider (Keycloak,
//! Authentik, `oidc-provider`, …). [`OidcLayer`] answers two paths, the
//! login start and the callback, and passes everything else on; it goes
//! inside a `SessionLayer`, and `pastry_auth::SessionAuthLayer` then sets
//! `RemoteUser` and `Roles`, so `RequireLogin` and `RequireRole` work as
//! with a password login. Building the layer contacts nobody.
//!
//! ```
//! use http::{Request, Response, StatusCode};
//! use pastry_auth::{MemoryUserStore, SessionAuthLayer, User};
//! use pastry_oidc::OidcLayer;
//! use pastry_sessions::{MemoryStore, SessionLayer};
//! use std::convert::Infallible;
//! use std::sync::Arc;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let users = Arc::new(MemoryUserStore::new());
//! let known = Arc::clone(&users);
//! let oidc = OidcLayer::builder()
//!     .issuer("http://127.0.0.1:3000")
//!     .client_id("pastry-demo")
//!     .client_secret("a secret")
//!     .redirect_url("http://127.0.0.1:8080/auth/oidc/callback")
//!     .map_user(move |claims| {
//!         // Users who sign in through the provider get an account here.
//!         let user = User::builder(claims.subject(), "!oidc").credential_version(1).build();
//!         known.insert(user.clone());
//!         Some(user)
//!     })
//!     .build()?;
//!
//! let app = ServiceBuilder::new()
//!     .layer(SessionLayer::new(MemoryStore::new()))
//!     .layer(oidc)
//!     .layer(SessionAuthLayer::new(users))
//!     .service(service_fn(|_req: Request<_>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("home")))
//!     }));
//!
//! // Everything but the two login paths reaches the app.
//! let res = app.oneshot(Request::get("/").body(())?).await?;
//! assert_eq!(res.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! ```
//!
//! Every limit has a default: each call to the provider has a deadline
//! ([`DEFAULT_PROVIDER_TIMEOUT`]) and a size cap
//! ([`DEFAULT_MAX_RESPONSE_BYTES`]); a session keeps at most
//! [`DEFAULT_MAX_PENDING`] unfinished logins, each for
//! [`DEFAULT_PENDING_TTL`]; a token naming an unknown key fetches the keys
//! again at most once per [`DEFAULT_KEY_REFRESH_INTERVAL`]. A wrong state,
//! a replayed code, a token that fails a check or a provider that is down
//! ends in a 400, 403 or 503 page and a warning from target `pastry_oidc`,
//! never in a logged-in session.
//!
//! The session cookie must reach the callback, a top-level navigation
//! from the provider's site: keep `SameSite=Lax` (the `SessionLayer`
//! default), not `Strict`. The HTTP client is hyper: `https://` with
//! feature `https` (on by default; native-tls, the system's trusted roots
//! plus any given to
//! [`root_certificate_pem`](OidcLayerBuilder::root_certificate_pem)), and
//! plain `http://`. Without the feature an `https://` issuer is refused
//! when the layer is built ([`OidcError::HttpsUnsupported`]).

mod claims;
mod client;
mod config;
mod error;
mod flow;
mod future;
mod layer;
mod provider;
mod service;

pub use claims::OidcClaims;
pub use config::{
    DEFAULT_CLOCK_SKEW, DEFAULT_KEY_REFRESH_INTERVAL, DEFAULT_MAX_PENDING,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_METADATA_TTL, DEFAULT_PENDING_TTL,
    DEFAULT_PROVIDER_TIMEOUT,
};
pub use error::OidcError;
pub use future::{OwnAnswer, ResponseFuture};
pub use layer::{OidcLayer, OidcLayerBuilder};
pub use service::Oidc;

/// The body of [`Oidc`]'s responses: the app's body, or the layer's own
/// short answer (a redirect, a refusal).
pub type OidcBody<B> = pastry_core::LayerBody<B>;
