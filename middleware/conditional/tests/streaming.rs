//! What the layer never buffers: streams, bodies over the limit, event
//! streams, upgrades. They pass through frame by frame, unhashed.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{PAGE, app, channel_app};
use http::{Method, Request};
use http_body_util::BodyExt;
use pastry_conditional::{ConditionalLayer, DEFAULT_BUFFER_LIMIT};
use pastry_testkit::{Body, TestClient};
use tower::{Layer, ServiceExt};

#[tokio::test]
async fn a_streamed_body_passes_frame_by_frame_without_an_etag() {
    let (tx, app) = channel_app(&[("content-type", "text/plain")], None);
    let client = TestClient::new(ConditionalLayer::new().layer(app));
    tx.send(Bytes::from("first ")).unwrap();
    // The head arrives while the body is still open: nothing is buffered.
    let mut res = client.get("/").stream().await;
    assert_eq!(res.header("etag"), None);
    assert_eq!(res.next_data().await.as_deref(), Some(&b"first "[..]));
    tx.send(Bytes::from("second")).unwrap();
    assert_eq!(res.next_data().await.as_deref(), Some(&b"second"[..]));
    drop(tx);
    assert_eq!(res.next_data().await, None);
}

#[tokio::test]
async fn a_stream_with_the_apps_etag_gets_its_304_without_being_read() {
    // The body never ends: reading it would never answer.
    let (tx, app) = channel_app(&[("etag", "\"v1\"")], None);
    let client = TestClient::new(ConditionalLayer::new().layer(app));
    let res = client
        .get("/")
        .header("if-none-match", "W/\"v1\"")
        .expect_status(304)
        .await;
    res.assert_header("etag", "\"v1\"");
    // The app's body was dropped unread.
    assert!(tx.send(Bytes::from("late")).is_err());
}

#[tokio::test]
async fn a_body_announced_over_the_default_limit_passes_through_unread() {
    // An exact size hint of the limit plus one byte, frames sent by the
    // test: the head comes back before a single byte of the body exists.
    let (tx, app) = channel_app(&[], Some(DEFAULT_BUFFER_LIMIT + 1));
    let client = TestClient::new(ConditionalLayer::new().layer(app));
    let mut res = client.get("/").stream().await;
    assert_eq!(res.header("etag"), None);
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    let mut sent = 0u64;
    while sent < DEFAULT_BUFFER_LIMIT + 1 {
        let take = chunk.len().min((DEFAULT_BUFFER_LIMIT + 1 - sent) as usize);
        tx.send(chunk.slice(..take)).unwrap();
        sent += take as u64;
        // Each frame comes out as it went in.
        assert_eq!(res.next_data().await.map(|d| d.len()), Some(take));
    }
    drop(tx);
    assert_eq!(res.next_data().await, None);
    println!(
        "limit {DEFAULT_BUFFER_LIMIT} B: a body of {sent} B passed through in {} frames, head before any byte, no ETag",
        sent.div_ceil(chunk.len() as u64)
    );
}

#[tokio::test]
async fn a_body_at_the_default_limit_is_hashed_and_one_byte_more_is_not() {
    for (len, hashed) in [
        (DEFAULT_BUFFER_LIMIT, true),
        (DEFAULT_BUFFER_LIMIT + 1, false),
    ] {
        let body = vec![b'x'; len as usize];
        let app = tower::service_fn(move |_req: Request<Body>| {
            let body = body.clone();
            async move {
                Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                    Bytes::from(body),
                )))
            }
        });
        let client = TestClient::new(ConditionalLayer::new().layer(app));
        let res = client.get("/").await;
        assert_eq!(res.header("etag").is_some(), hashed, "{len}");
        assert_eq!(res.raw_bytes().len() as u64, len);
    }
}

#[tokio::test]
async fn a_lower_limit_is_honoured() {
    let layer = ConditionalLayer::builder()
        .buffer_limit(16)
        .build()
        .unwrap();
    let small = TestClient::new(layer.layer(app(200, &[], "sixteen bytes!!!")));
    assert!(small.get("/").await.header("etag").is_some());
    let large = TestClient::new(layer.layer(app(200, &[], PAGE)));
    assert_eq!(large.get("/").await.header("etag"), None);
}

#[tokio::test]
async fn a_body_longer_than_its_size_hint_is_sent_whole_past_the_limit() {
    // A lying body (exact hint 10 bytes, 100 sent): Validate would rightly
    // flag the app, so this one is called directly.
    let (tx, app) = channel_app(&[], Some(10));
    let layer = ConditionalLayer::builder()
        .buffer_limit(64)
        .build()
        .unwrap();
    let service = layer.layer(app);
    for _ in 0..10 {
        tx.send(Bytes::from(vec![b'z'; 10])).unwrap();
    }
    drop(tx);
    let res = service
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.headers().get("etag"), None);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 100);
}

#[tokio::test]
async fn an_event_stream_passes_untouched_even_with_a_matching_etag() {
    let (tx, app) = channel_app(
        &[("content-type", "text/event-stream"), ("etag", "\"v1\"")],
        Some(12),
    );
    let client = TestClient::new(ConditionalLayer::new().layer(app));
    tx.send(Bytes::from("data: hi\n\n")).unwrap();
    let mut res = client
        .get("/events")
        .header("if-none-match", "\"v1\"")
        .stream()
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.next_data().await.as_deref(), Some(&b"data: hi\n\n"[..]));
    tx.send(Bytes::from("\n\n")).unwrap();
    drop(tx);
    let _ = tokio::time::timeout(Duration::from_secs(5), res.next_data()).await;
}

#[tokio::test]
async fn upgrades_pass_untouched() {
    // A 101 to a WebSocket handshake.
    let switching = TestClient::new(ConditionalLayer::new().layer(app(
        101,
        &[("upgrade", "websocket"), ("connection", "upgrade")],
        "",
    )));
    let res = switching
        .get("/socket")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("if-none-match", "*")
        .expect_status(101)
        .await;
    assert_eq!(res.header("etag"), None);
    // A 200 to CONNECT (HTTP/2's extended CONNECT opens WebSockets so).
    let tunnel = TestClient::new(ConditionalLayer::new().layer(app(200, &[], "")));
    let res = tunnel
        .request(Method::CONNECT, "/socket")
        .header("if-none-match", "*")
        .expect_status(200)
        .await;
    assert_eq!(res.header("etag"), None);
}

#[tokio::test]
async fn an_event_stream_known_up_front_is_not_read_to_be_hashed() {
    // An exact size hint, but an event stream: the head comes back before
    // the events exist.
    let (tx, app) = channel_app(&[("content-type", "text/event-stream")], Some(20));
    let client = TestClient::new(ConditionalLayer::new().layer(app));
    let mut res = client.get("/events").stream().await;
    assert_eq!(res.header("etag"), None);
    tx.send(Bytes::from("data: one\n\n")).unwrap();
    assert_eq!(
        res.next_data().await.as_deref(),
        Some(&b"data: one\n\n"[..])
    );
    tx.send(Bytes::from("data: 2\n\n")).unwrap();
    assert_eq!(res.next_data().await.as_deref(), Some(&b"data: 2\n\n"[..]));
}

#[tokio::test]
async fn the_trailers_of_a_hashed_body_are_kept() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x-checksum", "abc".parse().unwrap());
        let body = common::Frames {
            frames: [Bytes::from("soup "), Bytes::from("and bread")].into(),
            trailers: Some(trailers),
        };
        Ok::<_, std::convert::Infallible>(http::Response::new(body))
    });
    let client = TestClient::new(ConditionalLayer::new().layer(app));
    let res = client.get("/").await;
    assert!(res.header("etag").is_some());
    assert_eq!(res.text(), "soup and bread");
    assert_eq!(
        res.trailers()
            .and_then(|t| t.get("x-checksum"))
            .map(|v| v.to_str().unwrap()),
        Some("abc")
    );
}
