//! `pastry::serve` over real TCP on loopback.

use std::convert::Infallible;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pastry::{Environ, UrlScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// A server on 127.0.0.1:0 that stops when the returned sender fires.
async fn start<S, B>(
    app: S,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
)
where
    S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<pastry::BoxError>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = pastry::serve(listener, app)
        .header_read_timeout(Duration::from_millis(300))
        .with_graceful_shutdown(async {
            stopped.await.ok();
        });
    (addr, stop, tokio::spawn(server.into_future()))
}

fn environ_app() -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(|req: Request<Incoming>| async move {
        let body = format!(
            "{} {} from {} over {}",
            req.method(),
            req.path_info(),
            req.client_addr().map(|a| a.to_string()).unwrap_or_default(),
            req.url_scheme(),
        );
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
    })
}

#[tokio::test]
async fn reqwest_gets_the_body() {
    let (addr, stop, server) = start(environ_app()).await;
    let res = reqwest::get(format!("http://{addr}/hello?x=1"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.starts_with("GET /hello from 127.0.0.1:"), "{text}");
    assert!(text.ends_with("over http"), "{text}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn client_addr_is_the_peer_of_the_connection() {
    let (addr, stop, server) = start(environ_app()).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::get("/whoami")
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, format!("GET /whoami from {local} over http"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn http2_prior_knowledge_is_served_on_the_same_port() {
    let (addr, stop, server) = start(environ_app()).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = Request::get(format!("http://{addr}/h2"))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(res.version(), http::Version::HTTP_2);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"GET /h2 from 127.0.0.1:"));
    drop(sender);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn url_scheme_is_http_on_plain_tcp() {
    let app = tower::service_fn(|req: Request<Incoming>| async move {
        assert_eq!(req.url_scheme(), UrlScheme::Http);
        assert_eq!(req.extensions().get::<UrlScheme>(), Some(&UrlScheme::Http));
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    });
    let (addr, stop, server) = start(app).await;
    let res = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_request_finish() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let app = {
        let (entered, release) = (entered.clone(), release.clone());
        tower::service_fn(move |_req: Request<Incoming>| {
            let (entered, release) = (entered.clone(), release.clone());
            async move {
                entered.notify_one();
                release.notified().await;
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"finished"))))
            }
        })
    };
    let (addr, stop, server) = start(app).await;

    let in_flight = tokio::spawn(reqwest::get(format!("http://{addr}/slow")));
    entered.notified().await;
    stop.send(()).unwrap();

    // The listener closes at once: new connections are refused while the
    // first request is still being worked on.
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if TcpStream::connect(addr).await.is_err() {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(refused.is_ok(), "listener still accepting after shutdown");
    assert!(
        !server.is_finished(),
        "server stopped before the request finished"
    );

    release.notify_one();
    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "finished");
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn slow_headers_are_cut_off_by_the_header_read_timeout() {
    let (addr, stop, server) = start(environ_app()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Never finish the headers: the server must close the connection.
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    assert!(
        closed.is_ok(),
        "connection still open long after the header timeout"
    );

    // ...and it keeps serving everybody else.
    let res = reqwest::get(format!("http://{addr}/still-here"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn binding_by_address_works() {
    // Find a free port, release it, and let serve bind it by address.
    let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(
        pastry::serve(addr, environ_app())
            .with_graceful_shutdown(async {
                stopped.await.ok();
            })
            .into_future(),
    );
    let res = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match reqwest::get(format!("http://{addr}/bound")).await {
                Ok(res) => break res,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn many_idle_connections_do_not_block_new_ones() {
    let (addr, stop, server) = start(environ_app()).await;
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let res = reqwest::get(format!("http://{addr}/busy")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    drop(idle);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn upgraded_connections_keep_working_and_count_toward_the_cap() {
    // Answers 101 and then echoes what the client sends on the raw
    // connection.
    let app = tower::service_fn(|mut req: Request<Incoming>| async move {
        let upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let Ok(upgraded) = upgrade.await else { return };
            let mut io = TokioIo::new(upgraded);
            let mut buf = [0_u8; 64];
            while let Ok(n) = io.read(&mut buf).await {
                if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
        let res = Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header("connection", "upgrade")
            .header("upgrade", "echo")
            .body(Full::new(Bytes::new()))
            .unwrap();
        Ok::<_, Infallible>(res)
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(
        pastry::serve(listener, app)
            .max_connections(1)
            .quiet(true)
            .shutdown_timeout(Duration::from_secs(1))
            .with_graceful_shutdown(async {
                stopped.await.ok();
            })
            .into_future(),
    );

    let mut upgraded = TcpStream::connect(addr).await.unwrap();
    upgraded
        .write_all(b"GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0_u8; 1];
        upgraded.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101 "), "{head:?}");
    upgraded.write_all(b"ping").await.unwrap();
    let mut echoed = [0_u8; 4];
    upgraded.read_exact(&mut echoed).await.unwrap();
    assert_eq!(&echoed, b"ping");

    // The upgraded connection holds the only place under the cap: the
    // next client waits in the backlog until it closes.
    let waiting = tokio::spawn(reqwest::get(format!("http://{addr}/after")));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "served past the cap");
    drop(upgraded);
    let res = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("the waiting client was never served")
        .unwrap()
        .unwrap();
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
