//! Responses that are never compressed pass through untouched.

mod common;

use common::{Answer, app, page};
use pastry_gzip::GzipLayer;
use pastry_testkit::TestClient;
use tower::Layer;

async fn fetch(answer: Answer, layer: GzipLayer) -> pastry_testkit::TestResponse {
    let client = TestClient::new(layer.layer(app(answer.clone())));
    let res = client
        .get("/")
        .header("accept-encoding", "gzip")
        .expect_status(answer.status)
        .await;
    assert!(
        res.header("content-encoding") != Some("gzip"),
        "not compressed"
    );
    res
}

#[tokio::test]
async fn no_content_and_informational_statuses_are_untouched() {
    let res = fetch(Answer::new("text/plain", "").status(204), GzipLayer::new()).await;
    assert!(res.raw_bytes().is_empty());
    assert_eq!(res.header("vary"), None);
}

#[tokio::test]
async fn not_modified_is_not_encoded() {
    let answer = Answer::new("text/html", "")
        .status(304)
        .header("etag", "\"v7\"");
    let res = fetch(answer, GzipLayer::new()).await;
    assert!(res.raw_bytes().is_empty());
    // It stands for the gzip 200: same Vary, same (weakened) validator.
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    assert_eq!(res.header("etag"), Some("W/\"v7\""));
}

#[tokio::test]
async fn already_encoded_responses_are_untouched() {
    // A conforming app that encodes on its own also says Vary.
    let answer = Answer::new("text/html", page())
        .header("content-encoding", "br")
        .header("vary", "Accept-Encoding");
    let res = fetch(answer, GzipLayer::new()).await;
    assert_eq!(res.header("content-encoding"), Some("br"));
    assert_eq!(res.header_all("vary"), ["Accept-Encoding"]);
    assert_eq!(res.raw_bytes(), page());
}

#[tokio::test]
async fn already_encoded_responses_without_vary_get_it() {
    // A precompressed file served as it is (tower-http's ServeDir sends
    // no Vary): the body and every other header stay as the app made them.
    let file = common::codecs::encode(pastry_gzip::Coding::Gzip, page().as_bytes());
    for content_type in ["text/css", "application/octet-stream"] {
        let answer = Answer::new(content_type, file.clone())
            .header("content-encoding", "gzip")
            .header("etag", "\"f\"");
        let client = TestClient::new(GzipLayer::new().layer(app(answer)));
        let res = client.get("/").header("accept-encoding", "gzip").await;
        assert_eq!(res.header("content-encoding"), Some("gzip"));
        assert_eq!(
            res.header("vary"),
            Some("accept-encoding"),
            "{content_type}"
        );
        assert_eq!(res.header("etag"), Some("\"f\""));
        assert_eq!(res.header("content-length"), None);
        assert_eq!(res.raw_bytes(), file);
    }
}

#[tokio::test]
async fn partial_content_and_content_range_are_untouched() {
    let answer = Answer::new("text/plain", page()).status(206).header(
        "content-range",
        format!("bytes 0-{}/99999", page().len() - 1),
    );
    let res = fetch(answer, GzipLayer::new()).await;
    assert_eq!(res.raw_bytes(), page());
    assert_eq!(res.header("vary"), None);
}

#[tokio::test]
async fn no_transform_is_respected() {
    let answer = Answer::html().header("cache-control", "public, no-transform");
    let res = fetch(answer, GzipLayer::new()).await;
    assert_eq!(res.raw_bytes(), page());
}

#[tokio::test]
async fn bodies_below_min_size_are_untouched() {
    let res = fetch(
        Answer::new("text/plain", "tiny").header("content-length", "4"),
        GzipLayer::new(),
    )
    .await;
    assert_eq!(res.raw_bytes(), "tiny");
    assert_eq!(
        res.header("vary"),
        None,
        "the answer does not depend on Accept-Encoding"
    );
    assert_eq!(res.header("content-length"), Some("4"));

    let client = TestClient::new(
        GzipLayer::new()
            .min_size(0)
            .layer(app(Answer::new("text/plain", "tiny"))),
    );
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(
        res.header("content-encoding"),
        Some("gzip"),
        "min_size(0) compresses everything"
    );
    assert_eq!(res.text(), "tiny");
}

#[tokio::test]
async fn incompressible_content_types_are_untouched() {
    for content_type in [
        "image/png",
        "image/jpeg",
        "video/mp4",
        "audio/ogg",
        "font/woff2",
        "application/zip",
        "application/octet-stream",
    ] {
        let res = fetch(Answer::new(content_type, page()), GzipLayer::new()).await;
        assert_eq!(res.raw_bytes(), page(), "{content_type}");
    }
    let mut no_type = Answer::html();
    no_type.headers.clear();
    let res = fetch(no_type, GzipLayer::new()).await;
    assert_eq!(
        res.raw_bytes(),
        page(),
        "a missing Content-Type is not guessed"
    );
}

#[tokio::test]
async fn compressible_content_types_are_compressed() {
    for content_type in [
        "text/css",
        "application/json",
        "application/problem+json",
        "application/xml",
        "image/svg+xml",
        "application/javascript",
        "application/wasm",
    ] {
        let client =
            TestClient::new(GzipLayer::new().layer(app(Answer::new(content_type, page()))));
        let res = client.get("/").header("accept-encoding", "gzip").await;
        assert_eq!(
            res.header("content-encoding"),
            Some("gzip"),
            "{content_type}"
        );
        assert_eq!(res.text(), page());
    }
}

#[tokio::test]
async fn the_predicate_sees_request_and_response() {
    let layer = GzipLayer::new().compress_when(|req, res| {
        req.uri().path() != "/raw" && res.headers.get("x-skip").is_none() && res.status.is_success()
    });
    let client = TestClient::new(layer.layer(app(Answer::new("application/octet-stream", page()))));
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(
        res.header("content-encoding"),
        Some("gzip"),
        "the predicate replaced the type check"
    );
    let res = client.get("/raw").header("accept-encoding", "gzip").await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.raw_bytes(), page());

    let skip = GzipLayer::new().compress_when(|_, res| res.headers.get("x-skip").is_none());
    let client = TestClient::new(skip.layer(app(Answer::html().header("x-skip", "1"))));
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(res.header("content-encoding"), None);
}

#[tokio::test]
async fn the_predicate_cannot_override_http_rules() {
    let layer = GzipLayer::new().compress_when(|_, _| true);
    let answer = Answer::html().header("cache-control", "no-transform");
    let res = fetch(answer, layer).await;
    assert_eq!(res.raw_bytes(), page());
}
