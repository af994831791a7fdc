//! Upgrades (a WebSocket handshake over HTTP/1.1, an extended `CONNECT`
//! over HTTP/2, RFC 8441) pass both layers untouched: the answer is never
//! compressed and the request body never decoded.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full};
use hyper::ext::Protocol;
use pastry_gzip::{DecompressBody, GunzipRequestsLayer, GzipLayer};
use tower::{Layer, ServiceExt, service_fn};

/// A page well above the default `min_size`, of a compressible type.
fn page() -> Bytes {
    Bytes::from("<p>tunnel or not, this is html</p>\n".repeat(40))
}

/// An HTTP/2 extended CONNECT opening a WebSocket, as hyper hands it over.
fn h2_websocket_connect() -> Request<Full<Bytes>> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri("https://app.example/chat")
        .header(header::ACCEPT_ENCODING, "gzip")
        .header("sec-websocket-version", "13")
        .body(Full::new(Bytes::new()))
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    req
}

/// An HTTP/1.1 WebSocket handshake.
fn h1_websocket_handshake() -> Request<Full<Bytes>> {
    Request::get("/chat")
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// An app answering `status` with compressible headers and `body`.
fn answering(
    status: StatusCode,
    body: Bytes,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone {
    service_fn(move |_req: Request<Full<Bytes>>| {
        let mut res = Response::new(Full::new(body.clone()));
        *res.status_mut() = status;
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, "text/html".parse().unwrap());
        headers.insert(header::ETAG, "\"v1\"".parse().unwrap());
        if status == StatusCode::SWITCHING_PROTOCOLS {
            headers.insert(header::CONNECTION, "upgrade".parse().unwrap());
            headers.insert(header::UPGRADE, "websocket".parse().unwrap());
        }
        std::future::ready(Ok::<_, Infallible>(res))
    })
}

async fn through_gzip(
    req: Request<Full<Bytes>>,
    status: StatusCode,
    body: Bytes,
) -> (HeaderMap, HeaderMap, Bytes) {
    let app = answering(status, body);
    let expected = app
        .clone()
        .oneshot(Request::new(Full::default()))
        .await
        .unwrap();
    let res = GzipLayer::new().layer(app).oneshot(req).await.unwrap();
    assert_eq!(res.status(), status);
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (expected.headers().clone(), parts.headers, bytes)
}

#[tokio::test]
async fn gzip_leaves_the_200_answering_an_h2_extended_connect_untouched() {
    let (expected, headers, body) =
        through_gzip(h2_websocket_connect(), StatusCode::OK, page()).await;
    assert_eq!(
        headers, expected,
        "no Content-Encoding, Vary or weakened ETag"
    );
    assert!(!headers.contains_key(header::CONTENT_LENGTH));
    assert_eq!(body, page());
}

#[tokio::test]
async fn gzip_leaves_the_101_answering_a_websocket_handshake_untouched() {
    let (expected, headers, body) = through_gzip(
        h1_websocket_handshake(),
        StatusCode::SWITCHING_PROTOCOLS,
        Bytes::new(),
    )
    .await;
    assert_eq!(headers, expected);
    assert!(body.is_empty());
}

#[tokio::test]
async fn gzip_still_compresses_a_refused_connect() {
    // Only the switch is left alone: a 401 to the same CONNECT is a page
    // like any other.
    let app = answering(StatusCode::UNAUTHORIZED, page());
    let res = GzipLayer::new()
        .layer(app)
        .oneshot(h2_websocket_connect())
        .await
        .unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
}

/// An app echoing the request body it sees, with the request's
/// `Content-Encoding` in `x-seen-encoding`.
fn echo() -> impl tower::Service<
    Request<DecompressBody<Full<Bytes>>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone {
    service_fn(|req: Request<DecompressBody<Full<Bytes>>>| async move {
        let seen = req.headers().get(header::CONTENT_ENCODING).cloned();
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let mut res = Response::new(Full::new(body));
        if let Some(seen) = seen {
            res.headers_mut().insert("x-seen-encoding", seen);
        }
        Ok::<_, Infallible>(res)
    })
}

#[tokio::test]
async fn gunzip_leaves_upgrade_request_bodies_as_sent() {
    let not_gzip = Bytes::from_static(b"\x81\x05hello: frames, not gzip");
    for mut req in [h2_websocket_connect(), h1_websocket_handshake()] {
        let version = req.version();
        req.headers_mut()
            .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        *req.body_mut() = Full::new(not_gzip.clone());
        let res = GunzipRequestsLayer::new(1 << 20)
            .layer(echo())
            .oneshot(req)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{version:?}: not a 400");
        assert_eq!(res.headers()["x-seen-encoding"], "gzip", "{version:?}");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, not_gzip, "{version:?}");
    }
}
