//! Server-sent events: `TestResponse::events` and `TestStream::next_event`,
//! through a Pastry layer stack.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use futures_util::stream::{self, Stream, StreamExt};
use http::{Request, Response, header};
use pastry_catch::CatchLayer;
use pastry_gzip::GzipLayer;
use pastry_sessions::{MemoryStore, SessionLayer};
use pastry_testkit::{Body, TestClient, TestError};
use tower::ServiceBuilder;

/// An endless feed: event `n` comes 5 ms after event `n - 1`, each with an
/// id, and a comment now and then to keep the connection alive.
async fn counter() -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let events = stream::iter(0u64..).then(|n| async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let event = SseEvent::default()
            .id(n.to_string())
            .event("count")
            .data(format!("{n}\nof many"));
        Ok(event)
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_millis(2)))
}

#[tokio::test]
async fn endless_sse_stream_is_read_event_by_event_through_gzip_and_sessions() {
    let app = ServiceBuilder::new()
        .layer(CatchLayer::new())
        .layer(GzipLayer::new())
        .layer(SessionLayer::new(MemoryStore::new()))
        .service(Router::new().route("/counter", get(counter)));
    let client = TestClient::new(app);
    let mut stream = client
        .get("/counter")
        .header(header::ACCEPT_ENCODING, "gzip")
        .stream()
        .await;
    assert_eq!(stream.header("content-encoding"), Some("gzip"));
    for n in 0..5u64 {
        let event = stream.next_event().await.unwrap();
        assert_eq!(event.event, "count");
        assert_eq!(event.id, n.to_string());
        assert_eq!(event.data, format!("{n}\nof many"));
    }
}

#[tokio::test]
async fn next_event_times_out_with_a_clear_error() {
    async fn quiet() -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
        Sse::new(stream::pending())
    }
    let client = TestClient::new(Router::new().route("/quiet", get(quiet)));
    let mut stream = client
        .get("/quiet")
        .stream()
        .await
        .event_timeout(Duration::from_millis(50));
    let err = stream.try_next_event().await.unwrap_err();
    assert!(matches!(err, TestError::Timeout(_)), "{err:?}");
    assert_eq!(err.to_string(), "no server-sent event within 50ms");
}

#[tokio::test]
#[should_panic(expected = "GET http://localhost/quiet: no server-sent event within 50ms")]
async fn awaiting_an_event_that_never_comes_fails_the_test() {
    async fn quiet() -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
        Sse::new(stream::pending())
    }
    let client = TestClient::new(Router::new().route("/quiet", get(quiet)));
    let mut stream = client
        .get("/quiet")
        .stream()
        .await
        .event_timeout(Duration::from_millis(50));
    stream.next_event().await;
}

#[tokio::test]
async fn a_finite_stream_ends_with_none_and_drops_an_unfinished_event() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let body = Body::chunks(["data: a\n", "\n", "data: unfinished"]);
        let res = Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(body);
        Ok::<_, Infallible>(res.unwrap())
    });
    let mut stream = TestClient::new(app).get("/").stream().await;
    assert_eq!(stream.next_event().await.unwrap().data, "a");
    assert_eq!(stream.next_event().await, None);
}

#[tokio::test]
async fn next_event_refuses_a_body_that_is_not_an_event_stream() {
    let app = Router::new().route("/", get(|| async { "data: x\n\n" }));
    let mut stream = TestClient::new(app).get("/").stream().await;
    let err = stream.try_next_event().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "not an event stream: Content-Type is \"text/plain; charset=utf-8\", not text/event-stream"
    );
}

#[tokio::test]
async fn whole_body_events_are_parsed_after_gzip() {
    async fn three() -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
        let events = ["one", "two", "three"].map(|data| Ok(SseEvent::default().data(data)));
        Sse::new(stream::iter(events))
    }
    let app = ServiceBuilder::new()
        .layer(GzipLayer::new())
        .service(Router::new().route("/three", get(three)));
    let res = TestClient::new(app)
        .get("/three")
        .header(header::ACCEPT_ENCODING, "gzip")
        .await;
    res.assert_header("content-encoding", "gzip");
    let data: Vec<String> = res.events().into_iter().map(|e| e.data).collect();
    assert_eq!(data, ["one", "two", "three"]);
}

#[test]
#[should_panic(expected = "not an event stream: Content-Type is absent")]
fn events_on_a_response_that_is_not_an_event_stream_fails_the_test() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(String::from("data: x\n\n")))
    });
    TestClient::new(app).get("/").send_blocking().events();
}

#[test]
fn events_are_read_outside_a_tokio_runtime_without_a_time_limit() {
    use futures_util::FutureExt;
    let app = tower::service_fn(|_req: Request<Body>| async {
        let res = Response::builder()
            .header(header::CONTENT_TYPE, "text/event-stream")
            .body(Body::chunks(["data: a\n\n"]));
        Ok::<_, Infallible>(res.unwrap())
    });
    let client = TestClient::new(app);
    let mut stream = client
        .get("/")
        .stream()
        .now_or_never()
        .expect("ready at once");
    let event = stream
        .try_next_event()
        .now_or_never()
        .expect("ready at once");
    assert_eq!(event.unwrap().unwrap().data, "a");
}
