//! `pastry-gzip` with its `metrics` feature: bytes into and out of the
//! compressor, whose ratio is the compression ratio.

mod common;

use std::convert::Infallible;

use http::{Request, Response, header};
use pastry_gzip::GzipLayer;
use pastry_metrics::MetricsHandle;
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, service_fn};

use common::value;

#[tokio::test(flavor = "current_thread")]
async fn bytes_before_and_after_compression_are_counted() {
    let handle = MetricsHandle::new();
    let _recorder = metrics::set_default_local_recorder(handle.recorder());
    let page = "all work and no play makes a dull page\n".repeat(100);
    let len = page.len();
    let app = ServiceBuilder::new()
        .layer(GzipLayer::new())
        .service(service_fn(move |_req: Request<Body>| {
            let page = page.clone();
            async move {
                let mut res = Response::new(page);
                res.headers_mut()
                    .insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
                Ok::<_, Infallible>(res)
            }
        }));
    let res = TestClient::new(app)
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    res.assert_header("content-encoding", "gzip");
    let sent = res.raw_bytes().len();

    let text = handle.render();
    let bytes_in = value(&text, r#"pastry_gzip_bytes_in_total{coding="gzip"}"#).unwrap();
    let bytes_out = value(&text, r#"pastry_gzip_bytes_out_total{coding="gzip"}"#).unwrap();
    assert_eq!(bytes_in, len as f64, "{text}");
    assert_eq!(bytes_out, sent as f64);
    assert!(
        bytes_in / bytes_out > 10.0,
        "a repetitive page compresses well"
    );
}
