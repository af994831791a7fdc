//! `.handler(f)`: a custom response, still logged and still with the id.

mod support;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Request, Response, StatusCode};
use pastry_catch::{CatchLayer, Failure, Phase};
use pastry_core::HttpError;
use pastry_testkit::{Body, TestClient};
use support::Events;
use tower::ServiceBuilder;

fn app(layer: CatchLayer) -> TestClient {
    let svc = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<Body>| async move {
            match req.uri().path() {
                "/teapot" => Err::<Response<Body>, _>(HttpError::new(
                    StatusCode::IM_A_TEAPOT,
                    "short and stout",
                )),
                _ => panic!("handler test panic"),
            }
        });
    TestClient::new(svc)
}

fn describe(failure: &Failure) -> Response<String> {
    let what = match (failure.panic_message(), failure.error()) {
        (Some(message), _) => format!("panic: {message}"),
        (None, Some(err)) => format!("error: {err}"),
        (None, None) => unreachable!("a failure is a panic or an error"),
    };
    let accept = failure
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    Response::builder()
        .status(failure.status())
        .header(CONTENT_TYPE, "text/plain")
        .header("x-error-id", "the handler's own value")
        .body(format!(
            "{} {} {} {} | {what} | accept={accept} | id={}",
            failure.phase(),
            failure.status().as_u16(),
            failure.method(),
            failure.uri(),
            failure.id()
        ))
        .unwrap()
}

#[tokio::test]
async fn handler_builds_the_response_from_the_failure() {
    let client = app(CatchLayer::new().handler(describe));
    let res = client
        .get("/boom?x=1")
        .header("accept", "text/csv")
        .expect_status(500)
        .await;
    let id = res.header("x-error-id").unwrap().to_owned();
    assert_eq!(
        res.text(),
        format!("future 500 GET /boom?x=1 | panic: handler test panic | accept=text/csv | id={id}")
    );
    res.assert_header("content-type", "text/plain");
}

#[tokio::test]
async fn handler_sees_http_error_status_and_error() {
    let client = app(CatchLayer::new().handler(describe));
    let res = client.post("/teapot").body("x").expect_status(418).await;
    assert!(
        res.text()
            .starts_with("future 418 POST /teapot | error: short and stout")
    );
}

#[tokio::test]
async fn handler_failures_are_still_logged_with_the_header_id() {
    let (events, _recording) = Events::record();
    let client = app(CatchLayer::new().handler(describe));
    let res = client.get("/boom").expect_status(500).await;
    let id = res.header("x-error-id").unwrap();
    assert_ne!(id, "the handler's own value", "the middleware's id wins");
    let event = events.single();
    assert_eq!(event.field("error_id"), Some(id));
    assert_eq!(event.field("panic"), Some("handler test panic"));
    assert_eq!(event.field("phase"), Some(Phase::Future.as_str()));
}

#[tokio::test]
async fn panicking_handler_falls_back_to_the_default_page() {
    let client = app(
        CatchLayer::new().handler(|_: &Failure| -> Response<Bytes> { panic!("handler broke") })
    );
    let res = client.get("/boom").expect_status(500).await;
    let id = res.header("x-error-id").unwrap();
    res.assert_text_contains(id)
        .assert_text_contains("500 Internal Server Error");
}

#[tokio::test]
async fn handler_response_to_head_has_no_body() {
    let client = app(CatchLayer::new().handler(describe));
    let res = client.head("/boom").expect_status(500).await;
    assert!(res.raw_bytes().is_empty());
    assert!(res.header("x-error-id").is_some());
}
