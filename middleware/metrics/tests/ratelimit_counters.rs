//! `pastry-ratelimit` with its `metrics` feature: each 429 counted by
//! backend, and the requests it lets through not.

mod common;

use std::time::Duration;

use http::{Request, Response};
use pastry_metrics::MetricsHandle;
use pastry_ratelimit::{Policy, RateLimitLayer};
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, service_fn};

use common::value;

#[tokio::test(flavor = "current_thread")]
async fn each_refused_request_is_counted_by_backend() {
    let handle = MetricsHandle::new();
    let _recorder = metrics::set_default_local_recorder(handle.recorder());
    let limit = RateLimitLayer::builder(Policy::new(2, Duration::from_secs(60)))
        .build()
        .unwrap();
    let app = ServiceBuilder::new()
        .layer(limit)
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(Response::new(String::from("fine")))
        }));
    let client = TestClient::new(app);
    for _ in 0..2 {
        client
            .get("/")
            .client_addr(([192, 0, 2, 1], 4000).into())
            .expect_status(200)
            .await;
    }
    for _ in 0..3 {
        client
            .get("/")
            .client_addr(([192, 0, 2, 1], 4000).into())
            .expect_status(429)
            .await;
    }
    let text = handle.render();
    assert_eq!(
        value(&text, r#"pastry_ratelimit_limited_total{backend="memory"}"#),
        Some(3.0),
        "{text}"
    );
}
