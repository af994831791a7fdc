//! Frame-by-frame compression: flushing for event streams, trailers, errors.

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body::Frame;
use http_body_util::BodyExt;
use http_body_util::StreamBody;
use http_body_util::combinators::UnsyncBoxBody;
use pastry_core::BoxError;
use pastry_gzip::{GzipLayer, Streaming};
use pastry_testkit::{Body, TestClient};
use tokio::sync::mpsc;
use tower::{Layer, service_fn};

type AppBody = UnsyncBoxBody<Bytes, BoxError>;

/// An app streaming whatever the test sends on the channel, with
/// `content_type` and, if `mark`, the [`Streaming`] marker.
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
        let rx = rx
            .lock()
            .unwrap()
            .take()
            .expect("one request per channel app");
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

/// Feeds gzip bytes to a streaming decoder and returns what is decodable.
fn feed(decoder: &mut flate2::write::GzDecoder<Vec<u8>>, data: &[u8]) -> String {
    decoder.write_all(data).unwrap();
    decoder.flush().unwrap();
    String::from_utf8(std::mem::take(decoder.get_mut())).unwrap()
}

#[tokio::test]
async fn event_stream_flushes_every_event() {
    let (tx, app) = channel_app("text/event-stream", false);
    let client = TestClient::new(GzipLayer::new().layer(app));
    tx.send(Bytes::from("data: first\n\n")).unwrap();
    let mut events = client
        .get("/events")
        .header("accept-encoding", "gzip")
        .stream()
        .await;
    assert_eq!(events.header("content-encoding"), Some("gzip"));
    assert_eq!(events.header("content-length"), None);
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());

    let frame = events.next_data().await.unwrap();
    assert_eq!(
        feed(&mut decoder, &frame),
        "data: first\n\n",
        "decoded before the second event exists"
    );

    tx.send(Bytes::from("data: second\n\n")).unwrap();
    let frame = events.next_data().await.unwrap();
    assert_eq!(feed(&mut decoder, &frame), "data: second\n\n");

    drop(tx);
    while let Some(rest) = events.next_data().await {
        assert_eq!(feed(&mut decoder, &rest), "");
    }
    decoder.try_finish().unwrap();
}

#[tokio::test]
async fn marked_responses_flush_every_frame() {
    let (tx, app) = channel_app("application/x-ndjson", true);
    let client = TestClient::new(GzipLayer::new().layer(app));
    let mut lines = client
        .get("/feed")
        .header("accept-encoding", "gzip")
        .stream()
        .await;
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    for n in 0..3 {
        let line = format!("{{\"tick\":{n}}}\n");
        tx.send(Bytes::from(line.clone())).unwrap();
        let frame = lines.next_data().await.unwrap();
        assert_eq!(feed(&mut decoder, &frame), line);
    }
}

#[tokio::test]
async fn unmarked_streams_are_not_flushed_per_frame() {
    let (tx, app) = channel_app("text/plain", false);
    let client = TestClient::new(GzipLayer::new().layer(app));
    for n in 0..50 {
        tx.send(Bytes::from(format!("line {n}\n"))).unwrap();
    }
    drop(tx);
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert!(
        res.frames().len() < 5,
        "small frames are batched by the compressor"
    );
    assert_eq!(
        res.text(),
        (0..50).map(|n| format!("line {n}\n")).collect::<String>()
    );
}

#[derive(Clone)]
enum Step {
    Data(&'static str),
    Trailers,
    Fail(&'static str),
}

fn scripted_app(
    steps: Vec<Step>,
) -> impl tower::Service<Request<Body>, Response = Response<AppBody>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    service_fn(move |_req: Request<Body>| {
        let frames = steps.clone().into_iter().map(|step| match step {
            Step::Data(text) => Ok(Frame::data(Bytes::from(text.repeat(100)))),
            Step::Trailers => Ok(Frame::trailers(trailers())),
            Step::Fail(message) => Err(BoxError::from(message)),
        });
        async move {
            let mut res = Response::new(StreamBody::new(stream::iter(frames)).boxed_unsync());
            res.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/plain"));
            Ok::<_, Infallible>(res)
        }
    })
}

fn trailers() -> HeaderMap {
    let mut trailers = HeaderMap::new();
    trailers.insert("x-checksum", HeaderValue::from_static("abc123"));
    trailers
}

#[tokio::test]
async fn trailers_pass_through() {
    let text = "some streamed text ".repeat(100);
    let app = scripted_app(vec![Step::Data("some streamed text "), Step::Trailers]);
    let client = TestClient::new(GzipLayer::new().layer(app));
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.text(), text);
    assert_eq!(res.trailers().unwrap()["x-checksum"], "abc123");
}

#[tokio::test]
async fn inner_body_errors_are_propagated() {
    let app = scripted_app(vec![Step::Data("partial "), Step::Fail("disk gone")]);
    let client = TestClient::new(GzipLayer::new().layer(app));
    let mut stream = client
        .get("/")
        .header("accept-encoding", "gzip")
        .stream()
        .await;
    let error = loop {
        match stream.try_next_frame().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the body ended cleanly instead of failing"),
            Err(error) => break error,
        }
    };
    assert!(format!("{error:?}").contains("disk gone"), "{error:?}");
}
