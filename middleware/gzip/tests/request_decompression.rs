//! Gzip request bodies decoded for the app, with a limit.

use std::convert::Infallible;
use std::io::Write;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use pastry_core::{BoxError, HttpError};
use pastry_gzip::{DecompressBody, GunzipRequestsLayer, GzipLayer};
use pastry_testkit::{Body, TestClient};
use tower::{Layer, ServiceBuilder, service_fn};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// An app echoing what it read and the request headers it saw; a body read
/// failure becomes a 500 naming it (the middleware must replace it).
fn echo(limit: u64) -> TestClient {
    let app = service_fn(|req: Request<DecompressBody<Body>>| async move {
        let seen = format!(
            "ce={:?} cl={:?}|",
            req.headers().get("content-encoding"),
            req.headers().get("content-length")
        );
        let res = match req.into_body().collect().await {
            Ok(body) => {
                let mut text = seen.into_bytes();
                text.extend_from_slice(&body.to_bytes());
                Response::new(Full::new(Bytes::from(text)))
            }
            Err(error) => {
                let status = HttpError::find(&*error).map(|e| e.status());
                let mut res = Response::new(Full::new(Bytes::from(format!("app saw {status:?}"))));
                *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                res
            }
        };
        Ok::<_, Infallible>(res)
    });
    TestClient::new(
        ServiceBuilder::new()
            .layer(GzipLayer::new())
            .layer(GunzipRequestsLayer::new(limit))
            .service(app),
    )
}

#[tokio::test]
async fn gzip_request_bodies_are_decoded_for_the_app() {
    let text = "a form field=value&".repeat(200);
    let gz = gzip(text.as_bytes());
    let res = echo(1 << 20)
        .post("/")
        .header("content-encoding", "gzip")
        .body(gz)
        .await;
    assert_eq!(res.text(), format!("ce=None cl=None|{text}"));
}

#[tokio::test]
async fn gzip_request_bodies_split_into_frames_are_decoded() {
    let text = "chunked upload ".repeat(300);
    let gz = gzip(text.as_bytes());
    let chunks: Vec<Bytes> = gz.chunks(17).map(Bytes::copy_from_slice).collect();
    let res = echo(1 << 20)
        .post("/")
        .header("content-encoding", "x-gzip")
        .chunks(chunks)
        .await;
    assert_eq!(res.text(), format!("ce=None cl=None|{text}"));
}

#[tokio::test]
async fn plain_request_bodies_pass_through() {
    let res = echo(10)
        .post("/")
        .body("not compressed, longer than the limit")
        .await;
    assert!(
        res.text()
            .ends_with("|not compressed, longer than the limit")
    );
    assert!(res.text().contains("cl=Some"));
}

#[tokio::test]
async fn a_gzip_bomb_gets_413() {
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 128 * 1024);
    let res = echo(1 << 20)
        .post("/")
        .header("content-encoding", "gzip")
        .body(bomb)
        .expect_status(413)
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn corrupt_or_truncated_gzip_gets_400() {
    let gz = gzip("perfectly fine text ".repeat(50).as_bytes());
    for body in [b"definitely not gzip".to_vec(), gz[..gz.len() / 2].to_vec()] {
        let res = echo(1 << 20)
            .post("/")
            .header("content-encoding", "gzip")
            .body(body)
            .expect_status(400)
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn the_app_sees_the_status_in_its_body_error() {
    // An app that reads the body itself learns why it failed.
    let app = service_fn(|req: Request<DecompressBody<Body>>| async move {
        let error: BoxError = req.into_body().collect().await.map(|_| ()).unwrap_err();
        let status = HttpError::find(&*error).unwrap().status();
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
            status.as_str().to_owned(),
        ))))
    });
    let client = TestClient::new(GunzipRequestsLayer::new(100).layer(app));
    let res = client
        .post("/")
        .header("content-encoding", "gzip")
        .body(gzip(&[b'z'; 1000]))
        .expect_status(413)
        .await;
    assert_eq!(
        res.status(),
        413,
        "the middleware answers, whatever the app said"
    );
}

#[tokio::test]
async fn gunzip_requests_alone_leaves_responses_uncompressed() {
    let text = "compressible response text ".repeat(100);
    let app = service_fn(move |req: Request<DecompressBody<Body>>| {
        let text = text.clone();
        async move {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let mut res = Response::new(Full::new(Bytes::from(format!("{text}{}", body.len()))));
            res.headers_mut()
                .insert("content-type", "text/plain".parse().unwrap());
            Ok::<_, Infallible>(res)
        }
    });
    let client = TestClient::new(GunzipRequestsLayer::new(1 << 20).layer(app));
    let res = client
        .post("/")
        .header("content-encoding", "gzip")
        .header("accept-encoding", "gzip")
        .body(gzip(&[b'q'; 500]))
        .await;
    assert_eq!(res.header("content-encoding"), None);
    assert!(res.text().ends_with("500"));
}

#[tokio::test]
#[allow(deprecated)]
async fn decompress_requests_still_builds_both_layers() {
    // The compatibility spelling: GzipLayer around GunzipRequestsLayer.
    let app = service_fn(|req: Request<DecompressBody<Body>>| async move {
        let body = req.into_body().collect().await;
        let status = if body.is_ok() { 200 } else { 500 };
        let mut res = Response::new(Full::new(Bytes::from("x".repeat(1000))));
        *res.status_mut() = StatusCode::from_u16(status).unwrap();
        res.headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        Ok::<_, Infallible>(res)
    });
    let client = TestClient::new(GzipLayer::new().decompress_requests(100).layer(app));
    let res = client
        .post("/")
        .header("content-encoding", "gzip")
        .header("accept-encoding", "gzip")
        .body(gzip(&[b'z'; 50]))
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    client
        .post("/")
        .header("content-encoding", "gzip")
        .body(gzip(&[b'z'; 1000]))
        .expect_status(413)
        .await;
}
