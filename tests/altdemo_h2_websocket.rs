//! The demo's chat over HTTP/2 (RFC 8441 extended CONNECT) through its
//! whole stack, served by `pastry::serve` on loopback: an h2c client logs
//! in, opens the chat's WebSocket with its session cookie and hears its own
//! message back; a foreign origin's handshake is refused; the access log
//! records the handshake; and shutdown ends the socket with Close 1001.

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use std::future::IntoFuture;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode, header};
use http_body_util::Full;
use hyper::client::conn::http2::SendRequest;
use hyper::ext::Protocol;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pastry::accesslog::{AccessLogLayer, Format};
use pastry::sessions::AnyStore;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Message, Role};

/// Generous bound on any one step; not a timing assertion.
const STEP: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Demo {
    addr: SocketAddr,
    log: Lines,
    stop: oneshot::Sender<()>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_demo() -> Demo {
    let log = Lines::default();
    let mut config = app::Config::new(AnyStore::from_url("memory:").unwrap(), false, false);
    config.access_log = AccessLogLayer::new()
        .format(Format::Detailed)
        .writer(log.clone());
    let stack = app::stack(config).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = pastry::serve(listener, stack)
        .quiet(true)
        .shutdown_timeout(Duration::from_secs(5))
        .with_graceful_shutdown(async {
            stopped.await.ok();
        });
    Demo {
        addr,
        log,
        stop,
        served: tokio::spawn(serve.into_future()),
    }
}

/// An h2c (prior knowledge) connection to the demo.
async fn h2(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

/// Logs alice in over `send`; her session cookie (`name=value`).
async fn log_in(send: &mut SendRequest<Full<Bytes>>, addr: SocketAddr) -> String {
    let req = Request::post(format!("http://{addr}/login"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(
            b"username=alice&password=wonderland",
        )))
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

fn chat_handshake(addr: SocketAddr, cookie: &str) -> http::request::Builder {
    Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{addr}/chat/socket"))
        .header("sec-websocket-version", "13")
        .header(header::COOKIE, cookie)
        .extension(Protocol::from_static("websocket"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_over_http2_through_the_whole_demo_stack() {
    let demo = start_demo().await;
    let mut send = h2(demo.addr).await;
    let cookie = log_in(&mut send, demo.addr).await;

    // Another site's page cannot open the chat with alice's cookie.
    let foreign = chat_handshake(demo.addr, &cookie)
        .header(header::ORIGIN, "http://evil.example")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let refused = send.send_request(foreign).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let handshake = chat_handshake(demo.addr, &cookie)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let mut res = send.send_request(handshake).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        !res.headers().contains_key(header::CONTENT_ENCODING),
        "gzip leaves the tunnel alone"
    );
    let upgraded = hyper::upgrade::on(&mut res).await.unwrap();
    let mut socket =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await;
    socket.send(Message::text("over h2")).await.unwrap();
    let heard = tokio::time::timeout(STEP, socket.next())
        .await
        .expect("an answer in time");
    match heard {
        Some(Ok(Message::Text(text))) => assert_eq!(text.as_str(), "alice: over h2"),
        other => panic!("expected the broadcast, got {other:?}"),
    }

    let log = String::from_utf8(demo.log.0.lock().unwrap().clone()).unwrap();
    let entry = log
        .lines()
        .find(|line| line.contains("\"CONNECT /chat/socket HTTP/2.0\" 200"))
        .unwrap_or_else(|| panic!("no handshake entry in {log}"));
    assert!(entry.contains(" alice ["), "{entry}");
    assert!(
        log.contains("\"CONNECT /chat/socket HTTP/2.0\" 403"),
        "the refused handshake is logged too: {log}"
    );

    // Shutdown: the chat says goodbye with 1001 and serve returns.
    demo.stop.send(()).unwrap();
    let closed = loop {
        match tokio::time::timeout(STEP, socket.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|frame| frame.code),
            Some(Ok(_)) => {}
            other => panic!("expected a Close frame, got {other:?}"),
        }
    };
    assert_eq!(closed, Some(CloseCode::Away));
    drop(socket);
    drop(send);
    tokio::time::timeout(STEP, demo.served)
        .await
        .expect("serve returned in time")
        .unwrap()
        .unwrap();
}
