//! Type erasure for the app under test, so `TestClient` has no type
//! parameters and can be stored, cloned and shared between tasks.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use pastry_core::BoxError;
use tower::{Service, ServiceExt};

use crate::Body;
use crate::validate::ValidateLayer;

/// The response body once the app's own body type is erased.
pub(crate) type AppBody = UnsyncBoxBody<Bytes, BoxError>;

/// What calling the erased app yields.
pub(crate) type AppFuture =
    Pin<Box<dyn Future<Output = Result<Response<AppBody>, BoxError>> + Send>>;

/// An app the client can call, validated or not.
pub(crate) trait App: Send + Sync + 'static {
    fn call(&self, req: Request<Body>, validate: Option<&ValidateLayer>) -> AppFuture;
}

/// Holds the app behind a mutex so that a `Send` but not `Sync` service can
/// live in a `Sync` client; each request calls a fresh clone, as a server
/// does per connection.
pub(crate) struct Holder<S>(pub(crate) Mutex<S>);

impl<S, R> App for Holder<S>
where
    S: Service<Request<Body>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    R: http_body::Body<Data = Bytes> + Send + 'static,
    R::Error: Into<BoxError>,
{
    fn call(&self, req: Request<Body>, validate: Option<&ValidateLayer>) -> AppFuture {
        let svc = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match validate {
            Some(layer) => {
                let svc = layer.wrap(svc);
                Box::pin(async move {
                    let res = svc.oneshot(req).await?;
                    Ok(res.map(|b| b.boxed_unsync()))
                })
            }
            None => Box::pin(async move {
                let res = svc.oneshot(req).await.map_err(Into::into)?;
                Ok(res.map(|b| b.map_err(Into::into).boxed_unsync()))
            }),
        }
    }
}
