//! What `serve` does to every request before the app sees it: the `Host`
//! check of RFC 9112 §3.2, the environ extensions (and the
//! [`ShutdownSignal`]), and the bookkeeping the connection's timers need.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_TYPE};
use http::{HeaderValue, Request, Response, StatusCode, Version};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use pastry_core::host::single_host;
use pastry_core::{BoxError, ClientAddr, ShutdownSignal, UrlScheme};
use pin_project_lite::pin_project;
use tower::util::Oneshot;
use tower::{Service, ServiceExt};

use super::conn::{BodyPending, ConnState, InFlight};

/// The hyper service of one connection: checks, extensions, bookkeeping,
/// then the app.
pub(crate) struct PerRequest<S> {
    service: S,
    peer: SocketAddr,
    state: Arc<ConnState>,
    shutdown: ShutdownSignal,
}

impl<S> PerRequest<S> {
    pub(crate) fn new(
        service: S,
        peer: SocketAddr,
        state: Arc<ConnState>,
        shutdown: ShutdownSignal,
    ) -> Self {
        Self {
            service,
            peer,
            state,
            shutdown,
        }
    }
}

impl<S, B> hyper::service::Service<Request<Incoming>> for PerRequest<S>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Response = Response<ServeBody<B>>;
    type Error = BoxError;
    type Future = ResponseFuture<S, B>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        let in_flight = self.state.request_started();
        if let Err(reason) = check_host(&req) {
            tracing::debug!(
                target: "pastry",
                peer = %self.peer,
                method = %req.method(),
                path = %req.uri().path(),
                reason,
                "refused a request's Host"
            );
            return ResponseFuture {
                inner: None,
                ready: Some(bad_request(in_flight)),
                in_flight: None,
                body_pending: None,
            };
        }
        let body_pending = (!req.body().is_end_stream()).then(|| self.state.body_pending());
        let extensions = req.extensions_mut();
        extensions.insert(ClientAddr(self.peer));
        extensions.insert(UrlScheme::Http);
        extensions.insert(self.shutdown.clone());
        ResponseFuture {
            inner: Some(self.service.clone().oneshot(req)),
            ready: None,
            in_flight: Some(in_flight),
            body_pending,
        }
    }
}

pin_project! {
    /// The app's response, its body tied to the connection's bookkeeping.
    pub(crate) struct ResponseFuture<S, B>
    where
        S: Service<Request<Incoming>, Response = Response<B>>,
    {
        #[pin]
        inner: Option<Oneshot<S, Request<Incoming>>>,
        ready: Option<Response<ServeBody<B>>>,
        in_flight: Option<InFlight>,
        body_pending: Option<BodyPending>,
    }
}

impl<S, B> Future for ResponseFuture<S, B>
where
    S: Service<Request<Incoming>, Response = Response<B>>,
    S::Error: Into<BoxError>,
{
    type Output = Result<Response<ServeBody<B>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(inner) = this.inner.as_pin_mut() else {
            return Poll::Ready(
                this.ready
                    .take()
                    .ok_or_else(|| "polled after completion".into()),
            );
        };
        let result = ready!(inner.poll(cx));
        // The response has started: the body-read timeout no longer applies.
        this.body_pending.take();
        let res = result.map_err(Into::into)?;
        let in_flight = this.in_flight.take();
        Poll::Ready(Ok(res.map(|body| ServeBody {
            inner: Some(body),
            plain: None,
            _in_flight: in_flight,
        })))
    }
}

pin_project! {
    /// A response body as `serve` writes it: the app's, or one of serve's
    /// own short answers; the request counts as in flight until it is
    /// dropped.
    pub(crate) struct ServeBody<B> {
        #[pin]
        inner: Option<B>,
        plain: Option<Bytes>,
        _in_flight: Option<InFlight>,
    }
}

impl<B> Body for ServeBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        match this.inner.as_pin_mut() {
            Some(inner) => inner.poll_frame(cx).map_err(Into::into),
            None => Poll::Ready(this.plain.take().map(|bytes| Ok(Frame::data(bytes)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.is_end_stream(),
            None => self.plain.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Some(inner) => inner.size_hint(),
            None => SizeHint::with_exact(self.plain.as_ref().map_or(0, |b| b.len() as u64)),
        }
    }
}

/// `400 Bad Request`, closing the connection.
fn bad_request<B>(in_flight: InFlight) -> Response<ServeBody<B>> {
    let mut res = Response::new(ServeBody {
        inner: None,
        plain: Some(Bytes::from_static(b"Bad Request\n")),
        _in_flight: Some(in_flight),
    });
    *res.status_mut() = StatusCode::BAD_REQUEST;
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    res
}

/// RFC 9112 §3.2: an HTTP/1.1 request needs exactly one `Host`; no request
/// may carry several, or one that is not `host[:port]`. HTTP/1.0 may omit
/// it, HTTP/2 names the host in `:authority` instead.
pub(crate) fn check_host<B>(req: &Request<B>) -> Result<(), &'static str> {
    match single_host(req.headers())? {
        None if req.version() == Version::HTTP_11 => Err("no Host header"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HOST;

    #[test]
    fn http11_needs_exactly_one_host() {
        let req = Request::get("/").body(()).unwrap();
        assert_eq!(check_host(&req), Err("no Host header"));
        let req = Request::get("/")
            .version(Version::HTTP_10)
            .body(())
            .unwrap();
        assert_eq!(check_host(&req), Ok(()));
        let req = Request::get("http://example.com/")
            .version(Version::HTTP_2)
            .body(())
            .unwrap();
        assert_eq!(check_host(&req), Ok(()));
        let req = Request::get("/")
            .header(HOST, "a.example")
            .header(HOST, "b.example")
            .body(())
            .unwrap();
        assert_eq!(check_host(&req), Err("several Host headers"));
        let req = Request::get("/")
            .version(Version::HTTP_10)
            .header(HOST, "a b")
            .body(())
            .unwrap();
        assert_eq!(check_host(&req), Err("malformed Host header"));
    }
}
