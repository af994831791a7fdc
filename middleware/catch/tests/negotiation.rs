//! The page format follows the request's `Accept`.

use http::Request;
use pastry_catch::CatchLayer;
use pastry_testkit::{Body, TestClient, TestResponse};
use tower::ServiceBuilder;

fn app() -> TestClient {
    let svc = ServiceBuilder::new().layer(CatchLayer::new()).service_fn(
        |_req: Request<Body>| async move {
            panic!("no format today");
            #[allow(unreachable_code)]
            Ok::<http::Response<Body>, std::convert::Infallible>(http::Response::new(Body::empty()))
        },
    );
    TestClient::new(svc)
}

async fn fail_with(accept: Option<&str>) -> TestResponse {
    let mut req = app().get("/").expect_status(500);
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    req.await
}

#[tokio::test]
async fn json_when_accept_prefers_json() {
    for accept in [
        "application/json",
        "application/json, text/html;q=0.9",
        "application/*",
    ] {
        let res = fail_with(Some(accept)).await;
        res.assert_header("content-type", "application/json");
        let value: serde_json::Value = res.json();
        assert_eq!(
            value,
            serde_json::json!({
                "status": 500,
                "error": "Internal Server Error",
                "id": res.header("x-error-id").unwrap(),
            }),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn plain_text_when_accept_prefers_text_plain() {
    for accept in [
        "text/plain",
        "text/plain, text/html;q=0.5",
        "text/*;q=0.9, text/html;q=0.1",
    ] {
        let res = fail_with(Some(accept)).await;
        res.assert_header("content-type", "text/plain; charset=utf-8");
        let id = res.header("x-error-id").unwrap();
        assert_eq!(
            res.text(),
            format!("500 Internal Server Error\nError id: {id}\n"),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn html_otherwise() {
    let accepts = [
        None,
        Some("*/*"),
        Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        Some("text/html, application/json"),
        Some("image/png"),
        Some("application/json;q=nonsense"),
    ];
    for accept in accepts {
        let res = fail_with(accept).await;
        res.assert_header("content-type", "text/html; charset=utf-8");
        assert!(res.text().starts_with("<!DOCTYPE html>"), "{accept:?}");
    }
}

#[tokio::test]
async fn error_pages_vary_on_accept() {
    fail_with(None).await.assert_header("vary", "accept");
}
