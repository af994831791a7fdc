//! Request bodies in every coding are decoded for the app under the same
//! decompressed-size limit, with the same 413 and 400 answers.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::codecs::{codings, encode};
use http::{Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use pastry_core::{BoxError, HttpError};
use pastry_gzip::{Coding, DecompressBody, GunzipRequestsLayer};
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, ServiceExt, service_fn};

/// An app echoing the headers it saw and the body it read; a read failure
/// becomes a 500 (which the middleware must replace).
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
            .layer(GunzipRequestsLayer::new(limit))
            .service(app),
    )
}

#[tokio::test]
async fn request_bodies_are_decoded_for_the_app_in_every_coding() {
    for coding in codings() {
        let text = "a form field=value&".repeat(2000);
        let res = echo(1 << 20)
            .post("/")
            .header("content-encoding", coding.as_str())
            .body(encode(coding, text.as_bytes()))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{coding}");
        assert_eq!(res.text(), format!("ce=None cl=None|{text}"), "{coding}");
    }
}

/// The layer's answer when the body arrives in frames of `size` bytes.
async fn decode_in_frames(
    coding: Coding,
    data: Vec<u8>,
    size: usize,
    limit: u64,
) -> (StatusCode, Bytes) {
    let app = service_fn(|req: Request<DecompressBody<_>>| async move {
        let body = req.into_body().collect().await;
        let (status, bytes) = match body {
            Ok(body) => (StatusCode::OK, body.to_bytes()),
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, Bytes::new()),
        };
        let mut res = Response::new(Full::new(bytes));
        *res.status_mut() = status;
        Ok::<_, Infallible>(res)
    });
    let frames: Vec<_> = data
        .chunks(size.max(1))
        .map(|c| Ok::<_, BoxError>(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let req = Request::post("/")
        .header("content-encoding", coding.as_str())
        .body(StreamBody::new(futures_util::stream::iter(frames)))
        .unwrap();
    let res = ServiceBuilder::new()
        .layer(GunzipRequestsLayer::new(limit))
        .service(app)
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

#[tokio::test]
async fn bodies_split_into_small_frames_are_decoded_in_every_coding() {
    for coding in codings() {
        let text = "streamed request body ".repeat(3000);
        for size in [1, 7, 4096] {
            let (status, body) =
                decode_in_frames(coding, encode(coding, text.as_bytes()), size, 1 << 20).await;
            assert_eq!(status, StatusCode::OK, "{coding} {size}");
            assert_eq!(body, text, "{coding} {size}");
        }
    }
}

#[tokio::test]
async fn a_bomb_gets_413_in_every_coding() {
    for coding in codings() {
        let bomb = encode(coding, &vec![0u8; 64 << 20]);
        assert!(bomb.len() < 256 * 1024, "{coding}: {}", bomb.len());
        let res = echo(1 << 20)
            .post("/")
            .header("content-encoding", coding.as_str())
            .body(bomb)
            .expect_status(413)
            .await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{coding}");
    }
}

#[tokio::test]
async fn exactly_the_limit_is_allowed_one_more_byte_is_not_in_every_coding() {
    for coding in codings() {
        let (status, body) =
            decode_in_frames(coding, encode(coding, &[7u8; 1000]), 100, 1000).await;
        assert_eq!(status, StatusCode::OK, "{coding}");
        assert_eq!(body.len(), 1000);
        let (status, _) = decode_in_frames(coding, encode(coding, &[7u8; 1001]), 100, 1000).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{coding}");
    }
}

#[tokio::test]
async fn corrupt_truncated_or_trailing_input_gets_400_in_every_coding() {
    for coding in codings() {
        let good = encode(
            coding,
            "a body long enough to matter, ".repeat(50).as_bytes(),
        );
        let mut flipped = good.clone();
        let middle = good.len() / 2;
        flipped[middle] ^= 0x55;
        flipped[middle + 1] ^= 0xaa;
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk after the end");
        let mut cases = vec![
            ("garbage", b"definitely not compressed at all".to_vec()),
            ("truncated", good[..good.len() - 5].to_vec()),
            ("trailing", trailing),
        ];
        // Only gzip carries a checksum (brotli has none, zstd's is
        // optional and off in the reference encoder).
        if coding == Coding::Gzip {
            cases.push(("flipped", flipped));
        }
        for (name, data) in cases {
            let res = echo(1 << 20)
                .post("/")
                .header("content-encoding", coding.as_str())
                .body(data)
                .expect_status(400)
                .await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{coding} {name}");
        }
    }
}

#[tokio::test]
async fn the_app_sees_the_status_in_its_body_error_in_every_coding() {
    for coding in codings() {
        let app = service_fn(|req: Request<DecompressBody<Body>>| async move {
            let error = req.into_body().collect().await.unwrap_err();
            let status = HttpError::find(&*error).unwrap().status();
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                status.as_str().to_owned(),
            ))))
        });
        let (status, _) = {
            let service = ServiceBuilder::new()
                .layer(GunzipRequestsLayer::new(10))
                .service(app);
            let req = Request::post("/")
                .header("content-encoding", coding.as_str())
                .body(Body::from(encode(coding, &[1u8; 100])))
                .unwrap();
            let res = service.oneshot(req).await.unwrap();
            (res.status(), ())
        };
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{coding}");
    }
}

#[tokio::test]
async fn unknown_codings_and_plain_bodies_pass_through() {
    for value in ["compress", "gzip, br", "identity"] {
        let res = echo(1 << 20)
            .post("/")
            .header("content-encoding", value)
            .body("raw bytes")
            .await;
        assert!(res.text().starts_with("ce=Some"), "{value}: {}", res.text());
        assert!(res.text().ends_with("|raw bytes"), "{value}");
    }
}

#[cfg(feature = "zstd")]
#[tokio::test]
async fn several_zstd_frames_are_one_body() {
    let mut data = zstd::encode_all(&b"first frame, "[..], 3).unwrap();
    data.extend(zstd::encode_all(&b"second frame"[..], 3).unwrap());
    let (status, body) = decode_in_frames(Coding::Zstd, data, 5, 1 << 20).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "first frame, second frame");
}

#[cfg(feature = "zstd")]
#[tokio::test]
async fn a_zstd_window_over_8_mib_is_refused() {
    let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    encoder.window_log(27).unwrap();
    encoder.long_distance_matching(true).unwrap();
    std::io::Write::write_all(&mut encoder, &vec![b'a'; 10_000]).unwrap();
    let data = encoder.finish().unwrap();
    let (status, _) = decode_in_frames(Coding::Zstd, data, 4096, 1 << 30).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[cfg(feature = "br")]
#[tokio::test]
async fn a_large_window_brotli_stream_is_refused() {
    // Large-window brotli (a nonstandard extension) is not the `br` coding.
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        large_window: true,
        lgwin: 26,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &vec![b'a'; 10_000][..], &mut out, &params).unwrap();
    let (status, _) = decode_in_frames(Coding::Br, out, 4096, 1 << 30).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
