//! Every coding streams frame by frame: event streams and marked responses
//! are flushed after each frame, so a client decodes each event as soon as
//! it is sent; trailers and errors pass as with gzip.

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::codecs::{codings, decode, decode_prefix};
use futures_util::stream;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, StreamBody};
use pastry_core::BoxError;
use pastry_gzip::{Coding, Streaming};
use pastry_testkit::{Body, TestClient};
use tokio::sync::mpsc;
use tower::{Layer, service_fn};

type AppBody = UnsyncBoxBody<Bytes, BoxError>;

/// An app streaming what the test sends on the channel.
fn channel_app(
    content_type: &'static str,
    mark: bool,
) -> (
    mpsc::UnboundedSender<Bytes>,
    impl tower::Service<Request<Body>, Response = Response<AppBody>, Error = Infallible, Future: Send>
    + Clone
    + Send
    + 'static,
) {
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let rx = Arc::new(Mutex::new(Some(rx)));
    let app = service_fn(move |_req: Request<Body>| {
        let rx = rx.lock().unwrap().take().expect("one request per app");
        async move {
            let frames = stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|data| (Ok::<_, BoxError>(Frame::data(data)), rx))
            });
            let mut res = Response::new(StreamBody::new(frames).boxed_unsync());
            res.headers_mut()
                .insert("content-type", HeaderValue::from_static(content_type));
            if mark {
                res.extensions_mut().insert(Streaming);
            }
            Ok::<_, Infallible>(res)
        }
    });
    (tx, app)
}

/// Sends `events` one at a time and checks that after each one the bytes
/// received so far decode to every event so far, before the next exists.
async fn each_frame_decodes_on_arrival(coding: Coding, content_type: &'static str, mark: bool) {
    let (tx, app) = channel_app(content_type, mark);
    let client = TestClient::new(common::every_coding().layer(app));
    let events: Vec<String> = (0..4).map(|n| format!("data: event {n}\n\n")).collect();
    tx.send(Bytes::from(events[0].clone())).unwrap();
    let mut stream = client
        .get("/events")
        .header("accept-encoding", coding.as_str())
        .stream()
        .await;
    assert_eq!(stream.header("content-encoding"), Some(coding.as_str()));
    assert_eq!(stream.header("content-length"), None);
    let mut received = Vec::new();
    for n in 0..events.len() {
        if n > 0 {
            tx.send(Bytes::from(events[n].clone())).unwrap();
        }
        let frame = stream.next_data().await.expect("a frame per event");
        received.extend_from_slice(&frame);
        assert_eq!(
            String::from_utf8(decode_prefix(coding, &received)).unwrap(),
            events[..=n].concat(),
            "{coding}: event {n} decodable on arrival"
        );
    }
    drop(tx);
    while let Some(rest) = stream.next_data().await {
        received.extend_from_slice(&rest);
    }
    assert_eq!(decode(coding, &received), events.concat().into_bytes());
}

#[tokio::test]
async fn event_streams_flush_every_event_for_every_coding() {
    for coding in codings() {
        each_frame_decodes_on_arrival(coding, "text/event-stream", false).await;
    }
}

#[tokio::test]
async fn marked_responses_flush_every_frame_for_every_coding() {
    for coding in codings() {
        each_frame_decodes_on_arrival(coding, "application/x-ndjson", true).await;
    }
}

#[tokio::test]
async fn unmarked_streams_are_batched_for_every_coding() {
    for coding in codings() {
        let (tx, app) = channel_app("text/plain", false);
        let client = TestClient::new(common::every_coding().layer(app));
        for n in 0..50 {
            tx.send(Bytes::from(format!("line {n}\n"))).unwrap();
        }
        drop(tx);
        let res = client
            .get("/")
            .header("accept-encoding", coding.as_str())
            .await;
        assert_eq!(res.header("content-encoding"), Some(coding.as_str()));
        assert!(
            res.frames().len() < 5,
            "{coding}: {} frames",
            res.frames().len()
        );
        let expected: String = (0..50).map(|n| format!("line {n}\n")).collect();
        assert_eq!(decode(coding, &res.raw_bytes()), expected.into_bytes());
    }
}

fn scripted_app(
    frames: Vec<Result<Frame<Bytes>, &'static str>>,
) -> impl tower::Service<Request<Body>, Response = Response<AppBody>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    let frames = Arc::new(Mutex::new(Some(frames)));
    service_fn(move |_req: Request<Body>| {
        let frames = frames.lock().unwrap().take().expect("one request");
        async move {
            let frames = frames.into_iter().map(|f| f.map_err(BoxError::from));
            let mut res = Response::new(StreamBody::new(stream::iter(frames)).boxed_unsync());
            res.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/plain"));
            Ok::<_, Infallible>(res)
        }
    })
}

#[tokio::test]
async fn trailers_pass_through_for_every_coding() {
    for coding in codings() {
        let text = "some streamed text ".repeat(100);
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", HeaderValue::from_static("abc123"));
        let app = scripted_app(vec![
            Ok(Frame::data(Bytes::from(text.clone()))),
            Ok(Frame::trailers(trailers)),
        ]);
        let res = TestClient::new(common::every_coding().layer(app))
            .get("/")
            .header("accept-encoding", coding.as_str())
            .await;
        assert_eq!(res.header("content-encoding"), Some(coding.as_str()));
        assert_eq!(decode(coding, &res.raw_bytes()), text.into_bytes());
        assert_eq!(res.trailers().unwrap()["x-checksum"], "abc123");
    }
}

#[tokio::test]
async fn inner_body_errors_are_propagated_for_every_coding() {
    for coding in codings() {
        let app = scripted_app(vec![
            Ok(Frame::data(Bytes::from("partial ".repeat(100)))),
            Err("disk gone"),
        ]);
        let mut stream = TestClient::new(common::every_coding().layer(app))
            .get("/")
            .header("accept-encoding", coding.as_str())
            .stream()
            .await;
        let error = loop {
            match stream.try_next_frame().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("{coding}: the body ended cleanly instead of failing"),
                Err(error) => break error,
            }
        };
        assert!(
            format!("{error:?}").contains("disk gone"),
            "{coding}: {error:?}"
        );
    }
}
