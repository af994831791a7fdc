//! `pastry-catch` with its `metrics` feature: each caught panic counted.

mod common;

use http::{Request, Response};
use pastry_catch::CatchLayer;
use pastry_metrics::{MetricsHandle, MetricsLayer};
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, service_fn};

use common::value;

#[tokio::test(flavor = "current_thread")]
async fn caught_panics_are_counted_and_answered_as_5xx() {
    let handle = MetricsHandle::new();
    let _recorder = metrics::set_default_local_recorder(handle.recorder());
    let app = ServiceBuilder::new()
        .layer(MetricsLayer::new(&handle).mount("app"))
        .layer(CatchLayer::new())
        .service(service_fn(|req: Request<Body>| async move {
            if req.uri().path() == "/boom" {
                panic!("boom");
            }
            Ok::<_, std::convert::Infallible>(Response::new(String::from("fine")))
        }));
    let client = TestClient::new(app);
    client.get("/boom").expect_status(500).await;
    client.get("/boom").expect_status(500).await;
    client.get("/fine").await;

    let text = handle.render();
    assert_eq!(
        value(&text, "pastry_catch_panics_total"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"pastry_http_requests_total{mount="app",method="GET",status="5xx"}"#
        ),
        Some(2.0)
    );
}
