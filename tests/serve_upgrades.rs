//! WebSockets and streams through `pastry::serve` over real TCP on
//! loopback: WebSockets over HTTP/1.1 (`Upgrade`) and HTTP/2 (RFC 8441
//! extended CONNECT) with axum's handler, graceful shutdown of upgraded
//! connections and event streams (the [`pastry::ShutdownSignal`]
//! extension, then closing at the shutdown timeout), and the limits that
//! hold for upgraded connections (the connection cap, the upgraded idle
//! limit, and no request-body limit after the upgrade).
//!
//! No timing assertions: bounds are generous (a limit of 0.5 s must act
//! before 10 s), and orderings are checked, not durations.

use std::convert::Infallible;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use axum::routing::{any, get};
use axum::{Extension, body::Body};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty};
use hyper::ext::Protocol;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pastry::ShutdownSignal;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Message as WsMessage, Role};

/// Generous: the limits under test are all a second or less, and the
/// traffic that must not trip them leaves them a wide margin.
const OUTER: Duration = Duration::from_secs(10);

/// What the WebSocket handler does when the server shuts down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OnShutdown {
    /// Sends Close 1001 and ends.
    GoAway,
    /// Goes on echoing until the socket fails.
    Ignore,
}

#[derive(Clone)]
struct AppState {
    on_shutdown: OnShutdown,
    /// Told when a WebSocket handler or an event stream has ended.
    ended: mpsc::UnboundedSender<&'static str>,
}

/// `/ws` echoes text (answering `version` with the handshake's HTTP
/// version); `/events` streams an event every 50 ms.
fn app(on_shutdown: OnShutdown) -> (Router, mpsc::UnboundedReceiver<&'static str>) {
    let (ended, ended_rx) = mpsc::unbounded_channel();
    let router = Router::new()
        .route("/ws", any(ws))
        .route("/events", get(events))
        .with_state(AppState { on_shutdown, ended });
    (router, ended_rx)
}

async fn ws(
    ws: WebSocketUpgrade,
    version: Version,
    State(state): State<AppState>,
    Extension(shutdown): Extension<ShutdownSignal>,
) -> Response {
    ws.on_upgrade(move |socket| async move {
        echo(socket, version, state.on_shutdown, shutdown).await;
        let _ = state.ended.send("ws");
    })
}

async fn echo(
    mut socket: WebSocket,
    version: Version,
    on_shutdown: OnShutdown,
    shutdown: ShutdownSignal,
) {
    loop {
        let message = tokio::select! {
            () = shutdown.wait(), if on_shutdown == OnShutdown::GoAway => {
                let close = CloseFrame {
                    code: close_code::AWAY,
                    reason: "server shutting down".into(),
                };
                if socket.send(axum::extract::ws::Message::Close(Some(close))).await.is_ok() {
                    // Until the client's Close answers ours.
                    while let Some(Ok(_)) = socket.recv().await {}
                }
                return;
            }
            message = socket.recv() => message,
        };
        let reply = match message {
            Some(Ok(Message::Text(text))) if text.as_str() == "version" => format!("{version:?}"),
            Some(Ok(Message::Text(text))) => text.to_string(),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return,
        };
        if socket.send(Message::Text(reply.into())).await.is_err() {
            return;
        }
    }
}

/// `data: n` every 50 ms; with [`OnShutdown::GoAway`] the stream ends when
/// the shutdown signal fires.
async fn events(
    State(state): State<AppState>,
    Extension(shutdown): Extension<ShutdownSignal>,
) -> Response {
    struct Ended(mpsc::UnboundedSender<&'static str>);
    impl Drop for Ended {
        fn drop(&mut self) {
            let _ = self.0.send("events");
        }
    }
    let go_away = state.on_shutdown == OnShutdown::GoAway;
    // The guard travels with the stream's state: dropped when the stream
    // ends or is dropped.
    let start = (0_u32, Ended(state.ended.clone()));
    let stream = futures_util::stream::unfold(start, move |(n, ended)| {
        let shutdown = shutdown.clone();
        async move {
            let tick = tokio::time::sleep(Duration::from_millis(50));
            if go_away {
                tokio::select! {
                    () = shutdown.wait() => return None,
                    () = tick => {}
                }
            } else {
                tick.await;
            }
            Some((
                Ok::<_, Infallible>(format!("data: {n}\n\n")),
                (n + 1, ended),
            ))
        }
    });
    Response::builder()
        .header(http::header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(stream))
        .expect("response")
}

struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Signals shutdown and returns how long `serve` took to return.
    async fn stop(self) -> Duration {
        let began = Instant::now();
        self.stop.send(()).expect("server still running");
        tokio::time::timeout(OUTER, self.task)
            .await
            .expect("serve returned in time")
            .expect("server task")
            .expect("server");
        began.elapsed()
    }
}

async fn start(
    app: Router,
    configure: impl FnOnce(pastry::Serve<Router>) -> pastry::Serve<Router>,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = configure(pastry::serve(listener, app).quiet(true)).with_graceful_shutdown(async {
        stopped.await.ok();
    });
    Server {
        addr,
        stop,
        task: tokio::spawn(serve.into_future()),
    }
}

type H1Socket = WebSocketStream<TcpStream>;

/// Opens a WebSocket over HTTP/1.1 (`Upgrade: websocket`).
async fn h1_websocket(addr: SocketAddr) -> H1Socket {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (socket, res) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), tcp)
        .await
        .expect("handshake");
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
}

/// A WebSocket over HTTP/2, and the connection's request handle (kept so
/// the connection stays up).
struct H2Socket {
    socket: WebSocketStream<TokioIo<Upgraded>>,
    _send: hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
}

/// An h2c connection (prior knowledge) whose server SETTINGS have arrived.
async fn h2_connect(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<Empty<Bytes>> {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    // A first request: once it is answered, the server's SETTINGS (which
    // enable extended CONNECT) have been read.
    let req = Request::get(format!("http://{addr}/nothing"))
        .body(Empty::new())
        .expect("request");
    let res = send.send_request(req).await.expect("h2 request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    send
}

fn extended_connect(addr: SocketAddr) -> Request<Empty<Bytes>> {
    Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{addr}/ws"))
        .header("sec-websocket-version", "13")
        .extension(Protocol::from_static("websocket"))
        .body(Empty::new())
        .expect("request")
}

/// Opens a WebSocket over HTTP/2 (RFC 8441 extended CONNECT).
async fn h2_websocket(addr: SocketAddr) -> H2Socket {
    let mut send = h2_connect(addr).await;
    let mut res = send
        .send_request(extended_connect(addr))
        .await
        .expect("extended CONNECT");
    assert_eq!(res.status(), StatusCode::OK);
    let upgraded = hyper::upgrade::on(&mut res).await.expect("upgraded stream");
    let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await;
    H2Socket {
        socket,
        _send: send,
    }
}

/// Sends `text` and returns the text answered.
async fn round_trip<S>(socket: &mut WebSocketStream<S>, text: &str) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    socket
        .send(WsMessage::text(text))
        .await
        .expect("send a message");
    loop {
        match tokio::time::timeout(OUTER, socket.next())
            .await
            .expect("an answer in time")
        {
            Some(Ok(WsMessage::Text(answer))) => return answer.to_string(),
            Some(Ok(_)) => {}
            other => panic!("expected an answer, got {other:?}"),
        }
    }
}

/// Reads until the server closes the socket: its Close frame's code, or
/// `None` when the connection ended without one (EOF or reset).
async fn read_until_closed<S>(socket: &mut WebSocketStream<S>) -> Option<CloseCode>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match tokio::time::timeout(OUTER, socket.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(WsMessage::Close(frame))) => {
                return Some(frame.map_or(CloseCode::Status, |f| f.code));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return None,
        }
    }
}

async fn ended(rx: &mut mpsc::UnboundedReceiver<&'static str>) -> &'static str {
    tokio::time::timeout(OUTER, rx.recv())
        .await
        .expect("the handler ended in time")
        .expect("the app is alive")
}

#[tokio::test]
async fn h1_websocket_echoes_through_serve() {
    let (app, _ended) = app(OnShutdown::GoAway);
    let server = start(app, |s| s).await;
    let mut socket = h1_websocket(server.addr).await;
    assert_eq!(round_trip(&mut socket, "hello").await, "hello");
    assert_eq!(round_trip(&mut socket, "version").await, "HTTP/1.1");
    socket.close(None).await.expect("close");
    server.stop().await;
}

#[tokio::test]
async fn h2_websocket_over_extended_connect_echoes_through_serve() {
    let (app, _ended) = app(OnShutdown::GoAway);
    let server = start(app, |s| s).await;
    let mut h2 = h2_websocket(server.addr).await;
    assert_eq!(round_trip(&mut h2.socket, "hello").await, "hello");
    assert_eq!(round_trip(&mut h2.socket, "version").await, "HTTP/2.0");
    // A second WebSocket on the same connection.
    let mut res = h2
        ._send
        .send_request(extended_connect(server.addr))
        .await
        .expect("second extended CONNECT");
    assert_eq!(res.status(), StatusCode::OK);
    let upgraded = hyper::upgrade::on(&mut res).await.expect("upgraded");
    let mut second =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await;
    assert_eq!(round_trip(&mut second, "two").await, "two");
    assert_eq!(round_trip(&mut h2.socket, "one").await, "one");
    h2.socket.close(None).await.expect("close");
    second.close(None).await.expect("close");
    server.stop().await;
}

#[tokio::test]
async fn h2_extended_connect_can_be_turned_off() {
    let (app, _ended) = app(OnShutdown::GoAway);
    let server = start(app, |s| s.http2_extended_connect(false)).await;
    let mut send = h2_connect(server.addr).await;
    // The server does not announce SETTINGS_ENABLE_CONNECT_PROTOCOL: the
    // client refuses to send the request, or the server refuses it.
    match send.send_request(extended_connect(server.addr)).await {
        Err(_) => {}
        Ok(res) => assert_ne!(res.status(), StatusCode::OK),
    }
    // HTTP/1.1 WebSockets still work.
    let mut socket = h1_websocket(server.addr).await;
    assert_eq!(round_trip(&mut socket, "hello").await, "hello");
    socket.close(None).await.expect("close");
    server.stop().await;
}

#[tokio::test]
async fn on_shutdown_an_h1_websocket_closes_with_1001_and_serve_returns() {
    let (app, mut ended_rx) = app(OnShutdown::GoAway);
    let shutdown_timeout = Duration::from_secs(30);
    let server = start(app, |s| s.shutdown_timeout(shutdown_timeout)).await;
    let mut socket = h1_websocket(server.addr).await;
    assert_eq!(round_trip(&mut socket, "hello").await, "hello");

    let stopping = tokio::spawn(server.stop());
    assert_eq!(read_until_closed(&mut socket).await, Some(CloseCode::Away));
    // The client's Close answers the server's; then the handler ends.
    while socket.next().await.is_some() {}
    assert_eq!(ended(&mut ended_rx).await, "ws");
    let took = stopping.await.expect("stop");
    assert!(took < shutdown_timeout, "serve waited {took:?}");
}

#[tokio::test]
async fn on_shutdown_an_h2_websocket_closes_with_1001_and_serve_returns() {
    let (app, mut ended_rx) = app(OnShutdown::GoAway);
    let shutdown_timeout = Duration::from_secs(30);
    let server = start(app, |s| s.shutdown_timeout(shutdown_timeout)).await;
    let mut h2 = h2_websocket(server.addr).await;
    assert_eq!(round_trip(&mut h2.socket, "hello").await, "hello");

    let stopping = tokio::spawn(server.stop());
    assert_eq!(
        read_until_closed(&mut h2.socket).await,
        Some(CloseCode::Away)
    );
    while h2.socket.next().await.is_some() {}
    assert_eq!(ended(&mut ended_rx).await, "ws");
    let took = stopping.await.expect("stop");
    assert!(took < shutdown_timeout, "serve waited {took:?}");
}

#[tokio::test]
async fn an_h1_websocket_that_ignores_shutdown_is_closed_at_the_timeout() {
    let (app, mut ended_rx) = app(OnShutdown::Ignore);
    let shutdown_timeout = Duration::from_secs(1);
    let server = start(app, |s| s.shutdown_timeout(shutdown_timeout)).await;
    let mut socket = h1_websocket(server.addr).await;
    assert_eq!(round_trip(&mut socket, "hello").await, "hello");

    let stopping = tokio::spawn(server.stop());
    // Still served while the server waits.
    assert_eq!(round_trip(&mut socket, "still there").await, "still there");
    // Then cut: EOF or reset, no Close frame.
    assert_eq!(read_until_closed(&mut socket).await, None);
    let took = stopping.await.expect("stop");
    assert!(took >= shutdown_timeout, "serve returned after {took:?}");
    assert!(took < OUTER, "serve returned after {took:?}");
    // The handler does not outlive the server: its socket failed.
    assert_eq!(ended(&mut ended_rx).await, "ws");
}

#[tokio::test]
async fn an_h2_websocket_that_ignores_shutdown_is_closed_at_the_timeout() {
    let (app, mut ended_rx) = app(OnShutdown::Ignore);
    let shutdown_timeout = Duration::from_secs(1);
    let server = start(app, |s| s.shutdown_timeout(shutdown_timeout)).await;
    let mut h2 = h2_websocket(server.addr).await;
    assert_eq!(round_trip(&mut h2.socket, "hello").await, "hello");

    let stopping = tokio::spawn(server.stop());
    assert_eq!(
        round_trip(&mut h2.socket, "still there").await,
        "still there"
    );
    assert_eq!(read_until_closed(&mut h2.socket).await, None);
    let took = stopping.await.expect("stop");
    assert!(took >= shutdown_timeout, "serve returned after {took:?}");
    assert!(took < OUTER, "serve returned after {took:?}");
    assert_eq!(ended(&mut ended_rx).await, "ws");
}

/// Opens `/events` over HTTP/1.1 and returns its body once the first event
/// has arrived.
async fn open_events(addr: SocketAddr) -> hyper::body::Incoming {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let req = Request::get("/events")
        .header(http::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .expect("request");
    let res = send.send_request(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    let frame = tokio::time::timeout(OUTER, body.frame())
        .await
        .expect("an event in time")
        .expect("an event")
        .expect("a frame");
    assert!(frame.data_ref().is_some_and(|d| d.starts_with(b"data: 0")));
    body
}

/// Reads the rest of the body: `Ok` if it ended cleanly.
async fn drain(mut body: hyper::body::Incoming) -> Result<(), hyper::Error> {
    loop {
        match tokio::time::timeout(OUTER, body.frame())
            .await
            .expect("the stream ended in time")
        {
            None => return Ok(()),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error),
        }
    }
}

#[tokio::test]
async fn on_shutdown_an_event_stream_ends_and_serve_returns() {
    let (app, mut ended_rx) = app(OnShutdown::GoAway);
    let shutdown_timeout = Duration::from_secs(30);
    let server = start(app, |s| s.shutdown_timeout(shutdown_timeout)).await;
    let body = open_events(server.addr).await;

    let stopping = tokio::spawn(server.stop());
    // The stream ends cleanly (its chunked body is complete).
    drain(body).await.expect("a complete body");
    assert_eq!(ended(&mut ended_rx).await, "events");
    let took = stopping.await.expect("stop");
    assert!(took < shutdown_timeout, "serve waited {took:?}");
}

#[tokio::test]
async fn an_endless_event_stream_is_cut_at_the_shutdown_timeout() {
    let (app, mut ended_rx) = app(OnShutdown::Ignore);
    let shutdown_timeout = Duration::from_secs(1);
    let server = start(app, |s| s.shutdown_timeout(shutdown_timeout)).await;
    let body = open_events(server.addr).await;

    let stopping = tokio::spawn(server.stop());
    // Events go on until the timeout, then the body is cut short.
    assert!(drain(body).await.is_err(), "the body should be incomplete");
    let took = stopping.await.expect("stop");
    assert!(took >= shutdown_timeout, "serve returned after {took:?}");
    assert!(took < OUTER, "serve returned after {took:?}");
    assert_eq!(ended(&mut ended_rx).await, "events");
}

#[tokio::test]
async fn upgraded_connections_count_toward_the_connection_cap() {
    let (app, _ended) = app(OnShutdown::GoAway);
    let server = start(app, |s| s.max_connections(2)).await;
    let mut first = h1_websocket(server.addr).await;
    let mut second = h1_websocket(server.addr).await;
    assert_eq!(round_trip(&mut first, "1").await, "1");
    assert_eq!(round_trip(&mut second, "2").await, "2");

    // A third client waits in the backlog: its handshake is not answered.
    let addr = server.addr;
    let third = tokio::spawn(async move { h1_websocket(addr).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served at a cap of 2"
    );

    // One WebSocket closes: the third gets its place.
    first.close(None).await.expect("close");
    while first.next().await.is_some() {}
    let mut third = tokio::time::timeout(OUTER, third)
        .await
        .expect("the third client served in time")
        .expect("third");
    assert_eq!(round_trip(&mut third, "3").await, "3");
    assert_eq!(round_trip(&mut second, "2").await, "2");
    third.close(None).await.expect("close");
    second.close(None).await.expect("close");
    server.stop().await;
}

#[tokio::test]
async fn an_idle_h1_websocket_is_closed_at_the_upgraded_idle_limit() {
    let (app, mut ended_rx) = app(OnShutdown::GoAway);
    let limit = Duration::from_secs(1);
    let server = start(app, |s| s.upgraded_idle_timeout(limit)).await;
    let mut socket = h1_websocket(server.addr).await;

    // Traffic every 100 ms for twice the limit keeps it open.
    let began = Instant::now();
    let mut last_data = began;
    while began.elapsed() < 2 * limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(round_trip(&mut socket, "busy").await, "busy");
        last_data = Instant::now();
    }
    // Silence: closed without a Close frame.
    assert_eq!(read_until_closed(&mut socket).await, None);
    // Measured from the last data: the limit, not earlier.
    let took = last_data.elapsed();
    assert!(took >= limit / 2, "closed after {took:?}");
    assert!(took < OUTER, "closed after {took:?}");
    assert_eq!(ended(&mut ended_rx).await, "ws");
    server.stop().await;
}

#[tokio::test]
async fn an_idle_h2_websocket_is_closed_at_the_upgraded_idle_limit() {
    let (app, mut ended_rx) = app(OnShutdown::GoAway);
    let limit = Duration::from_secs(1);
    let server = start(app, |s| s.upgraded_idle_timeout(limit)).await;
    let mut h2 = h2_websocket(server.addr).await;

    let began = Instant::now();
    let mut last_data = began;
    while began.elapsed() < 2 * limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(round_trip(&mut h2.socket, "busy").await, "busy");
        last_data = Instant::now();
    }
    assert_eq!(read_until_closed(&mut h2.socket).await, None);
    // Measured from the last data: the limit, not earlier.
    let took = last_data.elapsed();
    assert!(took >= limit / 2, "closed after {took:?}");
    assert!(took < OUTER, "closed after {took:?}");
    assert_eq!(ended(&mut ended_rx).await, "ws");
    server.stop().await;
}

#[tokio::test]
async fn a_silent_h1_websocket_outlives_the_request_limits() {
    let (app, _ended) = app(OnShutdown::GoAway);
    let short = Duration::from_millis(300);
    let server = start(app, |s| {
        s.body_read_timeout(short)
            .header_read_timeout(short)
            .idle_timeout(short)
    })
    .await;
    let mut socket = h1_websocket(server.addr).await;
    // Past the idle limit and its one-second close grace.
    tokio::time::sleep(7 * short).await;
    assert_eq!(round_trip(&mut socket, "still here").await, "still here");
    socket.close(None).await.expect("close");
    server.stop().await;
}

#[tokio::test]
async fn a_silent_h2_websocket_outlives_the_request_limits() {
    let (app, _ended) = app(OnShutdown::GoAway);
    let short = Duration::from_millis(300);
    let server = start(app, |s| {
        s.body_read_timeout(short)
            .header_read_timeout(short)
            .idle_timeout(short)
    })
    .await;
    let mut h2 = h2_websocket(server.addr).await;
    // Past the idle limit and its one-second close grace.
    tokio::time::sleep(7 * short).await;
    assert_eq!(round_trip(&mut h2.socket, "still here").await, "still here");
    h2.socket.close(None).await.expect("close");
    server.stop().await;
}
