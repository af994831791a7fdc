//! Catches what goes wrong in any tower HTTP service (an `Err`, a panic in
//! `call`, in the response future or while the body streams) and turns it
//! into a truthful response with a random error id that also appears in one
//! `tracing` event. For anyone serving an app who wants users to see a clean
//! page in production, developers to see the panic and backtrace in debug
//! mode, and the server to keep running either way.
//!
//! In the `pastry` facade this crate is `pastry::catch` (feature `catch`, on by
//! default): `pastry_catch::CatchLayer` is `pastry::catch::CatchLayer`, and
//! `pastry_core::X` is `pastry::X`. The examples use the crate paths, so each
//! crate stays usable alone.
//!
//! ```
//! use std::convert::Infallible;
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::{BodyExt, Full};
//! use pastry_catch::CatchLayer;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = ServiceBuilder::new()
//!     .layer(CatchLayer::new())
//!     .service(service_fn(|req: Request<Full<Bytes>>| async move {
//!         if req.uri().path() == "/boom" {
//!             panic!("the database password is hunter2");
//!         }
//!         Ok::<_, Infallible>(Response::new(Full::from("fine")))
//!     }));
//!
//! let req = Request::get("/boom").body(Full::default()).unwrap();
//! let res = app.oneshot(req).await.unwrap();
//! assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
//!
//! let id = res.headers()["x-error-id"].to_str().unwrap().to_owned();
//! let page = res.into_body().collect().await.unwrap().to_bytes();
//! let page = String::from_utf8(page.to_vec()).unwrap();
//! assert!(page.contains(&id));
//! assert!(!page.contains("hunter2"));
//! # }
//! ```
//!
//! # Changes
//!
//! - **metrics feature** (off by default): every caught panic
//!   counted through the `metrics` facade (`pastry_catch_panics_total`).
//! - **Own error id type**: [`Failure::id`] and
//!   [`BodyAborted::id`] return an [`ErrorId`] instead of `uuid::Uuid`, and
//!   the `Uuid` re-export is gone. An [`ErrorId`] prints (`Display`) the same
//!   hyphenated v4 UUID as before, so `failure.id().to_string()` and
//!   `format!("{}", failure.id())` are unchanged; code that used `Uuid`
//!   methods parses that text with the `uuid` crate instead.

mod backtrace;
mod body;
mod config;
mod failure;
mod future;
mod id;
mod layer;
mod page;
mod service;

pub use backtrace::capture_backtraces;
pub use body::{BodyAborted, CatchBody};
pub use config::ERROR_ID_HEADER;
pub use failure::{Failure, Phase};
pub use future::ResponseFuture;
pub use id::ErrorId;
pub use layer::CatchLayer;
pub use service::Catch;
