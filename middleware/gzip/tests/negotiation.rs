//! Accept-Encoding negotiation (RFC 9110 section 12.5.3).

mod common;

use common::{Answer, app, page};
use pastry_gzip::GzipLayer;
use pastry_testkit::TestClient;
use tower::Layer;

fn client() -> TestClient {
    TestClient::new(GzipLayer::new().layer(app(Answer::html())))
}

async fn encoding_for(accept: &[&str]) -> Option<String> {
    let client = client();
    let mut req = client.get("/");
    for value in accept {
        req = req.header("accept-encoding", *value);
    }
    let res = req.await;
    assert_eq!(
        res.text(),
        page(),
        "the body decodes to the page either way"
    );
    assert_eq!(
        res.header("vary"),
        Some("accept-encoding"),
        "identity answers vary too"
    );
    res.header("content-encoding").map(str::to_owned)
}

#[tokio::test]
async fn gzip_is_used_when_accepted() {
    assert_eq!(encoding_for(&["gzip"]).await.as_deref(), Some("gzip"));
    assert_eq!(
        encoding_for(&["br;q=1, gzip;q=0.1"]).await.as_deref(),
        Some("gzip")
    );
}

#[tokio::test]
async fn gzip_q0_refuses_gzip() {
    assert_eq!(encoding_for(&["gzip;q=0"]).await, None);
    assert_eq!(encoding_for(&["gzip;q=0.000, *;q=1"]).await, None);
}

#[tokio::test]
async fn wildcard_covers_gzip_when_not_listed() {
    assert_eq!(encoding_for(&["*"]).await.as_deref(), Some("gzip"));
    assert_eq!(
        encoding_for(&["br, *;q=0.5"]).await.as_deref(),
        Some("gzip")
    );
    assert_eq!(encoding_for(&["*;q=0"]).await, None);
}

#[tokio::test]
async fn x_gzip_means_gzip() {
    assert_eq!(encoding_for(&["x-gzip"]).await.as_deref(), Some("gzip"));
}

#[tokio::test]
async fn several_accept_encoding_headers_are_combined() {
    assert_eq!(encoding_for(&["br", "gzip"]).await.as_deref(), Some("gzip"));
    assert_eq!(encoding_for(&["*", "gzip;q=0"]).await, None);
}

#[tokio::test]
async fn empty_or_missing_header_means_identity() {
    assert_eq!(encoding_for(&[""]).await, None);
    assert_eq!(encoding_for(&[]).await, None);
}

#[tokio::test]
async fn nothing_acceptable_is_identity_not_406() {
    assert_eq!(encoding_for(&["br, identity;q=0"]).await, None);
}

#[tokio::test]
async fn malformed_items_are_ignored() {
    assert_eq!(
        encoding_for(&["gzip;q=2, *"]).await.as_deref(),
        Some("gzip"),
        "bad gzip item skipped, * applies"
    );
    assert_eq!(encoding_for(&["gzip;q=nope"]).await, None);
    assert_eq!(encoding_for(&[",,;, gzip"]).await.as_deref(), Some("gzip"));
}
