//! One mounted app, type-erased so apps of different types sit side by side.

use std::future::{Future, poll_fn};
use std::pin::Pin;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use pastry_core::BoxError;
use tower_service::Service;

use crate::UrlMapBody;

pub(crate) type BoxFuture =
    Pin<Box<dyn Future<Output = Result<Response<UrlMapBody>, BoxError>> + Send + 'static>>;

/// A mounted app, shared by every clone of the map.
pub(crate) trait ErasedApp<B>: Send + Sync {
    /// Clones the app, waits until the clone is ready and calls it.
    fn oneshot(&self, req: Request<B>) -> BoxFuture;
}

pub(crate) struct App<S>(pub(crate) S);

impl<S, B, R> ErasedApp<B> for App<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    R: Body<Data = Bytes> + Send + 'static,
    R::Error: Into<BoxError>,
    B: Send + 'static,
{
    fn oneshot(&self, req: Request<B>) -> BoxFuture {
        let mut app = self.0.clone();
        Box::pin(async move {
            poll_fn(|cx| app.poll_ready(cx)).await.map_err(Into::into)?;
            let res = app.call(req).await.map_err(Into::into)?;
            Ok(res.map(UrlMapBody::new))
        })
    }
}
