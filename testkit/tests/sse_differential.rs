//! The kit's server-sent events parser, read frame by frame through
//! `TestStream::next_event` and whole through `TestResponse::events`,
//! agrees with the `eventsource-stream` crate on event streams made of
//! fields, comments and every line ending, cut into frames anywhere.
//!
//! `retry` is left out: `eventsource-stream` keeps it on the one event it
//! came with, the kit (like a browser) for the rest of the stream.

use std::convert::Infallible;

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use http::{Request, Response, header};
use pastry_testkit::{Body, TestClient};
use proptest::prelude::*;

/// One line of an event stream, without its ending.
fn line() -> impl Strategy<Value = String> {
    let value = "[a-c é:]{0,6}";
    prop_oneof![
        value.prop_map(|v| format!("data:{v}")),
        value.prop_map(|v| format!("data: {v}")),
        Just("data".to_owned()),
        value.prop_map(|v| format!("event: {v}")),
        value.prop_map(|v| format!("id: {v}")),
        Just("id".to_owned()),
        value.prop_map(|v| format!(":{v}")),
        value.prop_map(|v| format!("other: {v}")),
        Just(String::new()),
        Just(String::new()),
    ]
}

fn ending() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("\n"), Just("\r\n"), Just("\r")]
}

/// A stream of lines, each with any ending, closed by a complete event so
/// that it never ends on a lone CR (which the other parser waits on).
fn event_stream() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec((line(), ending()), 0..24),
    )
        .prop_map(|(bom, lines)| {
            let mut stream = if bom {
                "\u{FEFF}".to_owned()
            } else {
                String::new()
            };
            for (line, ending) in lines {
                stream.push_str(&line);
                stream.push_str(ending);
            }
            stream.push_str("\ndata: end\n\n");
            stream
        })
}

type Triple = (String, String, String);

/// What `eventsource-stream` reads. It slices a leading BOM as if it
/// were one byte (and panics), so it is given the stream without it.
async fn reference(stream: &str) -> Vec<Triple> {
    let stream = stream.strip_prefix('\u{FEFF}').unwrap_or(stream).to_owned();
    let chunks = futures_util::stream::iter([Ok::<_, Infallible>(Bytes::from(stream))]);
    chunks
        .eventsource()
        .filter_map(|event| async move { event.ok() })
        .map(|event| (event.event, event.data, event.id))
        .collect()
        .await
}

fn app(
    frames: Vec<Bytes>,
) -> impl tower::Service<
    Request<Body>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Send + 'static,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |_req: Request<Body>| {
        let frames = frames.clone();
        async move {
            let mut res = Response::new(Body::chunks(frames));
            res.headers_mut()
                .insert(header::CONTENT_TYPE, "text/event-stream".parse().unwrap());
            Ok(res)
        }
    })
}

/// `stream` cut at `cuts` (byte offsets, any order, maybe inside a
/// character or between CR and LF).
fn frames(stream: &str, cuts: &[usize]) -> Vec<Bytes> {
    let bytes = stream.as_bytes();
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut frames = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        frames.push(Bytes::copy_from_slice(&bytes[start..cut]));
        start = cut;
    }
    frames
}

proptest! {
    #[test]
    fn kit_parser_agrees_with_eventsource_stream(
        stream in event_stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (expected, streamed, whole) = runtime.block_on(async {
            let expected = reference(&stream).await;
            let client = TestClient::new(app(frames(&stream, &cuts)));
            let mut events = client.get("/").stream().await;
            let mut streamed = Vec::new();
            while let Some(event) = events.next_event().await {
                streamed.push((event.event, event.data, event.id));
            }
            let whole: Vec<Triple> = client
                .get("/")
                .await
                .events()
                .into_iter()
                .map(|event| (event.event, event.data, event.id))
                .collect();
            (expected, streamed, whole)
        });
        prop_assert_eq!(&streamed, &expected, "stream {:?}", stream);
        prop_assert_eq!(&whole, &expected, "stream {:?}", stream);
    }
}
