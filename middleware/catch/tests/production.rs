//! Production mode (the default): pages say the status, reason and id only.

mod support;

use http::{Request, Response, StatusCode};
use pastry_catch::CatchLayer;
use pastry_core::HttpError;
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

const SECRET: &str = "connection string postgres://app:hunter2@db";

fn app() -> TestClient {
    let svc = ServiceBuilder::new().layer(CatchLayer::new()).service_fn(
        |req: Request<Body>| async move {
            match req.uri().path() {
                "/panic" => panic!("{SECRET}"),
                _ => {
                    let cause = std::io::Error::other(SECRET);
                    let err =
                        HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
                            .source(cause);
                    Err::<Response<Body>, _>(err)
                }
            }
        },
    );
    TestClient::new(svc)
}

const ACCEPTS: [&str; 3] = ["text/html", "application/json", "text/plain"];

#[tokio::test]
async fn production_page_never_contains_the_panic_message() {
    let client = app();
    for accept in ACCEPTS {
        let res = client
            .get("/panic")
            .header("accept", accept)
            .expect_status(500)
            .await;
        let page = res.text();
        assert!(!page.contains("hunter2"), "{accept}: {page}");
        assert!(!page.contains("connection string"), "{accept}: {page}");
        assert!(page.contains("Internal Server Error"), "{accept}: {page}");
    }
}

#[tokio::test]
async fn production_page_never_contains_the_error_chain() {
    let client = app();
    for accept in ACCEPTS {
        let res = client
            .get("/error")
            .header("accept", accept)
            .expect_status(503)
            .await;
        let page = res.text();
        assert!(!page.contains("hunter2"), "{accept}: {page}");
        assert!(!page.contains("storage unavailable"), "{accept}: {page}");
        assert!(page.contains("Service Unavailable"), "{accept}: {page}");
    }
}

#[tokio::test]
async fn production_page_never_contains_the_request() {
    let res = app()
        .get("/panic?token=abc123")
        .header("x-trace", "visible-nowhere")
        .expect_status(500)
        .await;
    let page = res.text();
    assert!(!page.contains("abc123"));
    assert!(!page.contains("visible-nowhere"));
    assert!(!page.contains("/panic"));
}

#[tokio::test]
async fn production_page_is_status_reason_and_id() {
    let res = app().get("/panic").expect_status(500).await;
    let id = res.header("x-error-id").unwrap().to_owned();
    res.assert_header("content-type", "text/html; charset=utf-8")
        .assert_header("cache-control", "no-store");
    let page = res.text();
    assert!(page.contains("<h1>500 Internal Server Error</h1>"));
    assert!(page.contains(&format!("<code>{id}</code>")));
}

#[tokio::test]
async fn head_request_gets_the_status_without_a_body() {
    let res = app().head("/panic").expect_status(500).await;
    assert!(res.header("x-error-id").is_some());
    assert!(res.raw_bytes().is_empty());
}

#[tokio::test]
async fn log_event_still_carries_the_message() {
    let (events, _guard) = support::Events::record();
    app().get("/panic").expect_status(500).await;
    let event = events.single();
    assert_eq!(event.level, tracing::Level::ERROR);
    assert_eq!(event.field("panic"), Some(SECRET));
    assert_eq!(event.field("method"), Some("GET"));
    assert_eq!(event.field("path"), Some("/panic"));
    assert_eq!(
        event.field("backtrace"),
        None,
        "backtraces are logged in debug mode only"
    );
}
