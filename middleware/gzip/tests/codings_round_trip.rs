//! Every coding round-trips through the reference decoder: bodies known up
//! front (one call, exact Content-Length) and streamed ones, any content.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::codecs::{codings, decode};
use http::{HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use pastry_gzip::{Coding, GzipLayer};
use proptest::prelude::*;
use tower::{Layer, ServiceExt, service_fn};

fn sample(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| b"the quick brown fox jumps over "[i % 31] ^ (i / 1009) as u8)
        .collect()
}

fn request(coding: Coding) -> Request<()> {
    Request::get("/")
        .header("accept-encoding", coding.as_str())
        .body(())
        .unwrap()
}

/// The layer's answer to a body sent in `chunks`, each its own frame
/// (one frame with an exact size when `whole`): its head and its bytes.
async fn through(
    layer: &GzipLayer,
    coding: Coding,
    chunks: Vec<Vec<u8>>,
    whole: bool,
) -> (http::response::Parts, Vec<u8>) {
    let app = service_fn(move |_req: Request<()>| {
        let chunks = chunks.clone();
        async move {
            let body = if whole {
                Full::new(Bytes::from(chunks.concat()))
                    .map_err(|never| match never {})
                    .boxed_unsync()
            } else {
                let frames = chunks
                    .into_iter()
                    .map(|c| Ok::<_, Infallible>(Frame::data(Bytes::from(c))));
                StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
            };
            let mut res = Response::new(body);
            res.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/plain"));
            Ok::<_, Infallible>(res)
        }
    });
    let res = layer.layer(app).oneshot(request(coding)).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts, bytes)
}

#[tokio::test]
async fn known_bodies_round_trip_with_an_exact_length_for_every_coding() {
    let layer = common::every_coding().min_size(0);
    for coding in codings() {
        for len in [0, 1, 300, 1024, 100 * 1024, 1 << 20] {
            let input = sample(len);
            let (parts, bytes) = through(&layer, coding, vec![input.clone()], true).await;
            if len == 0 {
                // No body: passed through as it is, even with min_size 0.
                assert!(!parts.headers.contains_key("content-encoding"));
                assert!(!parts.headers.contains_key("vary"));
                assert!(bytes.is_empty());
                continue;
            }
            assert_eq!(parts.headers["content-encoding"], coding.as_str());
            assert_eq!(
                parts.headers["content-length"],
                bytes.len().to_string().as_str(),
                "{coding} {len}"
            );
            assert_eq!(decode(coding, &bytes), input, "{coding} {len}");
            if len >= 1024 {
                assert!(bytes.len() < len / 2, "{coding} {len}: {}", bytes.len());
            }
        }
    }
}

#[tokio::test]
async fn streamed_bodies_round_trip_for_every_coding() {
    let layer = common::every_coding();
    for coding in codings() {
        let input = sample(600_000);
        let chunks = input.chunks(7001).map(<[u8]>::to_vec).collect();
        let (parts, bytes) = through(&layer, coding, chunks, false).await;
        assert_eq!(parts.headers["content-encoding"], coding.as_str());
        assert!(!parts.headers.contains_key("content-length"));
        assert_eq!(decode(coding, &bytes), input, "{coding}");
    }
}

#[tokio::test]
async fn bodies_over_the_buffer_limit_are_streamed_and_round_trip() {
    let layer = common::every_coding().buffer_limit(1000);
    for coding in codings() {
        let input = sample(5000);
        let (parts, bytes) = through(&layer, coding, vec![input.clone()], true).await;
        assert!(!parts.headers.contains_key("content-length"), "{coding}");
        assert_eq!(decode(coding, &bytes), input, "{coding}");
    }
}

#[tokio::test]
async fn every_level_of_every_coding_round_trips() {
    let input = sample(50_000);
    let mut layers = vec![];
    for n in [0, 1, 9] {
        layers.push((
            Coding::Gzip,
            common::every_coding().level(pastry_gzip::Level::new(n).unwrap()),
        ));
    }
    #[cfg(feature = "br")]
    for n in [0, 4, 11] {
        layers.push((
            Coding::Br,
            common::every_coding().br_level(pastry_gzip::BrLevel::new(n).unwrap()),
        ));
    }
    #[cfg(feature = "zstd")]
    for n in [1, 3, 19] {
        layers.push((
            Coding::Zstd,
            common::every_coding().zstd_level(pastry_gzip::ZstdLevel::new(n).unwrap()),
        ));
    }
    for (coding, layer) in layers {
        for whole in [true, false] {
            let (_, bytes) = through(&layer, coding, vec![input.clone()], whole).await;
            assert_eq!(decode(coding, &bytes), input, "{layer:?} whole={whole}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_body_round_trips_in_any_framing_for_every_coding(
        body in proptest::collection::vec(any::<u8>(), 0..20_000),
        cuts in proptest::collection::vec(1usize..5000, 0..8),
        whole in any::<bool>(),
        repeat in 1usize..4,
    ) {
        let body = body.repeat(repeat);
        let mut chunks = Vec::new();
        let mut rest = &body[..];
        for cut in cuts {
            let (head, tail) = rest.split_at(cut.min(rest.len()));
            chunks.push(head.to_vec());
            rest = tail;
        }
        chunks.push(rest.to_vec());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let layer = common::every_coding().min_size(0);
        for coding in codings() {
            let (parts, bytes) = runtime.block_on(through(&layer, coding, chunks.clone(), whole));
            prop_assert_eq!(&parts.headers["content-encoding"], coding.as_str());
            prop_assert_eq!(decode(coding, &bytes), body.clone());
        }
    }
}
