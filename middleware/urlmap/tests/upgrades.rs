//! Upgrades through the map: an HTTP/2 extended CONNECT (RFC 8441) is
//! routed by its `:authority` and path like any request, keeps hyper's
//! `Protocol` and version, and an upgrade for exactly a prefix is never
//! answered with a slash redirect a WebSocket client cannot follow.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full};
use hyper::ext::Protocol;
use pastry_core::Environ;
use pastry_urlmap::{Mount, UrlMap};
use tower::{ServiceExt, service_fn};

/// An app that says what it was given: `name method version script_name
/// path_info protocol`.
fn seen(
    name: &'static str,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ Sync
+ 'static {
    service_fn(move |req: Request<Full<Bytes>>| {
        let protocol = req
            .extensions()
            .get::<Protocol>()
            .map_or("-", |p| p.as_str())
            .to_owned();
        let text = format!(
            "{name} {} {:?} {:?} {:?} {protocol}",
            req.method(),
            req.version(),
            req.script_name(),
            req.path_info(),
        );
        std::future::ready(Ok(Response::new(Full::from(text))))
    })
}

fn map() -> UrlMap<Full<Bytes>> {
    UrlMap::builder()
        .mount(Mount::at("/chat").slash_redirect(true), seen("chat"))
        .mount(Mount::at("/").host("ws.example"), seen("ws-host"))
        .mount("/", seen("root"))
        .build()
        .unwrap()
}

fn h2_websocket_connect(uri: &str) -> Request<Full<Bytes>> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri(uri)
        .header("sec-websocket-version", "13")
        .body(Full::default())
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    req
}

async fn answer(req: Request<Full<Bytes>>) -> (StatusCode, String) {
    let res = map().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn an_h2_extended_connect_is_mounted_by_its_path_with_its_protocol() {
    let (status, text) = answer(h2_websocket_connect("https://app.example/chat/room/7")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text,
        "chat CONNECT HTTP/2.0 \"/chat\" \"/room/7\" websocket"
    );
}

#[tokio::test]
async fn an_h2_extended_connect_is_mounted_by_its_authority() {
    let (status, text) = answer(h2_websocket_connect("https://ws.example/live")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, "ws-host CONNECT HTTP/2.0 \"\" \"/live\" websocket");
}

#[tokio::test]
async fn an_upgrade_for_exactly_a_prefix_is_not_redirected() {
    let (status, text) = answer(h2_websocket_connect("https://app.example/chat")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(text, "chat CONNECT HTTP/2.0 \"/chat\" \"\" websocket");

    let handshake = Request::get("/chat")
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .body(Full::default())
        .unwrap();
    let (status, text) = answer(handshake).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(text, "chat GET HTTP/1.1 \"/chat\" \"\" -");

    // A plain GET for the prefix still gets its redirect.
    let res = map()
        .oneshot(Request::get("/chat").body(Full::default()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers()[header::LOCATION], "/chat/");
}
