//! The middleware service.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use pastry_core::BoxError;
use tower_service::Service;

use crate::body::GzipBody;
use crate::config::Config;
use crate::future::{RequestContext, ResponseFuture};

/// Compresses the responses of the service it wraps; made by
/// [`GzipLayer`](crate::GzipLayer).
///
/// ```
/// use bytes::Bytes;
/// use http::{Request, Response, header};
/// use http_body_util::Full;
/// use pastry_gzip::Gzip;
/// use tower::service_fn;
///
/// let app = service_fn(|_req: Request<()>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hi"))))
/// });
/// let mut gzip = Gzip::new(app);
/// let _inner = gzip.get_mut();
/// let _app = gzip.into_inner();
/// ```
#[derive(Clone, Debug)]
pub struct Gzip<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> Gzip<S> {
    pub(crate) fn from_parts(inner: S, config: Arc<Config>) -> Self {
        Gzip { inner, config }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for Gzip<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>>,
    ResB: Body<Data = Bytes>,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<GzipBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let ctx = RequestContext::new(&req, &self.config);
        ResponseFuture::new(self.inner.call(req), ctx, Arc::clone(&self.config))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http::header::{ACCEPT_ENCODING, CONTENT_TYPE};
    use http_body::Frame;
    use http_body_util::{BodyExt, Full, StreamBody};
    use tower::{ServiceExt, service_fn};

    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn request() -> Request<()> {
        Request::get("/")
            .header(ACCEPT_ENCODING, "gzip")
            .body(())
            .unwrap()
    }

    /// A body that promises 1000 bytes and fails instead.
    struct Broken;

    impl Body for Broken {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(Some(Err(std::io::Error::other("disk gone"))))
        }

        fn size_hint(&self) -> http_body::SizeHint {
            http_body::SizeHint::with_exact(1000)
        }
    }

    #[test]
    fn errors_while_collecting_a_known_body_are_propagated() {
        let app = service_fn(|_req: Request<()>| async {
            let mut res = Response::new(Broken);
            res.headers_mut()
                .insert(CONTENT_TYPE, "text/plain".parse().unwrap());
            res.headers_mut()
                .insert("content-length", "1000".parse().unwrap());
            Ok::<_, Infallible>(res)
        });
        block_on(async {
            let res = Gzip::new(app).oneshot(request()).await.unwrap();
            assert!(!res.headers().contains_key("content-length"));
            let error = res.into_body().collect().await.unwrap_err();
            assert_eq!(error.to_string(), "disk gone");
        });
    }

    #[test]
    fn compressors_are_reused_across_responses() {
        let streamed = service_fn(|_req: Request<()>| async {
            let frames = (0..4).map(|_| {
                Ok::<_, Infallible>(Frame::data(Bytes::from("streamed text ".repeat(50))))
            });
            let mut res = Response::new(StreamBody::new(futures_util::stream::iter(frames)));
            res.headers_mut()
                .insert(CONTENT_TYPE, "text/plain".parse().unwrap());
            Ok::<_, Infallible>(res)
        });
        let whole = service_fn(|_req: Request<()>| async {
            let mut res = Response::new(Full::new(Bytes::from("whole text ".repeat(50))));
            res.headers_mut()
                .insert(CONTENT_TYPE, "text/plain".parse().unwrap());
            Ok::<_, Infallible>(res)
        });
        let layer = crate::GzipLayer::new();
        let streamed = tower_layer::Layer::layer(&layer, streamed);
        let whole = tower_layer::Layer::layer(&layer, whole);
        let pools = Arc::clone(&streamed.config.pools);
        block_on(async {
            for _ in 0..3 {
                let res = streamed.clone().oneshot(request()).await.unwrap();
                assert_eq!(res.headers()["content-encoding"], "gzip");
                res.into_body().collect().await.unwrap();
                let res = whole.clone().oneshot(request()).await.unwrap();
                assert!(res.headers().contains_key("content-length"));
                res.into_body().collect().await.unwrap();
                assert_eq!(
                    pools.idle(),
                    (1, 1),
                    "one of each, shared by the layer's services"
                );
            }
        });
    }
}
