//! A WebSocket over HTTP/2 (RFC 8441 extended CONNECT) through a whole
//! stack of Pastry layers (access log, catch, gzip both ways, sessions),
//! served by hyper's own HTTP/2 connection with the extended CONNECT
//! protocol on, over loopback: the handshake answer carries the session
//! cookie and no compression, the session is in the store before it, the
//! access log has the handshake's one line when it is answered, and bytes
//! echo through the tunnel.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper::ext::Protocol;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pastry::accesslog::{AccessLogLayer, Format};
use pastry::catch::CatchLayer;
use pastry::gzip::{DecompressBody, GunzipRequestsLayer, GzipLayer};
use pastry::sessions::{MemoryStore, SessionExt, SessionLayer};
use pastry::{BoxError, ClientAddr, ManualClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::{ServiceBuilder, ServiceExt};

/// Generous bound on any one network step; not a timing assertion.
const STEP: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The chat app: `CONNECT /chat` with `:protocol websocket` records who
/// joined in the session and echoes every byte of the tunnel back; `GET
/// /whoami` reads the session; anything else is a page big enough to
/// compress.
async fn chat(
    mut req: Request<DecompressBody<Incoming>>,
) -> Result<Response<Full<Bytes>>, BoxError> {
    let session = req.session().expect("behind a SessionLayer").clone();
    let over_h2 = req.method() == Method::CONNECT
        && req.extensions().get::<Protocol>().map(Protocol::as_str) == Some("websocket");
    let over_h1 = req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if (over_h2 || over_h1) && req.uri().path() == "/chat" {
        session.insert("joined_as", "ann").await?;
        let upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let Ok(upgraded) = upgrade.await else { return };
            let mut tunnel = TokioIo::new(upgraded);
            let mut buf = [0u8; 1024];
            while let Ok(n) = tunnel.read(&mut buf).await {
                if n == 0 || tunnel.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
        let mut res = Response::new(Full::default());
        if over_h1 {
            *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            res.headers_mut()
                .insert(header::UPGRADE, "websocket".parse().unwrap());
            res.headers_mut()
                .insert(header::CONNECTION, "upgrade".parse().unwrap());
        }
        return Ok(res);
    }
    if req.uri().path() == "/whoami" {
        let name: Option<String> = session.get("joined_as").await?;
        return Ok(Response::new(Full::from(name.unwrap_or_default())));
    }
    let page = "<p>the chat is at /chat</p>\n".repeat(40);
    let mut res = Response::new(Full::from(page));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, "text/html".parse().unwrap());
    Ok(res)
}

/// Serves the stack over HTTP/2 (h2c) with extended CONNECT on, or over
/// HTTP/1.1 with upgrades, each connection on its own task; the address
/// and the access log.
async fn start(http2: bool) -> (SocketAddr, Lines) {
    let log = Lines::default();
    let stack = ServiceBuilder::new()
        .layer(
            AccessLogLayer::new()
                .format(Format::Common)
                .writer(log.clone())
                .clock(ManualClock::at(
                    UNIX_EPOCH + Duration::from_secs(971_186_136),
                )),
        )
        .layer(CatchLayer::new())
        .layer(GzipLayer::new())
        .layer(GunzipRequestsLayer::new(1 << 20))
        .layer(
            SessionLayer::new(MemoryStore::new())
                .cookie_name("id")
                .secure(false),
        )
        .service_fn(chat);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                return;
            };
            let stack = stack.clone();
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ClientAddr(peer));
                stack.clone().oneshot(req)
            });
            let io = TokioIo::new(tcp);
            if http2 {
                tokio::spawn(
                    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .enable_connect_protocol()
                        .serve_connection(io, service),
                );
            } else {
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .with_upgrades(),
                );
            }
        }
    });
    (addr, log)
}

async fn h2_client(addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

async fn get(
    send: &mut SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> Response<Incoming> {
    let mut req =
        Request::get(format!("http://{addr}{path}")).header(header::ACCEPT_ENCODING, "gzip");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    tokio::time::timeout(STEP, send.send_request(req.body(Empty::new()).unwrap()))
        .await
        .expect("answered in time")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_over_h2_passes_the_whole_stack() {
    let (addr, log) = start(true).await;
    let mut send = h2_client(addr).await;

    // A page first: the server's SETTINGS (with ENABLE_CONNECT_PROTOCOL)
    // have arrived once it is answered, and gzip is on for pages.
    let page = get(&mut send, addr, "/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[header::CONTENT_ENCODING], "gzip");
    page.into_body().collect().await.unwrap();

    let handshake = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri(format!("http://{addr}/chat"))
        .header("sec-websocket-version", "13")
        .header(header::ACCEPT_ENCODING, "gzip")
        .extension(Protocol::from_static("websocket"))
        .body(Empty::new())
        .unwrap();
    let mut res = tokio::time::timeout(STEP, send.send_request(handshake))
        .await
        .expect("answered in time")
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        !res.headers().contains_key(header::CONTENT_ENCODING),
        "{:?}",
        res.headers()
    );
    assert!(
        !res.headers().contains_key(header::CONTENT_LENGTH),
        "{:?}",
        res.headers()
    );
    let set_cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("id="), "{set_cookie}");

    // The handshake's line is written by the time its head arrives, though
    // the tunnel is still open.
    let handshake_line = format!(
        "{} - - [10/Oct/2000:13:55:36 +0000] \"CONNECT /chat HTTP/2.0\" 200 -\n",
        "127.0.0.1"
    );
    assert!(log.text().ends_with(&handshake_line), "{}", log.text());

    let upgraded = tokio::time::timeout(STEP, hyper::upgrade::on(&mut res))
        .await
        .expect("upgraded in time")
        .unwrap();
    let mut tunnel = TokioIo::new(upgraded);
    echo(&mut tunnel, b"hello through gzip, sessions and the log").await;
    echo(&mut tunnel, b"\x00\x01 binary too").await;

    // The session was saved before the handshake was answered.
    let whoami = get(&mut send, addr, "/whoami", Some(&cookie)).await;
    let name = whoami.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&name[..], b"ann");

    drop(tunnel);
    let text = log.text();
    assert_eq!(
        text.matches("CONNECT").count(),
        1,
        "one entry for the handshake: {text}"
    );
    assert_eq!(text.lines().count(), 3, "{text}");
}

/// Writes `message` into the tunnel and reads it back.
async fn echo(tunnel: &mut TokioIo<hyper::upgrade::Upgraded>, message: &[u8]) {
    tunnel.write_all(message).await.unwrap();
    let mut echoed = vec![0u8; message.len()];
    tokio::time::timeout(STEP, tunnel.read_exact(&mut echoed))
        .await
        .expect("echoed in time")
        .unwrap();
    assert_eq!(echoed, message);
}

/// The same echo through an HTTP/1.1 `101` handshake, on the same stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_over_h1_passes_the_same_stack() {
    let (addr, log) = start(false).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn.with_upgrades());
    let handshake = Request::get("/chat")
        .header(header::HOST, addr.to_string())
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::ACCEPT_ENCODING, "gzip")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let mut res = tokio::time::timeout(STEP, send.send_request(handshake))
        .await
        .expect("answered in time")
        .unwrap();
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
    assert!(
        res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("id=")
    );
    assert_eq!(
        log.text(),
        "127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /chat HTTP/1.1\" 101 -\n"
    );
    let upgraded = tokio::time::timeout(STEP, hyper::upgrade::on(&mut res))
        .await
        .expect("upgraded in time")
        .unwrap();
    let mut tunnel = TokioIo::new(upgraded);
    echo(&mut tunnel, b"hello over http/1.1").await;
    assert_eq!(log.text().lines().count(), 1, "{}", log.text());
}
