//! Upgrades pass untouched whatever the coding: the 101 to a WebSocket
//! handshake and the 2xx to an HTTP/2 extended CONNECT are never
//! compressed, and an upgrade request's body is never decoded.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::codecs::{codings, encode};
use http::{Method, Request, Response, StatusCode, Version, header};
use http_body_util::{BodyExt, Full};
use hyper::ext::Protocol;
use pastry_gzip::{Coding, DecompressBody, GunzipRequestsLayer};
use tower::{Layer, ServiceExt, service_fn};

fn page() -> Bytes {
    Bytes::from("<p>tunnel or not, this is html</p>\n".repeat(40))
}

fn h2_connect(coding: Coding, body: Bytes) -> Request<Full<Bytes>> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri("https://app.example/chat")
        .header(header::ACCEPT_ENCODING, coding.as_str())
        .header(header::CONTENT_ENCODING, coding.as_str())
        .body(Full::new(body))
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    req
}

fn h1_handshake(coding: Coding) -> Request<Full<Bytes>> {
    Request::get("/chat")
        .header(header::ACCEPT_ENCODING, coding.as_str())
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// An app answering `status` with compressible headers and the page.
fn answering(
    status: StatusCode,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone {
    service_fn(move |_req: Request<Full<Bytes>>| {
        let mut res = Response::new(Full::new(page()));
        *res.status_mut() = status;
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, "text/html".parse().unwrap());
        headers.insert(header::ETAG, "\"v1\"".parse().unwrap());
        std::future::ready(Ok::<_, Infallible>(res))
    })
}

#[tokio::test]
async fn upgrade_answers_are_untouched_for_every_coding() {
    for coding in codings() {
        for (req, status) in [
            (h2_connect(coding, Bytes::new()), StatusCode::OK),
            (h1_handshake(coding), StatusCode::SWITCHING_PROTOCOLS),
        ] {
            let res = common::every_coding()
                .layer(answering(status))
                .oneshot(req)
                .await
                .unwrap();
            assert_eq!(
                res.headers().get(header::CONTENT_ENCODING),
                None,
                "{coding} {status}"
            );
            assert_eq!(res.headers().get(header::VARY), None, "{coding} {status}");
            assert_eq!(res.headers()[header::ETAG], "\"v1\"", "{coding} {status}");
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, page(), "{coding} {status}");
        }
        // A refused CONNECT is a page like any other.
        let res = common::every_coding()
            .layer(answering(StatusCode::UNAUTHORIZED))
            .oneshot(h2_connect(coding, Bytes::new()))
            .await
            .unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], coding.as_str());
    }
}

#[tokio::test]
async fn upgrade_request_bodies_are_not_decoded_for_every_coding() {
    for coding in codings() {
        let sent = Bytes::from(encode(coding, b"tunnel bytes, not a body"));
        let app = service_fn(|req: Request<DecompressBody<Full<Bytes>>>| async move {
            let coding = req.headers().get(header::CONTENT_ENCODING).cloned();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let mut res = Response::new(Full::new(body));
            if let Some(coding) = coding {
                res.headers_mut().insert("x-seen-coding", coding);
            }
            Ok::<_, Infallible>(res)
        });
        let res = GunzipRequestsLayer::new(1 << 20)
            .layer(app)
            .oneshot(h2_connect(coding, sent.clone()))
            .await
            .unwrap();
        assert_eq!(res.headers()["x-seen-coding"], coding.as_str());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, sent, "{coding}");
    }
}
