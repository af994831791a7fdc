//! One mounted app, type-erased so apps of different types sit side by side.

use std::future::{Future, poll_fn};
use std::pin::Pin;

use http::{Request, Response};
use pastry_core::{App, BoxError};

use crate::UrlMapBody;

pub(crate) type BoxFuture =
    Pin<Box<dyn Future<Output = Result<Response<UrlMapBody>, BoxError>> + Send + 'static>>;

/// A mounted app, shared by every clone of the map.
pub(crate) trait ErasedApp<B>: Send + Sync {
    /// Clones the app, waits until the clone is ready and calls it.
    fn oneshot(&self, req: Request<B>) -> BoxFuture;
}

/// An app as mounted: any [`App`] the map can clone and share.
pub(crate) struct MountedApp<S>(pub(crate) S);

impl<S, B> ErasedApp<B> for MountedApp<S>
where
    S: App<B> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
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
