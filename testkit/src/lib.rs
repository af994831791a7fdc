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

mod app;
mod body;
mod client;
mod error;
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
pub use cookie::Cookie;
pub use error::TestError;
pub use multipart::Multipart;
pub use request::{DEFAULT_MAX_REDIRECTS, RequestBuilder};
pub use response::{IntoStatus, TestResponse};
pub use stream::TestStream;
pub use validate::{Rule, Validate, ValidateLayer, Violation};
