//! Reading responses: decoding, frames, trailers, expectations, streaming.

use std::convert::Infallible;
use std::io::Write;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use pastry_testkit::{Body, TestClient, TestError};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `/status/N` answers N; `/gzip` a gzip body; `/frames` three frames and
/// trailers.
async fn app(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_owned();
    let res = if let Some(code) = path.strip_prefix("/status/") {
        Response::builder()
            .status(code.parse::<u16>().unwrap())
            .body(Body::from(format!("status {code}")))
    } else if path == "/gzip" {
        Response::builder()
            .header("content-encoding", "gzip")
            .header("vary", "accept-encoding")
            .body(Body::from(gzip(b"squeezed text")))
    } else if path == "/frames" {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", "abc".parse().unwrap());
        Response::builder().body(Body::chunks(["one ", "two ", "three"]).with_trailers(trailers))
    } else {
        Response::builder().body(Body::from("plain"))
    };
    Ok(res.unwrap())
}

fn client() -> TestClient {
    TestClient::new(tower::service_fn(app))
}

#[tokio::test]
async fn gzip_body_is_decoded_and_raw_bytes_stay_compressed() {
    let res = client()
        .get("/gzip")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.text(), "squeezed text");
    assert_eq!(res.bytes(), "squeezed text");
    assert_eq!(res.raw_bytes(), Bytes::from(gzip(b"squeezed text")));
    assert_eq!(res.header("content-encoding"), Some("gzip"));
}

#[tokio::test]
async fn frames_are_kept_as_produced_with_trailers() {
    let res = client().get("/frames").await;
    assert_eq!(res.frames(), ["one ", "two ", "three"]);
    assert_eq!(res.text(), "one two three");
    assert_eq!(res.trailers().unwrap()["x-checksum"], "abc");
}

#[tokio::test]
async fn success_and_redirect_statuses_pass_by_default() {
    client().get("/status/200").await.assert_status(200);
    client()
        .get("/status/303")
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
#[should_panic(expected = "expected a 2xx or 3xx status, got 404 Not Found")]
async fn client_error_fails_by_default() {
    client().get("/status/404").await;
}

#[tokio::test]
async fn unexpected_status_message_shows_head_and_body() {
    let err = client().get("/status/500").try_send().await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, TestError::Status(_)));
    assert!(
        message.contains("got 500 Internal Server Error"),
        "{message}"
    );
    assert!(
        message.contains("for http://localhost/status/500"),
        "{message}"
    );
    assert!(message.contains("body (10 bytes): status 500"), "{message}");
}

#[tokio::test]
async fn expect_status_demands_that_exact_status() {
    client().get("/status/401").expect_status(401).await;
    let err = client()
        .get("/status/200")
        .expect_status(401)
        .try_send()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("expected status 401 Unauthorized, got 200 OK")
    );
}

#[tokio::test]
async fn expect_failure_accepts_errors_and_refuses_success() {
    client().get("/status/503").expect_failure().await;
    client().get("/status/404").expect_failure().await;
    let err = client()
        .get("/status/200")
        .expect_failure()
        .try_send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("4xx or 5xx"));
}

#[tokio::test]
async fn any_status_accepts_everything() {
    client().get("/status/418").any_status().await;
}

#[tokio::test]
async fn assertion_helpers_chain() {
    client()
        .get("/status/201")
        .await
        .assert_status(201)
        .assert_text_contains("201")
        .assert_no_header("location");
}

#[tokio::test]
#[should_panic(expected = "expected header x-missing: 1")]
async fn assert_header_failure_names_the_header() {
    client().get("/").await.assert_header("x-missing", "1");
}

#[tokio::test]
async fn head_response_has_no_body() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        Ok::<_, Infallible>(
            Response::builder()
                .header("content-length", "42")
                .body(Body::empty())
                .unwrap(),
        )
    });
    let res = TestClient::new(app).head("/").await;
    assert_eq!(res.header("content-length"), Some("42"));
    assert!(res.bytes().is_empty());
}

#[tokio::test]
async fn app_error_is_reported() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        Err::<Response<Body>, _>(std::io::Error::other("database on fire"))
    });
    let err = TestClient::new(app).get("/").try_send().await.unwrap_err();
    assert!(matches!(err, TestError::App(_)));
    assert!(err.to_string().contains("database on fire"));
}

#[tokio::test]
async fn stream_reads_the_head_then_one_frame_at_a_time() {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let rx = std::sync::Arc::new(std::sync::Mutex::new(Some(rx)));
    let app = tower::service_fn(move |_req: Request<Body>| {
        let rx = rx.lock().unwrap().take().unwrap();
        async move {
            let frames = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|b| (Ok::<_, Infallible>(http_body::Frame::data(b)), rx))
            });
            let body = http_body_util::StreamBody::new(frames);
            Ok::<_, Infallible>(
                Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(body)
                    .unwrap(),
            )
        }
    });
    let client = TestClient::new(app);
    let mut stream = client.get("/events").stream().await;
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    tx.send(Bytes::from("data: 1\n\n")).await.unwrap();
    assert_eq!(stream.next_data().await.unwrap(), "data: 1\n\n");
    tx.send(Bytes::from("data: 2\n\n")).await.unwrap();
    let frame = stream.next_frame().await.unwrap();
    assert_eq!(frame.into_data().unwrap(), "data: 2\n\n");
    drop(tx);
    assert!(stream.next_frame().await.is_none());
}

#[test]
#[should_panic(expected = "inside an async runtime")]
fn send_blocking_inside_a_runtime_is_refused_clearly() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async { client().get("/").send_blocking() });
}

#[tokio::test]
async fn repeated_headers_url_and_extensions_are_exposed() {
    #[derive(Clone, Debug, PartialEq)]
    struct Tag(&'static str);
    let app = tower::service_fn(|_req: Request<Body>| async {
        let mut res = Response::builder()
            .header("x-many", "a")
            .header("x-many", "b")
            .body(Body::empty())
            .unwrap();
        res.extensions_mut().insert(Tag("from the app"));
        Ok::<_, Infallible>(res)
    });
    let res = TestClient::new(app).get("http://example.org/p?q").await;
    assert_eq!(res.header_all("x-many"), ["a", "b"]);
    assert_eq!(res.header("x-many"), Some("a"));
    assert_eq!(res.url(), "http://example.org/p?q");
    assert_eq!(res.extensions().get::<Tag>(), Some(&Tag("from the app")));
}

#[tokio::test]
#[should_panic(expected = "expected a 2xx or 3xx status, got 404 Not Found")]
async fn stream_checks_the_status_of_the_head() {
    client().get("/status/404").stream().await;
}

#[tokio::test]
async fn stream_accepts_an_expected_status() {
    let mut stream = client()
        .get("/status/404")
        .expect_status(404)
        .stream()
        .await;
    assert_eq!(stream.next_data().await.unwrap(), "status 404");
}

#[tokio::test]
#[should_panic(expected = "body is not UTF-8")]
async fn text_of_binary_body_fails_clearly() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(Body::from(vec![0xff, 0xfe])))
    });
    TestClient::new(app).get("/").await.text();
}
