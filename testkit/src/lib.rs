//! Calls any conforming app (a `tower::Service` over `http` types) directly,
//! without a server, with synthetic requests, a cookie jar and redirects.
//! Every response is checked by a conformance validator ([`Validate`]) that
//! fails the test when it breaks an HTTP rule; see the [`guide`].
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use pastry_testkit::{Body, TestClient};
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = ServiceBuilder::new().service_fn(|req: Request<Body>| async move {
//!     let who = req.uri().query().unwrap_or("world").to_owned();
//!     Ok::<_, Infallible>(Response::new(format!("hello {who}")))
//! });
//! let client = TestClient::new(app);
//! let res = client.get("/greet?pastry").await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.text(), "hello pastry");
//! # }
//! ```
//!
//! # Changes
//!
//! - **Own cookie type** (issue 19): [`Cookie`], returned by
//!   [`TestResponse::cookie`] and [`TestResponse::cookies`], is this crate's
//!   type instead of a re-export of `cookie::Cookie<'static>` (no lifetime
//!   parameter now). It keeps `name`, `value`, `path`, `domain`, `secure`
//!   and `http_only` as they were; [`Cookie::same_site`] returns
//!   `Option<&str>` (`"Strict"`, `"Lax"`, `"None"`) instead of
//!   `cookie::SameSite`, [`Cookie::max_age`] whole seconds instead of a
//!   `time::Duration`, [`Cookie::expires`] a `SystemTime`; `Display` prints
//!   the `Set-Cookie` value as before.
//! - **`Secure` cookies on loopback** (issue 27): the jar treats `https` and
//!   plain `http` to `localhost`, `*.localhost`, `127.0.0.0/8` and `[::1]`
//!   as secure contexts, like browsers: `Secure` cookies are kept from and
//!   sent to them. A `Secure` cookie set over plain `http` by another host
//!   is now refused (it was stored but never sent).
//! - New [`TestClient::base_url`]: where origin-form requests go, scheme
//!   and host (default `http://localhost`).
//! - Failure messages end with the cookies the jar held back from the
//!   request and the `Set-Cookie`s it refused (on that response and on
//!   later requests to the same host), with the reason; new
//!   [`TestResponse::cookie_notes`] returns them. Cookies expired by the
//!   clock stay in the jar (unsent) so they can be reported.
//! - Failures point at the test (issue 27): `.await` on a request returns a
//!   [`TestFuture`] (was `Pin<Box<dyn Future>>`) whose `poll` is
//!   `#[track_caller]`; [`RequestBuilder::stream`] (was an `async fn`),
//!   [`TestStream::next_frame`] and [`TestStream::next_data`] return one
//!   too. `send_blocking`, `basic_auth` and every assertion report the
//!   caller's line.

mod app;
mod body;
mod client;
mod cookies;
mod error;
mod future;
pub mod guide;
mod jar;
mod multipart;
mod request;
mod response;
mod stream;
mod target;
pub mod validate;

pub use body::Body;
pub use client::TestClient;
pub use cookies::Cookie;
pub use error::TestError;
pub use future::TestFuture;
pub use multipart::Multipart;
pub use request::{DEFAULT_MAX_REDIRECTS, RequestBuilder};
pub use response::{IntoStatus, TestResponse};
pub use stream::TestStream;
pub use validate::{Rule, Validate, ValidateLayer, Violation};
