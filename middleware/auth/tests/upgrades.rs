//! RequireLogin on upgrades: an anonymous WebSocket handshake (HTTP/1.1
//! `Upgrade`, or HTTP/2 extended CONNECT, RFC 8441) gets a 401, never a
//! redirect its client could not follow; a logged-in one reaches the app.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full};
use hyper::ext::Protocol;
use pastry_auth::{AuthChecked, RequireLoginLayer};
use pastry_core::RemoteUser;
use tower::{Layer, ServiceExt, service_fn};

fn h2_websocket_connect() -> Request<Full<Bytes>> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri("https://app.example/chat")
        .header("sec-websocket-version", "13")
        .body(Full::default())
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    req
}

fn h1_websocket_handshake() -> Request<Full<Bytes>> {
    Request::get("/chat")
        .header(header::ACCEPT, "text/html")
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Full::default())
        .unwrap()
}

/// `req` through `RequireLoginLayer::new("/login")` over an app that
/// accepts every handshake, as an auth layer outside leaves it: anonymous
/// (`AuthChecked`) or logged in as `user`.
async fn guarded(mut req: Request<Full<Bytes>>, user: Option<&str>) -> Response<Bytes> {
    match user {
        Some(user) => {
            req.extensions_mut().insert(RemoteUser::new(user));
        }
        None => {
            req.extensions_mut().insert(AuthChecked);
        }
    }
    let app = service_fn(|req: Request<Full<Bytes>>| async move {
        let mut res = Response::new(Full::<Bytes>::default());
        if req.method() != Method::CONNECT {
            *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        }
        Ok::<_, Infallible>(res)
    });
    let res = RequireLoginLayer::new("/login")
        .unwrap()
        .layer(app)
        .oneshot(req)
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Response::from_parts(parts, body)
}

#[tokio::test]
async fn an_anonymous_h2_extended_connect_gets_401_not_a_redirect() {
    let res = guarded(h2_websocket_connect(), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!res.headers().contains_key(header::LOCATION));
    assert!(String::from_utf8_lossy(res.body()).contains("log in"));
}

#[tokio::test]
async fn an_anonymous_h1_websocket_handshake_gets_401_not_a_redirect() {
    let res = guarded(h1_websocket_handshake(), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!res.headers().contains_key(header::LOCATION));
}

#[tokio::test]
async fn an_anonymous_handshake_preferring_json_gets_the_json_401() {
    let mut req = h2_websocket_connect();
    req.headers_mut()
        .insert(header::ACCEPT, "application/json".parse().unwrap());
    let res = guarded(req, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
}

#[tokio::test]
async fn the_page_itself_still_redirects_to_the_login_form() {
    let req = Request::get("/chat")
        .header(header::ACCEPT, "text/html")
        .body(Full::default())
        .unwrap();
    let res = guarded(req, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/login?next=/chat");
}

#[tokio::test]
async fn a_logged_in_handshake_reaches_the_app() {
    let res = guarded(h2_websocket_connect(), Some("alice")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = guarded(h1_websocket_handshake(), Some("alice")).await;
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
}
