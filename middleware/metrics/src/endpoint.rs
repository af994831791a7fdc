//! [`MetricsEndpoint`]: the scrape target, a service answering the
//! registry as text.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use tower_service::Service;

use crate::MetricsHandle;

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A service answering `GET` (and `HEAD`) of any path with
/// [`MetricsHandle::render`] as `text/plain; version=0.0.4`, and every
/// other method with `405`. Mount it at `/metrics`, behind whatever access
/// rule suits you: the numbers tell how busy and how broken the site is.
/// Made by [`MetricsHandle::endpoint`]; never fails.
///
/// ```
/// use http::Request;
/// use pastry_metrics::MetricsHandle;
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = MetricsHandle::new();
/// let res = handle.endpoint().oneshot(Request::get("/metrics").body(()).unwrap()).await.unwrap();
/// assert_eq!(res.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct MetricsEndpoint {
    handle: MetricsHandle,
}

impl MetricsHandle {
    /// The service that answers a scrape with this registry.
    pub fn endpoint(&self) -> MetricsEndpoint {
        MetricsEndpoint {
            handle: self.clone(),
        }
    }
}

impl<B> Service<Request<B>> for MetricsEndpoint {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let method = req.method();
        if method != Method::GET && method != Method::HEAD {
            let mut res: Response<Full<Bytes>> = pastry_core::text_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "405 Method Not Allowed\n",
            );
            res.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return ready(Ok(res));
        }
        let text = self.handle.render();
        let length = text.len();
        let body = if method == Method::HEAD {
            Bytes::new()
        } else {
            Bytes::from(text)
        };
        let mut res = Response::new(Full::new(body));
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        ready(Ok(res))
    }
}
