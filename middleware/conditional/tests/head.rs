//! `HEAD`: the same ETag as `GET` when the app sends the content, the
//! app's own validators otherwise, and never a body.

mod common;

use common::{PAGE, app, page_app};
use pastry_conditional::ConditionalLayer;
use pastry_testkit::TestClient;
use tower::Layer;

#[tokio::test]
async fn head_to_an_app_sending_the_content_gets_the_get_etag_and_no_body() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let get = client.get("/").await;
    let head = client.head("/").await;
    assert_eq!(head.header("etag"), get.header("etag"));
    assert!(head.raw_bytes().is_empty());
    head.assert_header("content-length", &PAGE.len().to_string());
    head.assert_header("content-type", "text/html; charset=utf-8");
}

#[tokio::test]
async fn head_with_a_matching_if_none_match_gets_304() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let etag = client.get("/").await.header("etag").unwrap().to_owned();
    let res = client
        .head("/")
        .header("if-none-match", etag.as_str())
        .expect_status(304)
        .await;
    res.assert_header("etag", &etag);
    res.assert_no_header("content-length");
}

#[tokio::test]
async fn head_to_an_app_that_emptied_its_body_gets_no_invented_etag() {
    // As axum answers HEAD: the GET's length, no body.
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("content-length", "54")], "")));
    let res = client.head("/").await;
    assert_eq!(res.header("etag"), None);
    res.assert_header("content-length", "54");
    // An empty body without a declared length could be either: left alone.
    let unknown = TestClient::new(ConditionalLayer::new().layer(app(200, &[], "")));
    assert_eq!(unknown.head("/").await.header("etag"), None);
}

#[tokio::test]
async fn head_uses_the_apps_own_etag_and_last_modified() {
    let client = TestClient::new(ConditionalLayer::new().layer(app(
        200,
        &[
            ("content-length", "54"),
            ("etag", "\"v3\""),
            ("last-modified", common::OLD),
        ],
        "",
    )));
    client
        .head("/")
        .header("if-none-match", "\"v3\"")
        .expect_status(304)
        .await;
    client
        .head("/")
        .header("if-modified-since", common::OLD)
        .expect_status(304)
        .await;
    client
        .head("/")
        .header("if-none-match", "\"v2\"")
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn head_412_has_the_length_of_the_text_but_no_body() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let res = client
        .head("/")
        .header("if-match", "\"stale\"")
        .expect_status(412)
        .await;
    assert!(res.raw_bytes().is_empty());
    res.assert_header(
        "content-length",
        &"412 Precondition Failed\n".len().to_string(),
    );
}
