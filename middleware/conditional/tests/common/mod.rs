//! What the behaviour tests share: apps answering with known or streamed
//! bodies, and a body whose frames the test sends.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::Full;
use pastry_testkit::Body;
use tokio::sync::mpsc;
use tower::service_fn;

/// A page of the menu, known up front.
pub const PAGE: &str = "<h1>Today's menu</h1><p>Soup, bread, and a pastry.</p>";

pub const OLD: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
pub const NEW: &str = "Mon, 07 Nov 1994 08:49:37 GMT";

/// An app answering every request with `status`, `headers` and `body` as a
/// `Full` body (exact size hint), whatever the method.
pub fn app(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> impl tower::Service<
    Request<Body>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    service_fn(move |_req: Request<Body>| async move {
        let mut res = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
        *res.status_mut() = StatusCode::from_u16(status).unwrap();
        for (name, value) in headers {
            res.headers_mut().append(*name, value.parse().unwrap());
        }
        Ok::<_, Infallible>(res)
    })
}

/// The menu page as `text/html`, no validators.
pub fn page_app()
-> impl tower::Service<Request<Body>, Response = Response<Full<Bytes>>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    app(200, &[("content-type", "text/html; charset=utf-8")], PAGE)
}

/// A body whose frames the test sends on a channel, announcing `hint`
/// (exact when `Some`) up front.
pub struct Channel {
    rx: mpsc::UnboundedReceiver<Bytes>,
    hint: Option<u64>,
}

impl http_body::Body for Channel {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|frame| frame.map(|data| Ok(Frame::data(data))))
    }

    fn size_hint(&self) -> SizeHint {
        self.hint.map(SizeHint::with_exact).unwrap_or_default()
    }
}

/// An app whose one answer streams what the test sends (with `headers`
/// and the size `hint`), and the sender.
pub fn channel_app(
    headers: &'static [(&'static str, &'static str)],
    hint: Option<u64>,
) -> (
    mpsc::UnboundedSender<Bytes>,
    impl tower::Service<Request<Body>, Response = Response<Channel>, Error = Infallible, Future: Send>
    + Clone
    + Send
    + 'static,
) {
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let rx = Arc::new(Mutex::new(Some(rx)));
    let app = service_fn(move |_req: Request<Body>| {
        let rx = rx
            .lock()
            .unwrap()
            .take()
            .expect("one request per channel app");
        async move {
            let mut res = Response::new(Channel { rx, hint });
            for (name, value) in headers {
                res.headers_mut().append(*name, value.parse().unwrap());
            }
            Ok::<_, Infallible>(res)
        }
    });
    (tx, app)
}

/// A body of known frames with an exact size hint (the sum), then
/// optional trailers.
pub struct Frames {
    pub frames: VecDeque<Bytes>,
    pub trailers: Option<HeaderMap>,
}

impl http_body::Body for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(match self.frames.pop_front() {
            Some(data) => Some(Ok(Frame::data(data))),
            None => self.trailers.take().map(|t| Ok(Frame::trailers(t))),
        })
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.frames.iter().map(|f| f.len() as u64).sum())
    }
}

/// An app answering with `frames` as a [`Frames`] body.
pub fn frames_app(
    frames: &'static [&'static str],
) -> impl tower::Service<Request<Body>, Response = Response<Frames>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    service_fn(move |_req: Request<Body>| async move {
        let frames = frames
            .iter()
            .map(|f| Bytes::from_static(f.as_bytes()))
            .collect();
        Ok::<_, Infallible>(Response::new(Frames {
            frames,
            trailers: None,
        }))
    })
}
