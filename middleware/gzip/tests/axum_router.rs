//! Wrapping an axum `Router`.

use axum::Router;
use axum::routing::get;
use pastry_gzip::{GunzipRequestsLayer, GzipLayer};
use pastry_testkit::TestClient;
use tower::ServiceBuilder;

fn list() -> String {
    (0..300).map(|i| format!("{{\"id\":{i}}},")).collect()
}

fn router() -> Router {
    Router::new()
        .route(
            "/items",
            get(|| async {
                (
                    [("content-type", "application/json")],
                    format!("[{}]", list().trim_end_matches(',')),
                )
            }),
        )
        .route(
            "/echo",
            axum::routing::post(|body: String| async move { body }),
        )
}

#[tokio::test]
async fn wraps_an_axum_router() {
    let client = TestClient::new(router().layer(GzipLayer::new()));
    let res = client.get("/items").header("accept-encoding", "gzip").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    let items: Vec<serde_json::Value> = res.json();
    assert_eq!(items.len(), 300);
    assert!(res.raw_bytes().len() < res.bytes().len() / 4);
}

#[tokio::test]
async fn wraps_an_axum_router_with_request_decompression() {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(list().as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let layers = ServiceBuilder::new()
        .layer(GzipLayer::new())
        .layer(GunzipRequestsLayer::new(1 << 20));
    let client = TestClient::new(router().layer(layers));
    let res = client
        .post("/echo")
        .header("content-encoding", "gzip")
        .body(gz)
        .await;
    assert_eq!(
        res.header("content-encoding"),
        None,
        "the client did not ask for gzip"
    );
    assert_eq!(res.text(), list());
}
