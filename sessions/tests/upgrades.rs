//! Upgrades: the session a WebSocket handshake used is committed (saved,
//! cookie set) before the handshake answer goes out, over HTTP/1.1 (101)
//! and HTTP/2 (extended CONNECT, RFC 8441, answered 200); and a handshake
//! from another origin is refused over both.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{Method, Request, Response, StatusCode, Version, header};
use http_body_util::BodyExt;
use hyper::ext::Protocol;
use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
use tower::{Service, ServiceBuilder, ServiceExt};

fn h2_websocket_connect(authority: &str) -> Request<()> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri(format!("https://{authority}/chat"))
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    req
}

fn h1_websocket_handshake(host: &str) -> Request<()> {
    Request::get("/chat")
        .header(header::HOST, host)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(())
        .unwrap()
}

/// The handshake answer an app gives once it accepted: 101 over
/// HTTP/1.1, 200 to an HTTP/2 CONNECT.
fn accept(req: &Request<()>) -> Response<String> {
    let mut res = Response::new(String::new());
    if req.method() == Method::CONNECT {
        return res;
    }
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    res.headers_mut()
        .insert(header::UPGRADE, "websocket".parse().unwrap());
    res.headers_mut()
        .insert(header::CONNECTION, "upgrade".parse().unwrap());
    res
}

/// A chat app: the handshake remembers who joined in the session; `GET
/// /whoami` reads it back. `calls` counts the requests it sees.
fn chat(
    calls: Arc<AtomicUsize>,
) -> impl Service<
    Request<()>,
    Response = Response<pastry_sessions::SessionBody<String>>,
    Error = Infallible,
> + Clone {
    ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).cookie_name("id"))
        .service_fn(move |req: Request<()>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let session = req.session().expect("behind a SessionLayer");
                if req.uri().path() == "/whoami" {
                    let name = session.get::<String>("joined_as").await.unwrap();
                    return Ok(Response::new(name.unwrap_or_default()));
                }
                session.insert("joined_as", "ann").await.unwrap();
                Ok::<_, Infallible>(accept(&req))
            }
        })
}

/// Sends `handshake`; once its head is back, reads the session through
/// the cookie it set.
async fn joined_as_after(handshake: Request<()>, expected: StatusCode) -> String {
    let app = chat(Arc::default());
    let res = app.clone().oneshot(handshake).await.unwrap();
    assert_eq!(res.status(), expected);
    let set_cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert!(cookie.starts_with("id="), "{set_cookie}");
    // The store is read by a new request: the save happened before the
    // handshake answer was handed on, not after the tunnel.
    let req = Request::get("/whoami")
        .header(header::COOKIE, cookie)
        .body(())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn the_session_is_committed_before_an_h1_101_handshake_answer() {
    let name = joined_as_after(
        h1_websocket_handshake("app.example"),
        StatusCode::SWITCHING_PROTOCOLS,
    )
    .await;
    assert_eq!(name, "ann");
}

#[tokio::test]
async fn the_session_is_committed_before_an_h2_connect_200_answer() {
    let name = joined_as_after(h2_websocket_connect("app.example"), StatusCode::OK).await;
    assert_eq!(name, "ann");
}

#[tokio::test]
async fn an_h2_connect_from_another_origin_is_refused_before_the_app() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = chat(calls.clone());
    let mut req = h2_websocket_connect("app.example");
    req.headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!res.headers().contains_key(header::SET_COOKIE));
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let mut req = h2_websocket_connect("app.example");
    req.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    // Its own origin, compared with the :authority HTTP/2 carries in the URI.
    let mut req = h2_websocket_connect("app.example");
    req.headers_mut()
        .insert(header::ORIGIN, "https://app.example".parse().unwrap());
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_h1_handshake_from_another_origin_is_refused_before_the_app() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = chat(calls.clone());
    let mut req = h1_websocket_handshake("app.example");
    req.headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let mut req = h1_websocket_handshake("app.example");
    req.headers_mut()
        .insert(header::ORIGIN, "http://app.example".parse().unwrap());
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
