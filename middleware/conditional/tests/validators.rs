//! The ETag the layer computes, and the validators an app sets.

mod common;

use common::{NEW, PAGE, app, frames_app, page_app};
use pastry_conditional::ConditionalLayer;
use pastry_testkit::TestClient;
use tower::Layer;

fn is_strong_hash(etag: &str) -> bool {
    etag.len() == 34
        && etag.starts_with('"')
        && etag.ends_with('"')
        && etag[1..33].bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn a_complete_200_gets_a_strong_etag_and_its_body_unchanged() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let res = client.get("/menu").await;
    res.assert_status(200);
    let etag = res.header("etag").expect("an ETag");
    assert!(is_strong_hash(etag), "{etag}");
    assert_eq!(res.text(), PAGE);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
}

#[tokio::test]
async fn the_same_body_gets_the_same_etag_and_another_body_another() {
    let menu = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let first = menu.get("/").await;
    let second = menu.get("/").await;
    assert_eq!(first.header("etag"), second.header("etag"));
    let other = TestClient::new(ConditionalLayer::new().layer(app(200, &[], "another page")));
    assert_ne!(other.get("/").await.header("etag"), first.header("etag"));
}

#[tokio::test]
async fn the_etag_does_not_depend_on_how_the_body_is_framed() {
    let one = TestClient::new(ConditionalLayer::new().layer(app(200, &[], "soup and bread")));
    let three =
        TestClient::new(ConditionalLayer::new().layer(frames_app(&["soup", " and ", "bread"])));
    let res = three.get("/").await;
    assert_eq!(res.text(), "soup and bread");
    assert_eq!(res.frames().len(), 3, "frames are sent as they came");
    assert_eq!(res.header("etag"), one.get("/").await.header("etag"));
}

#[tokio::test]
async fn an_etag_the_app_set_is_kept() {
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("etag", "W/\"v7\"")], PAGE)));
    let res = client.get("/").await;
    res.assert_header("etag", "W/\"v7\"");
    assert_eq!(res.text(), PAGE);
    assert_eq!(res.header_all("etag").len(), 1);
}

#[tokio::test]
async fn last_modified_the_app_set_is_kept_beside_the_computed_etag() {
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("last-modified", NEW)], PAGE)));
    let res = client.get("/").await;
    res.assert_header("last-modified", NEW);
    assert!(res.header("etag").is_some());
}

#[tokio::test]
async fn only_a_200_gets_an_etag() {
    for status in [201, 203, 404, 500] {
        let client = TestClient::new(ConditionalLayer::new().layer(app(status, &[], PAGE)));
        let res = client.get("/").any_status().await;
        assert_eq!(res.header("etag"), None, "{status}");
        assert_eq!(res.text(), PAGE);
    }
}

#[tokio::test]
async fn only_get_and_head_get_an_etag() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    for res in [
        client.post("/").await,
        client.put("/").await,
        client.delete("/").await,
    ] {
        assert_eq!(res.header("etag"), None);
        assert_eq!(res.text(), PAGE);
    }
}

#[tokio::test]
async fn no_store_responses_get_no_etag_but_their_own_is_honoured() {
    let client = TestClient::new(ConditionalLayer::new().layer(app(
        200,
        &[("cache-control", "private, no-store")],
        PAGE,
    )));
    assert_eq!(client.get("/").await.header("etag"), None);

    let tagged = TestClient::new(ConditionalLayer::new().layer(app(
        200,
        &[("cache-control", "no-store"), ("etag", "\"v1\"")],
        PAGE,
    )));
    tagged
        .get("/")
        .header("if-none-match", "\"v1\"")
        .expect_status(304)
        .await;
}

#[tokio::test]
async fn compute_etags_false_adds_none_and_honours_the_apps() {
    let layer = ConditionalLayer::builder()
        .compute_etags(false)
        .build()
        .unwrap();
    let client = TestClient::new(layer.layer(page_app()));
    assert_eq!(client.get("/").await.header("etag"), None);

    let tagged = TestClient::new(layer.layer(app(200, &[("etag", "\"v1\"")], PAGE)));
    tagged
        .get("/")
        .header("if-none-match", "\"v1\"")
        .expect_status(304)
        .await;
}

#[tokio::test]
async fn an_empty_200_gets_an_etag_too() {
    let client = TestClient::new(ConditionalLayer::new().layer(app(200, &[], "")));
    let res = client.get("/").await;
    let etag = res.header("etag").expect("an ETag").to_owned();
    client
        .get("/")
        .header("if-none-match", etag)
        .expect_status(304)
        .await;
}
