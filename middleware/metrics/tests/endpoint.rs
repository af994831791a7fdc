//! The scrape target: the registry as Prometheus text, GET and HEAD only.

use std::convert::Infallible;

use http::{Request, Response};
use pastry_metrics::{MetricsHandle, MetricsLayer};
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, service_fn};

#[tokio::test(flavor = "current_thread")]
async fn the_endpoint_answers_the_prometheus_text_format() {
    let handle = MetricsHandle::new();
    let app = ServiceBuilder::new()
        .layer(MetricsLayer::new(&handle).mount("app"))
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(String::from("hi")))
        }));
    TestClient::new(app).get("/").await;

    let scrape = TestClient::new(handle.endpoint());
    let res = scrape.get("/metrics").await;
    res.assert_status(200)
        .assert_header("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .assert_header("cache-control", "no-store")
        .assert_text_contains("# TYPE pastry_http_requests_total counter")
        .assert_text_contains("# HELP pastry_http_requests_total")
        .assert_text_contains("# TYPE pastry_http_request_duration_seconds histogram")
        .assert_text_contains(
            r#"pastry_http_requests_total{mount="app",method="GET",status="2xx"} 1"#,
        );

    let head = scrape.head("/metrics").await;
    head.assert_status(200);
    assert!(head.bytes().is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn the_endpoint_refuses_other_methods() {
    let scrape = TestClient::new(MetricsHandle::new().endpoint());
    scrape
        .post("/metrics")
        .expect_status(405)
        .await
        .assert_header("allow", "GET, HEAD");
}
