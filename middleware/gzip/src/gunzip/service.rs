//! The middleware service.

use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use pastry_core::BoxError;
use tower_service::Service;

use super::body::GunzipResponseBody;
use super::decompress::DecompressBody;
use super::future::GunzipFuture;

/// Decodes the gzip request bodies of the service it wraps; made by
/// [`GunzipRequestsLayer`](crate::GunzipRequestsLayer).
///
/// ```
/// use http::{Request, Response};
/// use pastry_gzip::{DecompressBody, GunzipRequests};
/// use tower::service_fn;
///
/// let app = service_fn(|_req: Request<DecompressBody<String>>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(String::new()))
/// });
/// let mut gunzip = GunzipRequests::new(app, 1 << 20);
/// let _inner = gunzip.get_mut();
/// let _app = gunzip.into_inner();
/// ```
#[derive(Clone, Debug)]
pub struct GunzipRequests<S> {
    inner: S,
    limit: u64,
}

impl<S> GunzipRequests<S> {
    /// Wraps `inner`, letting a request body inflate to at most `limit`
    /// bytes.
    pub fn new(inner: S, limit: u64) -> Self {
        GunzipRequests { inner, limit }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for GunzipRequests<S>
where
    S: Service<Request<DecompressBody<ReqB>>, Response = Response<ResB>>,
    ReqB: Body<Data = Bytes>,
    ReqB::Error: Into<BoxError>,
{
    type Response = Response<GunzipResponseBody<ResB>>;
    type Error = S::Error;
    type Future = GunzipFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        let (body, outcome) = DecompressBody::for_request(&mut parts, body, self.limit);
        let future = self.inner.call(Request::from_parts(parts, body));
        GunzipFuture::new(future, outcome)
    }
}
