//! Every phase a failure can happen in, and what the client gets for it.

mod support;

use std::convert::Infallible;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use http_body_util::Either;
use pastry_catch::{BodyAborted, CatchLayer, Phase};
use pastry_core::HttpError;
use pastry_testkit::{Body, TestClient, TestError};
use support::{Events, Fail, FailingBody};
use tower::{Layer, Service, ServiceBuilder};

/// One route per phase. `/call-panic` panics in `call` itself, before any
/// future exists; the others fail inside the future or the body.
fn app() -> TestClient {
    let svc = ServiceBuilder::new()
        .layer(CatchLayer::new())
        .service_fn(|req: Request<Body>| {
            let path = req.uri().path().to_owned();
            if path == "/call-panic" {
                panic!("panicked in call");
            }
            async move {
                let body = match path.as_str() {
                    "/ok" => Either::Left(Body::full("fine")),
                    "/not-found" => {
                        return Err(HttpError::new(StatusCode::NOT_FOUND, "no such post").into());
                    }
                    "/error" => return Err(std::io::Error::other("database down").into()),
                    "/future-panic" => panic!("panicked in the future"),
                    "/body-error-first" => {
                        Either::Right(FailingBody::new([], Fail::Error("read failed")))
                    }
                    "/body-panic-first" => {
                        Either::Right(FailingBody::new([], Fail::Panic("body panicked")))
                    }
                    "/body-error-later" => {
                        Either::Right(FailingBody::new(["partial "], Fail::Error("read failed")))
                    }
                    "/body-panic-later" => {
                        Either::Right(FailingBody::new(["partial "], Fail::Panic("body panicked")))
                    }
                    _ => Either::Left(Body::full("other")),
                };
                Ok::<_, pastry_core::BoxError>(Response::new(body))
            }
        });
    TestClient::new(svc)
}

#[tokio::test]
async fn healthy_response_passes_through() {
    let res = app().get("/ok").await;
    res.assert_status(200).assert_no_header("x-error-id");
    assert_eq!(res.text(), "fine");
}

#[tokio::test]
async fn inner_error_becomes_500() {
    let (events, _guard) = Events::record();
    let res = app().get("/error").expect_status(500).await;
    res.assert_text_contains("500 Internal Server Error");
    let event = events.single();
    assert_eq!(event.field("phase"), Some("future"));
    assert_eq!(event.field("error"), Some("database down"));
}

#[tokio::test]
async fn http_error_keeps_its_status() {
    let res = app().get("/not-found").expect_status(404).await;
    res.assert_text_contains("404 Not Found");
}

#[tokio::test]
async fn panic_in_call_becomes_500() {
    let (events, _guard) = Events::record();
    app().get("/call-panic").expect_status(500).await;
    let event = events.single();
    assert_eq!(event.field("phase"), Some("call"));
    assert_eq!(event.field("panic"), Some("panicked in call"));
}

#[tokio::test]
async fn panic_in_future_becomes_500() {
    let (events, _guard) = Events::record();
    app().get("/future-panic").expect_status(500).await;
    let event = events.single();
    assert_eq!(event.field("phase"), Some("future"));
    assert_eq!(event.field("panic"), Some("panicked in the future"));
}

/// The head was already returned when the body fails, even before its
/// first frame: the status stays, and the body ends with an error.
async fn assert_body_aborts(path: &str, sent: &[&str], panic: bool) {
    let (events, _guard) = Events::record();
    let client = app();
    let mut stream = client.get(path).stream().await;
    assert_eq!(stream.status(), StatusCode::OK);
    for expected in sent {
        assert_eq!(stream.next_data().await.unwrap(), *expected);
    }
    let err = match stream.try_next_frame().await {
        Err(TestError::Body(err)) => err,
        other => panic!("expected the body to fail, got {other:?}"),
    };
    let aborted = err
        .downcast_ref::<BodyAborted>()
        .expect("a BodyAborted error");
    assert_eq!(aborted.is_panic(), panic);
    let event = events.single();
    assert_eq!(event.field("phase"), Some(Phase::Body.as_str()));
    assert_eq!(
        event.field("error_id"),
        Some(aborted.id().to_string().as_str())
    );
    let bytes: usize = sent.iter().map(|s| s.len()).sum();
    assert_eq!(event.field("bytes_sent"), Some(bytes.to_string().as_str()));
    assert!(
        stream.try_next_frame().await.unwrap().is_none(),
        "nothing after the error"
    );
}

#[tokio::test]
async fn body_error_before_first_frame_aborts_the_body() {
    assert_body_aborts("/body-error-first", &[], false).await;
}

#[tokio::test]
async fn body_panic_before_first_frame_aborts_the_body() {
    assert_body_aborts("/body-panic-first", &[], true).await;
}

#[tokio::test]
async fn body_error_after_first_frame_aborts_the_body() {
    assert_body_aborts("/body-error-later", &["partial "], false).await;
}

#[tokio::test]
async fn body_panic_after_first_frame_aborts_the_body() {
    assert_body_aborts("/body-panic-later", &["partial "], true).await;
}

#[tokio::test]
async fn truncated_body_is_never_presented_as_complete() {
    let result = app().get("/body-panic-later").try_send().await;
    assert!(matches!(result, Err(TestError::Body(_))), "{result:?}");
}

/// A service whose readiness fails once, then recovers.
#[derive(Clone)]
struct FlakyReady {
    fail: Option<Fail>,
}

impl Service<Request<Body>> for FlakyReady {
    type Response = Response<Body>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Response<Body>, std::io::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.fail.take() {
            Some(Fail::Panic(message)) => panic!("{message}"),
            Some(Fail::Error(message)) => Poll::Ready(Err(std::io::Error::other(message))),
            None => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, _req: Request<Body>) -> Self::Future {
        std::future::ready(Ok(Response::new(Body::full("ready now"))))
    }
}

async fn assert_ready_failure_is_answered(fail: Fail, field: &str, message: &str) {
    let (events, _guard) = Events::record();
    let client = TestClient::new(CatchLayer::new().layer(FlakyReady { fail: Some(fail) }));
    client.get("/").expect_status(500).await;
    let event = events.single();
    assert_eq!(event.field("phase"), Some("ready"));
    assert_eq!(event.field(field), Some(message));
}

#[tokio::test]
async fn poll_ready_error_answers_the_next_request_with_500() {
    assert_ready_failure_is_answered(Fail::Error("pool exhausted"), "error", "pool exhausted")
        .await;
}

#[tokio::test]
async fn poll_ready_panic_answers_the_next_request_with_500() {
    assert_ready_failure_is_answered(Fail::Panic("ready panicked"), "panic", "ready panicked")
        .await;
}

#[tokio::test]
async fn service_error_type_is_infallible() {
    fn assert_infallible<S: Service<Request<Body>, Error = Infallible>>(_: &S) {}
    let svc = CatchLayer::new().layer(FlakyReady { fail: None });
    assert_infallible(&svc);
}
