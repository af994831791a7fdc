//! Whatever goes in comes out: random bodies, framings and sizes.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{Full, StreamBody};
use pastry_gzip::GzipLayer;
use pastry_testkit::{Body, TestClient};
use proptest::prelude::*;
use tower::{Layer, service_fn};

/// An app answering with `data` cut into frames of `frame` bytes, or whole
/// (exact size known) when `frame` is 0.
fn client(data: Bytes, frame: usize) -> TestClient {
    let app = service_fn(move |_req: Request<Body>| {
        let data = data.clone();
        async move {
            let body: UnsyncBoxBody<Bytes, Infallible> = if frame == 0 {
                Full::new(data).boxed_unsync()
            } else {
                let frames: Vec<_> = (0..data.len())
                    .step_by(frame)
                    .map(|at| Ok(Frame::data(data.slice(at..(at + frame).min(data.len())))))
                    .collect();
                StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
            };
            let mut res = Response::new(body);
            res.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            Ok::<_, Infallible>(res)
        }
    });
    TestClient::new(GzipLayer::new().min_size(0).layer(app))
}

fn round_trip(data: Vec<u8>, frame: usize) {
    let data = Bytes::from(data);
    let res = client(data.clone(), frame)
        .get("/")
        .header("accept-encoding", "gzip")
        .send_blocking();
    // A body known to be empty has nothing to compress and passes as it is.
    let expected = (!data.is_empty() || frame != 0).then_some("gzip");
    assert_eq!(res.header("content-encoding"), expected);
    assert_eq!(res.bytes(), data);
}

#[test]
fn empty_and_one_byte_bodies_round_trip() {
    for frame in [0, 1] {
        round_trip(Vec::new(), frame);
        round_trip(vec![b'x'], frame);
    }
}

#[test]
fn ten_mib_round_trips_buffered_and_streamed() {
    let data: Vec<u8> = (0..10u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 27) as u8 + b'a')
        .collect();
    round_trip(data[..5 << 20].to_vec(), 0); // one libdeflate call
    round_trip(data.clone(), 0); // above the 8 MiB buffer limit: streamed
    round_trip(data, 16 * 1024);
}

#[test]
fn many_tiny_frames_round_trip() {
    round_trip(b"0123456789".repeat(500), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_bodies_round_trip(
        data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..5000),
            "[a-z ]{0,3000}".prop_map(String::into_bytes),
        ],
        frame in prop_oneof![Just(0usize), 1usize..64, 64usize..4096],
    ) {
        round_trip(data, frame);
    }
}
