//! What the layer records for each request: by mount, method and status
//! class, its bytes, its duration to the end of the body, and the
//! requests in flight.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Frame;
use pastry_core::ManualClock;
use pastry_metrics::{MetricsHandle, MetricsLayer};
use pastry_testkit::{Body, TestClient};
use tokio::sync::mpsc;
use tower::{ServiceBuilder, service_fn};

/// The value of the one rendered line that starts with `series `.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

/// Answers the status named by the path (`/status/404`), with a body of
/// ten bytes.
fn status_app(
    layer: MetricsLayer,
) -> impl tower::Service<
    Request<Body>,
    Response = Response<pastry_metrics::MetricsBody<String>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(|req: Request<Body>| async move {
            let status = req
                .uri()
                .path()
                .strip_prefix("/status/")
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(200);
            let mut res = Response::new(String::from("0123456789"));
            *res.status_mut() = StatusCode::from_u16(status).unwrap();
            Ok::<_, Infallible>(res)
        }))
}

#[tokio::test(flavor = "current_thread")]
async fn requests_are_counted_by_script_name_method_and_status_class() {
    let handle = MetricsHandle::new();
    let client = TestClient::new(status_app(MetricsLayer::new(&handle)));
    client.get("/status/200").script_name("/api").await;
    client.get("/status/201").script_name("/api").await;
    client
        .delete("/status/404")
        .script_name("/api")
        .any_status()
        .await;
    client.post("/status/503").any_status().await;
    client.get("/status/301").any_status().await;

    let text = handle.render();
    let count = |labels: &str| value(&text, &format!("pastry_http_requests_total{{{labels}}}"));
    assert_eq!(
        count(r#"mount="/api",method="GET",status="2xx""#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        count(r#"mount="/api",method="DELETE",status="4xx""#),
        Some(1.0)
    );
    assert_eq!(count(r#"mount="/",method="POST",status="5xx""#), Some(1.0));
    assert_eq!(count(r#"mount="/",method="GET",status="3xx""#), Some(1.0));
}

#[tokio::test(flavor = "current_thread")]
async fn a_mount_label_given_to_the_layer_replaces_the_script_name() {
    let handle = MetricsHandle::new();
    let client = TestClient::new(status_app(MetricsLayer::new(&handle).mount("blog")));
    client.get("/status/200").script_name("/somewhere").await;
    let text = handle.render();
    assert_eq!(
        value(
            &text,
            r#"pastry_http_requests_total{mount="blog",method="GET",status="2xx"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains("/somewhere"));
}

#[tokio::test(flavor = "current_thread")]
async fn body_bytes_sent_are_counted() {
    let handle = MetricsHandle::new();
    let client = TestClient::new(status_app(MetricsLayer::new(&handle).mount("m")));
    for _ in 0..3 {
        client.get("/status/200").await;
    }
    let text = handle.render();
    assert_eq!(
        value(
            &text,
            r#"pastry_http_response_body_bytes_total{mount="m",method="GET",status="2xx"}"#
        ),
        Some(30.0),
        "{text}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_app_error_counts_as_a_5xx() {
    let handle = MetricsHandle::new();
    let app = ServiceBuilder::new()
        .layer(MetricsLayer::new(&handle).mount("m"))
        .service(service_fn(|_req: Request<Body>| async {
            Err::<Response<String>, _>(std::io::Error::other("store down"))
        }));
    let client = TestClient::new(app);
    assert!(client.get("/").try_send().await.is_err());
    let text = handle.render();
    assert_eq!(
        value(
            &text,
            r#"pastry_http_requests_total{mount="m",method="GET",status="5xx"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"pastry_http_requests_in_flight{mount="m"}"#),
        Some(0.0)
    );
}

/// A body that sends what the test pushes, and ends when the sender goes.
struct ChannelBody(mpsc::UnboundedReceiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|data| data.map(|d| Ok(Frame::data(d))))
    }
}

/// A client whose one response streams what the returned sender sends.
fn streaming(
    handle: &MetricsHandle,
    clock: &ManualClock,
) -> (TestClient, mpsc::UnboundedSender<Bytes>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(Some(rx)));
    let app = ServiceBuilder::new()
        .layer(MetricsLayer::new(handle).mount("feed").clock(clock.clone()))
        .service(service_fn(move |_req: Request<Body>| {
            let rx = rx.lock().unwrap().take().expect("one request");
            async move { Ok::<_, Infallible>(Response::new(ChannelBody(rx))) }
        }));
    (TestClient::new(app), tx)
}

#[tokio::test(flavor = "current_thread")]
async fn the_duration_covers_the_whole_body_and_in_flight_lasts_until_it_ends() {
    let handle = MetricsHandle::new();
    let clock = ManualClock::new();
    let (client, tx) = streaming(&handle, &clock);
    let mut stream = client.get("/").stream().await;
    tx.send(Bytes::from_static(b"first")).unwrap();
    assert_eq!(stream.next_data().await.unwrap(), "first");

    // The head is out and counted; the body is not over.
    let text = handle.render();
    assert_eq!(
        value(&text, r#"pastry_http_requests_in_flight{mount="feed"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"pastry_http_requests_total{mount="feed",method="GET",status="2xx"}"#
        ),
        Some(1.0)
    );
    assert!(!text.contains("pastry_http_request_duration_seconds_count"));

    // Three (manual) seconds pass before the body ends.
    clock.advance(Duration::from_secs(3));
    tx.send(Bytes::from_static(b"last")).unwrap();
    assert_eq!(stream.next_data().await.unwrap(), "last");
    drop(tx);
    assert!(stream.next_data().await.is_none());

    let text = handle.render();
    let labels = r#"{mount="feed",method="GET",status="2xx"}"#;
    assert_eq!(
        value(&text, r#"pastry_http_requests_in_flight{mount="feed"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!("pastry_http_request_duration_seconds_count{labels}")
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("pastry_http_request_duration_seconds_sum{labels}")
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &text,
            r#"pastry_http_request_duration_seconds_bucket{mount="feed",method="GET",status="2xx",le="2.5"}"#
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("pastry_http_response_body_bytes_total{labels}")
        ),
        Some(9.0)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_body_dropped_unfinished_still_ends_the_request() {
    let handle = MetricsHandle::new();
    let clock = ManualClock::new();
    let (client, tx) = streaming(&handle, &clock);
    let mut stream = client.get("/").stream().await;
    tx.send(Bytes::from_static(b"some")).unwrap();
    assert_eq!(stream.next_data().await.unwrap(), "some");
    clock.advance(Duration::from_secs(1));
    drop(stream); // the client went away mid-body

    let text = handle.render();
    let labels = r#"{mount="feed",method="GET",status="2xx"}"#;
    assert_eq!(
        value(&text, r#"pastry_http_requests_in_flight{mount="feed"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            &format!("pastry_http_request_duration_seconds_sum{labels}")
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("pastry_http_response_body_bytes_total{labels}")
        ),
        Some(4.0)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_upgrade_ends_with_its_handshake() {
    let handle = MetricsHandle::new();
    let app = ServiceBuilder::new()
        .layer(MetricsLayer::new(&handle).mount("ws"))
        .service(service_fn(|_req: Request<Body>| async {
            let mut res = Response::new(String::new());
            *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            res.headers_mut()
                .insert("upgrade", "websocket".parse().unwrap());
            res.headers_mut()
                .insert("connection", "upgrade".parse().unwrap());
            Ok::<_, Infallible>(res)
        }));
    let client = TestClient::new(app).lenient();
    let res = client
        .get("/socket")
        .header("upgrade", "websocket")
        .header("connection", "upgrade")
        .any_status()
        .stream()
        .await;
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    // The response is still held, but the request is over.
    let text = handle.render();
    assert_eq!(
        value(&text, r#"pastry_http_requests_in_flight{mount="ws"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"pastry_http_requests_total{mount="ws",method="GET",status="1xx"}"#
        ),
        Some(1.0)
    );
    drop(res);
}

#[tokio::test(flavor = "current_thread")]
async fn a_panic_in_the_app_counts_as_a_5xx_under_a_catching_layer() {
    let handle = MetricsHandle::new();
    let app = ServiceBuilder::new()
        .layer(pastry_catch::CatchLayer::new())
        .layer(MetricsLayer::new(&handle).mount("m"))
        .service(service_fn(|_req: Request<Body>| async {
            panic!("boom");
            #[allow(unreachable_code)]
            Ok::<_, Infallible>(Response::new(String::new()))
        }));
    TestClient::new(app).get("/").expect_status(500).await;
    let text = handle.render();
    assert_eq!(
        value(
            &text,
            r#"pastry_http_requests_total{mount="m",method="GET",status="5xx"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"pastry_http_requests_in_flight{mount="m"}"#),
        Some(0.0)
    );
}
