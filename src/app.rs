//! A whole stack behind one nameable, cloneable type.

use std::fmt;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use pastry_core::{App, BoxError};
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

/// A request or response body with its type erased: what a [`BoxApp`]'s
/// inner stack receives and answers.
pub type BoxBody = UnsyncBoxBody<Bytes, BoxError>;

type Inner = BoxCloneSyncService<Request<BoxBody>, Response<BoxBody>, BoxError>;

/// Any conforming app, boxed: one type to name in `fn app() -> BoxApp`,
/// for `main` and for tests alike.
///
/// A `BoxApp` accepts requests with **any** body (hyper's `Incoming`, the
/// test kit's body, a `String`) and hands the stack inside a [`BoxBody`],
/// so the function that builds the stack has no type parameters. It is
/// `Clone + Send + Sync`, as [`serve`](crate::serve) and the test kit want.
/// The price is one allocation for each body and for the response future
/// per request; a stack that needs none keeps its concrete type.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use pastry::BoxApp;
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// fn app() -> BoxApp {
///     ServiceBuilder::new()
///         .layer(BoxApp::layer())
///         .service(service_fn(|req: Request<pastry::BoxBody>| async move {
///             Ok::<_, Infallible>(Response::new(format!("hello {}", req.uri().path())))
///         }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pastry::BoxError> {
/// // The same app takes a `String` body here and hyper's `Incoming` in `serve`.
/// let res = app().oneshot(Request::new(String::new())).await?;
/// assert_eq!(res.status(), 200);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct BoxApp {
    inner: Inner,
}

impl BoxApp {
    /// Boxes `app`, a conforming app over [`BoxBody`] requests.
    pub fn new<S>(app: S) -> Self
    where
        S: App<BoxBody, ResBody: Send + 'static> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
    {
        let inner = app
            .map_response(|res: Response<S::ResBody>| res.map(box_body))
            .map_err(Into::into);
        Self {
            inner: BoxCloneSyncService::new(inner),
        }
    }

    /// A layer that boxes the stack below it: put it first in a
    /// `ServiceBuilder` and the builder's `.service(…)` returns a `BoxApp`.
    pub fn layer<S>() -> BoxAppLayer<S>
    where
        S: App<BoxBody, ResBody: Send + 'static> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
    {
        BoxAppLayer {
            _marker: std::marker::PhantomData,
        }
    }
}

impl fmt::Debug for BoxApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxApp").finish_non_exhaustive()
    }
}

impl<B> Service<Request<B>> for BoxApp
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<BoxBody>;
    type Error = BoxError;
    type Future = <Inner as Service<Request<BoxBody>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        self.inner.call(req.map(box_body))
    }
}

/// Builds a [`BoxApp`] from the service below it; made by [`BoxApp::layer`].
pub struct BoxAppLayer<S> {
    _marker: std::marker::PhantomData<fn(S)>,
}

impl<S> Clone for BoxAppLayer<S> {
    fn clone(&self) -> Self {
        Self {
            _marker: std::marker::PhantomData,
        }
    }
}

impl<S> fmt::Debug for BoxAppLayer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxAppLayer")
    }
}

impl<S> Layer<S> for BoxAppLayer<S>
where
    S: App<BoxBody, ResBody: Send + 'static> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    type Service = BoxApp;

    fn layer(&self, inner: S) -> BoxApp {
        BoxApp::new(inner)
    }
}

fn box_body<B>(body: B) -> BoxBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}
