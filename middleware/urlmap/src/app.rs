//! One mounted app, type-erased so apps of different types sit side by side.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use pastry_core::{App, BoxError};
use pin_project_lite::pin_project;

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
        Box::pin(Oneshot::Waiting {
            app: self.0.clone(),
            req: Some(req),
        })
    }
}

pin_project! {
    /// A cloned app waiting to be ready, then its answer. Written out rather
    /// than as an `async` block, which would keep room for the request
    /// beside the app's future and make the box larger.
    #[project = OneshotProj]
    enum Oneshot<S, B>
    where
        S: App<B>,
    {
        Waiting { app: S, req: Option<Request<B>> },
        Calling { #[pin] future: S::Future },
    }
}

impl<S, B> Future for Oneshot<S, B>
where
    S: App<B>,
    S::ResBody: Send + 'static,
{
    type Output = Result<Response<UrlMapBody>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match self.as_mut().project() {
                OneshotProj::Waiting { app, req } => {
                    ready!(app.poll_ready(cx)).map_err(Into::into)?;
                    let Some(req) = req.take() else {
                        return Poll::Ready(Err(
                            "mounted app's future polled after it called the app".into(),
                        ));
                    };
                    let future = app.call(req);
                    self.set(Self::Calling { future });
                }
                OneshotProj::Calling { future } => {
                    let res = ready!(future.poll(cx)).map_err(Into::into)?;
                    return Poll::Ready(Ok(res.map(UrlMapBody::new)));
                }
            }
        }
    }
}
