//! Upgrades: the answer to a WebSocket handshake (101 over HTTP/1.1, 200 to
//! an HTTP/2 extended CONNECT, RFC 8441) passes untouched, the request's
//! extensions (hyper's `Protocol`, its upgrade handle) reach the app, and a
//! handshake handler that panics is answered 500 like any other.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full};
use hyper::ext::Protocol;
use pastry_catch::CatchLayer;
use tower::{Layer, ServiceExt, service_fn};

/// A marker the app puts in its handshake answer's extensions.
#[derive(Clone, Debug, PartialEq)]
struct Accepted(&'static str);

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
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Full::default())
        .unwrap()
}

/// Accepts the handshake: 200 to CONNECT (naming the `:protocol` it saw
/// in `x-protocol`), 101 otherwise.
async fn accept(req: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut res = Response::new(Full::default());
    match req.extensions().get::<Protocol>() {
        Some(protocol) => {
            res.headers_mut()
                .insert("x-protocol", protocol.as_str().parse().unwrap());
        }
        None => {
            *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            res.headers_mut()
                .insert(header::UPGRADE, "websocket".parse().unwrap());
            res.headers_mut()
                .insert(header::CONNECTION, "upgrade".parse().unwrap());
        }
    }
    res.extensions_mut().insert(Accepted("chat"));
    Ok(res)
}

#[tokio::test]
async fn the_200_to_an_h2_extended_connect_passes_untouched() {
    let res = CatchLayer::new()
        .layer(service_fn(accept))
        .oneshot(h2_websocket_connect())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-protocol"], "websocket");
    assert_eq!(res.headers().len(), 1, "{:?}", res.headers());
    assert_eq!(res.extensions().get(), Some(&Accepted("chat")));
    assert!(
        res.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .is_empty()
    );
}

#[tokio::test]
async fn the_101_to_an_h1_handshake_passes_untouched() {
    let res = CatchLayer::new()
        .layer(service_fn(accept))
        .oneshot(h1_websocket_handshake())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(res.headers()[header::UPGRADE], "websocket");
    assert_eq!(res.headers().len(), 2, "{:?}", res.headers());
    assert_eq!(res.extensions().get(), Some(&Accepted("chat")));
}

#[tokio::test]
async fn a_handshake_handler_that_panics_is_answered_500() {
    let app = service_fn(|req: Request<Full<Bytes>>| async move {
        if req.extensions().get::<Protocol>().is_some() {
            panic!("the chat room is gone");
        }
        Ok::<_, Infallible>(Response::new(Full::<Bytes>::default()))
    });
    let res = CatchLayer::new()
        .layer(app)
        .oneshot(h2_websocket_connect())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().contains_key("x-error-id"));
}
