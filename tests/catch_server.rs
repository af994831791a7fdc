//! `pastry::catch` behind `pastry::serve` over real TCP: the server keeps
//! answering after a panic, and a body that fails mid-stream reaches the
//! client as an incomplete response, never as a complete one.

use std::convert::Infallible;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, Either, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use pastry::catch::CatchLayer;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceBuilder;

/// A body that sends one frame, yields once (so the server flushes the head
/// and that frame to the socket), then panics. `exact` announces a length
/// (so the head carries `Content-Length`) it never reaches.
struct PanicsAfterOneFrame {
    polls: u8,
    exact: Option<u64>,
}

impl http_body::Body for PanicsAfterOneFrame {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.polls += 1;
        match self.polls {
            1 => Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"partial "))))),
            2 => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            _ => panic!("the body panicked mid-stream"),
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.exact
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

type AppBody = Either<Full<Bytes>, PanicsAfterOneFrame>;

async fn route(req: Request<Incoming>) -> Result<Response<AppBody>, Infallible> {
    let body = match req.uri().path() {
        "/panic" => panic!("the handler panicked"),
        "/chunked-panic" => Either::Right(PanicsAfterOneFrame {
            polls: 0,
            exact: None,
        }),
        "/sized-panic" => Either::Right(PanicsAfterOneFrame {
            polls: 0,
            exact: Some(100),
        }),
        _ => Either::Left(Full::from("fine")),
    };
    Ok(Response::new(body))
}

/// A server with `CatchLayer` around `route`, on 127.0.0.1:0.
async fn start() -> (
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
) {
    let app = ServiceBuilder::new()
        .layer(CatchLayer::new())
        .service_fn(route);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = pastry::serve(listener, app).with_graceful_shutdown(async {
        stopped.await.ok();
    });
    (addr, stop, tokio::spawn(server.into_future()))
}

/// One HTTP/1.1 connection; the returned sender sends requests on it only.
async fn connect(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
}

fn get(path: &str) -> Request<Empty<Bytes>> {
    Request::get(path)
        .header("host", "localhost")
        .body(Empty::new())
        .unwrap()
}

#[tokio::test]
async fn server_answers_the_next_request_on_the_same_connection_after_a_panic() {
    let (addr, stop, server) = start().await;
    let mut conn = connect(addr).await;

    conn.ready().await.unwrap();
    let res = conn.send_request(get("/panic")).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().contains_key("x-error-id"));
    let page = res.into_body().collect().await.unwrap().to_bytes();
    assert!(!String::from_utf8_lossy(&page).contains("the handler panicked"));

    conn.ready()
        .await
        .expect("the keep-alive connection is still open");
    let res = conn.send_request(get("/ok")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "fine");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

async fn assert_mid_body_panic_is_incomplete(path: &str, framing: (&str, &str)) {
    let (addr, stop, server) = start().await;
    let mut conn = connect(addr).await;
    conn.ready().await.unwrap();
    let res = conn.send_request(get(path)).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the head was sent before the panic"
    );
    assert_eq!(res.headers()[framing.0], framing.1, "{path}");
    let mut body = res.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(first, "partial ", "{path}: the first frame arrived");
    let rest = body.collect().await;
    assert!(rest.is_err(), "{path}: the body must not look complete");

    let res = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    assert!(
        res.bytes().await.is_err(),
        "{path}: reqwest sees an incomplete body"
    );

    let fresh = reqwest::get(format!("http://{addr}/ok")).await.unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    assert_eq!(fresh.text().await.unwrap(), "fine");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn server_answers_a_new_connection_after_a_chunked_body_panics() {
    assert_mid_body_panic_is_incomplete("/chunked-panic", ("transfer-encoding", "chunked")).await;
}

#[tokio::test]
async fn server_answers_a_new_connection_after_a_sized_body_panics() {
    assert_mid_body_panic_is_incomplete("/sized-panic", ("content-length", "100")).await;
}
