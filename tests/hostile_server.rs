//! Hostile clients against `pastry::serve` over real TCP on loopback: each
//! limit is driven past with a short configured value, and the test checks
//! what the client sees (closed, 408, 400, GOAWAY, served in turn). No
//! timing assertions: outer timeouts are generous, and the times seen are
//! printed (`--nocapture`) for RELIABILITY.md.
//!
//! The limits that need a child process (descriptor limit, stderr,
//! inherited sockets) are in `hostile_server_process.rs`.

use std::convert::Infallible;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Generous: the limits under test are all a second or less.
const OUTER: Duration = Duration::from_secs(20);

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn stop(self) {
        self.stop.send(()).expect("server still running");
        self.task.await.expect("server task").expect("server");
    }
}

type App = tower::util::BoxCloneSyncService<Request<Incoming>, Response<Full<Bytes>>, Infallible>;

/// Answers `ok`, after reading the whole request body.
fn reading_app() -> App {
    tower::util::BoxCloneSyncService::new(tower::service_fn(|req: Request<Incoming>| async move {
        let text = match req.into_body().collect().await {
            Ok(body) => format!("ok {}", body.to_bytes().len()),
            Err(error) => format!("body error: {error}"),
        };
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
    }))
}

/// Never answers.
fn hanging_app() -> App {
    tower::util::BoxCloneSyncService::new(tower::service_fn(|_req: Request<Incoming>| async {
        std::future::pending::<()>().await;
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
    }))
}

async fn start(
    app: App,
    configure: impl FnOnce(pastry::Serve<App>) -> pastry::Serve<App>,
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

/// Reads until the server closes; panics if it does not within `OUTER`.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0_u8; 4096];
    tokio::time::timeout(OUTER, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server never closed the connection");
    seen
}

/// One request over a fresh HTTP/1.1 connection written by hand; the
/// answer up to the server's close.
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned()
}

/// The status code of a raw HTTP/1.x answer.
fn status_of(answer: &str) -> &str {
    answer.split(' ').nth(1).unwrap_or("")
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let server = start(reading_app(), |s| {
        s.header_read_timeout(Duration::from_millis(500))
    })
    .await;
    let mut silent = TcpStream::connect(server.addr).await.expect("connect");
    let began = Instant::now();
    let seen = read_until_closed(&mut silent).await;
    eprintln!("silent connection closed after {:?}", began.elapsed());
    assert!(seen.is_empty(), "{seen:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_connection_sending_only_the_h2_preface_is_closed_after_the_header_timeout() {
    let server = start(reading_app(), |s| {
        s.header_read_timeout(Duration::from_millis(500))
    })
    .await;
    let mut preface_only = TcpStream::connect(server.addr).await.expect("connect");
    preface_only.write_all(H2_PREFACE).await.expect("preface");
    let began = Instant::now();
    read_until_closed(&mut preface_only).await;
    eprintln!(
        "h2-preface-only connection closed after {:?}",
        began.elapsed()
    );

    // The same with the client's SETTINGS too: a proper h2 connection that
    // opens no stream.
    let mut no_stream = TcpStream::connect(server.addr).await.expect("connect");
    no_stream.write_all(H2_PREFACE).await.expect("preface");
    no_stream
        .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .expect("settings");
    let began = Instant::now();
    read_until_closed(&mut no_stream).await;
    eprintln!(
        "h2 connection with no stream closed after {:?}",
        began.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn an_idle_h2_connection_gets_goaway_and_closes() {
    let server = start(reading_app(), |s| {
        s.header_read_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_millis(500))
    })
    .await;
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    let conn = tokio::spawn(conn);
    let res = sender
        .send_request(
            Request::get(format!("http://{}/", server.addr))
                .body(Empty::<Bytes>::new())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    res.into_body().collect().await.expect("body");
    let began = Instant::now();
    // The client keeps its sender: only the server can end the connection.
    tokio::time::timeout(OUTER, conn)
        .await
        .expect("the idle h2 connection was never closed")
        .expect("connection task")
        .expect("graceful close, not an error");
    eprintln!(
        "idle h2 connection closed (GOAWAY) after {:?}",
        began.elapsed()
    );
    assert!(sender.is_closed() || sender.ready().await.is_err());
    server.stop().await;
}

/// h2 frame header: length, type, flags, stream id.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len())
        .expect("small frame")
        .to_be_bytes();
    let mut out = vec![len[1], len[2], len[3], kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

#[tokio::test]
async fn h2_keep_alive_pings_close_a_peer_that_never_answers() {
    let server = start(hanging_app(), |s| {
        s.keep_alive_interval(Duration::from_millis(200))
            .keep_alive_timeout(Duration::from_millis(300))
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(H2_PREFACE).await.expect("preface");
    stream
        .write_all(&frame(4, 0, 0, &[]))
        .await
        .expect("settings");
    // GET / on stream 1 (HPACK: :method GET, :scheme http, :path /,
    // :authority "x"), END_HEADERS | END_STREAM. The app never answers, so
    // the stream stays open and the connection is not idle.
    let headers = [0x82, 0x86, 0x84, 0x41, 0x01, b'x'];
    stream
        .write_all(&frame(1, 0x5, 1, &headers))
        .await
        .expect("headers");
    let began = Instant::now();
    let seen = read_until_closed(&mut stream).await;
    eprintln!("h2 peer ignoring pings closed after {:?}", began.elapsed());
    // Walk the frames the server sent: one must be a PING (type 6) that
    // is not an ACK.
    let mut at = 0;
    let mut pinged = false;
    while at + 9 <= seen.len() {
        let len = usize::from(seen[at]) << 16
            | usize::from(seen[at + 1]) << 8
            | usize::from(seen[at + 2]);
        if seen[at + 3] == 6 && seen[at + 4] & 1 == 0 {
            pinged = true;
        }
        at += 9 + len;
    }
    assert!(pinged, "no PING among the server's frames: {seen:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_request_body_gets_408_and_the_connection_closes() {
    let server = start(reading_app(), |s| {
        s.body_read_timeout(Duration::from_millis(500))
    })
    .await;
    let began = Instant::now();
    let answer = raw_exchange(
        server.addr,
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\nhello world",
    )
    .await;
    eprintln!(
        "stalled body answered and closed after {:?}",
        began.elapsed()
    );
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );

    // A chunked body that stops half-way is cut off the same way.
    let answer = raw_exchange(
        server.addr,
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");

    // Everybody else is still served.
    let res = reqwest::get(format!("http://{}/", server.addr))
        .await
        .expect("served");
    assert_eq!(res.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_h2_request_body_closes_the_connection_with_goaway() {
    // Pings off: only the body-read timeout may end this connection.
    let server = start(reading_app(), |s| {
        s.body_read_timeout(Duration::from_millis(500))
            .keep_alive_interval(None)
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(H2_PREFACE).await.expect("preface");
    stream
        .write_all(&frame(4, 0, 0, &[]))
        .await
        .expect("settings");
    // POST / on stream 1 (HPACK: :method POST, :scheme http, :path /,
    // :authority "x", content-length "1000"), END_HEADERS only; then 11
    // bytes of DATA and silence.
    let headers = [
        0x83, 0x86, 0x84, 0x41, 0x01, b'x', 0x5c, 0x04, b'1', b'0', b'0', b'0',
    ];
    stream
        .write_all(&frame(1, 0x4, 1, &headers))
        .await
        .expect("headers");
    stream
        .write_all(&frame(0, 0, 1, b"hello world"))
        .await
        .expect("data");
    let began = Instant::now();
    let seen = read_until_closed(&mut stream).await;
    eprintln!(
        "stalled h2 body: connection closed after {:?}",
        began.elapsed()
    );
    let mut at = 0;
    let mut goaway = false;
    while at + 9 <= seen.len() {
        let len = usize::from(seen[at]) << 16
            | usize::from(seen[at + 1]) << 8
            | usize::from(seen[at + 2]);
        goaway |= seen[at + 3] == 7;
        at += 9 + len;
    }
    assert!(goaway, "no GOAWAY among the server's frames: {seen:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_slow_but_steady_body_is_not_cut_off() {
    let server = start(reading_app(), |s| {
        s.body_read_timeout(Duration::from_secs(2))
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 40\r\nConnection: close\r\n\r\n")
        .await
        .expect("head");
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.write_all(b"0123456789").await.expect("chunk");
    }
    let answer = String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.ends_with("ok 40"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn http11_without_exactly_one_valid_host_gets_400() {
    let server = start(reading_app(), |s| s).await;
    for (request, why) in [
        (&b"GET / HTTP/1.1\r\n\r\n"[..], "no Host"),
        (
            b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
            "two Host lines",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n",
            "a list",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a.example:99999\r\n\r\n",
            "a port past 65535",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: user@a.example\r\n\r\n",
            "userinfo",
        ),
        (b"GET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n", "a path"),
        (b"GET / HTTP/1.1\r\nHost: \r\n\r\n", "empty"),
        (
            b"GET / HTTP/1.0\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
            "HTTP/1.0, two Host lines",
        ),
    ] {
        let answer = raw_exchange(server.addr, request).await;
        assert_eq!(status_of(&answer), "400", "{why}: {answer}");
    }
    for (request, why) in [
        (
            &b"GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n"[..],
            "one Host",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
            "IPv6 and port",
        ),
        (b"GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 without Host"),
    ] {
        let answer = raw_exchange(server.addr, request).await;
        assert_eq!(status_of(&answer), "200", "{why}: {answer}");
    }
    server.stop().await;
}

#[tokio::test]
async fn h2_without_a_host_header_is_served_by_its_authority() {
    let server = start(reading_app(), |s| s).await;
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    let res = sender
        .send_request(
            Request::get(format!("http://{}/", server.addr))
                .body(Empty::<Bytes>::new())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    drop(sender);
    server.stop().await;
}

#[tokio::test]
async fn at_the_connection_cap_new_clients_wait_and_are_then_served() {
    let server = start(reading_app(), |s| {
        s.max_connections(4)
            .header_read_timeout(Duration::from_millis(500))
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(server.addr).await.expect("connect"));
    }
    // The fifth waits in the backlog (not accepted, so not dropped) until
    // a silent one is closed, and is then served.
    let began = Instant::now();
    let answer = raw_exchange(
        server.addr,
        b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    eprintln!("client beyond the cap served after {:?}", began.elapsed());
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    for mut stream in silent {
        read_until_closed(&mut stream).await;
    }
    server.stop().await;
}
