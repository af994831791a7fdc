//! The skip rules and header rules hold for every coding: what gzip leaves
//! alone, br and zstd leave alone; what gzip marks, they mark the same way.

mod common;

use common::codecs::{codings, decode};
use common::{Answer, app, page};
use pastry_gzip::Coding;
use pastry_testkit::{TestClient, TestResponse};
use tower::Layer;

async fn fetch(coding: Coding, answer: Answer) -> TestResponse {
    TestClient::new(common::every_coding().layer(app(answer.clone())))
        .get("/")
        .header("accept-encoding", coding.as_str())
        .expect_status(answer.status)
        .await
}

/// `answer` passes with no coding and its body as the app made it.
async fn untouched(coding: Coding, answer: Answer) -> TestResponse {
    let res = fetch(coding, answer.clone()).await;
    let expected = answer
        .headers
        .iter()
        .find(|(name, _)| *name == "content-encoding")
        .map(|(_, value)| value.as_str());
    assert_eq!(res.header("content-encoding"), expected, "{coding}");
    assert_eq!(res.raw_bytes(), answer.body, "{coding}");
    res
}

#[tokio::test]
async fn small_known_bodies_are_sent_as_they_are_without_vary() {
    for coding in codings() {
        let res = untouched(coding, Answer::new("text/plain", "x".repeat(255))).await;
        assert_eq!(res.header("vary"), None);
    }
}

#[tokio::test]
async fn incompressible_types_are_untouched() {
    for coding in codings() {
        for content_type in ["image/png", "application/octet-stream", "font/woff2"] {
            let res = untouched(coding, Answer::new(content_type, page())).await;
            assert_eq!(res.header("vary"), None, "{coding} {content_type}");
        }
    }
}

#[tokio::test]
async fn already_encoded_responses_are_untouched() {
    for coding in codings() {
        // A conforming app that encodes on its own also says Vary.
        let gz = common::codecs::encode(Coding::Gzip, page().as_bytes());
        let answer = Answer::new("text/html", gz)
            .header("content-encoding", "gzip")
            .header("vary", "Accept-Encoding");
        let res = untouched(coding, answer).await;
        assert_eq!(res.header_all("vary"), ["Accept-Encoding"]);
    }
}

#[tokio::test]
async fn no_transform_is_honoured() {
    for coding in codings() {
        let answer = Answer::html().header("cache-control", "public, no-transform");
        untouched(coding, answer).await;
    }
}

#[tokio::test]
async fn partial_content_and_content_range_are_untouched() {
    for coding in codings() {
        let range = format!("bytes 0-{}/99999", page().len() - 1);
        untouched(
            coding,
            Answer::new("text/plain", page())
                .status(206)
                .header("content-range", range.clone()),
        )
        .await;
        untouched(
            coding,
            Answer::new("text/plain", page()).header("content-range", range),
        )
        .await;
    }
}

#[tokio::test]
async fn compressed_answers_get_vary_a_weak_etag_no_ranges_and_an_exact_length() {
    for coding in codings() {
        let answer = Answer::html()
            .header("etag", "\"v1\"")
            .header("accept-ranges", "bytes")
            .header("content-length", page().len().to_string());
        let res = fetch(coding, answer).await;
        assert_eq!(res.header("content-encoding"), Some(coding.as_str()));
        assert_eq!(res.header("vary"), Some("accept-encoding"));
        assert_eq!(res.header("etag"), Some("W/\"v1\""));
        assert_eq!(res.header("accept-ranges"), None);
        let bytes = res.raw_bytes();
        assert_eq!(
            res.header("content-length"),
            Some(bytes.len().to_string().as_str()),
            "{coding}"
        );
        assert_eq!(decode(coding, &bytes), page().as_bytes());
    }
}

#[tokio::test]
async fn head_gets_the_coding_and_no_length() {
    for coding in codings() {
        let res = TestClient::new(common::every_coding().layer(app(Answer::html())))
            .head("/")
            .header("accept-encoding", coding.as_str())
            .await;
        assert_eq!(res.header("content-encoding"), Some(coding.as_str()));
        assert_eq!(res.header("vary"), Some("accept-encoding"));
        assert_eq!(res.header("content-length"), None);
        assert!(res.raw_bytes().is_empty());
    }
}

#[tokio::test]
async fn not_modified_carries_vary_and_the_weak_etag() {
    for coding in codings() {
        let answer = Answer::new("text/html", "")
            .status(304)
            .header("etag", "\"v7\"");
        let res = untouched(coding, answer).await;
        assert_eq!(res.header("vary"), Some("accept-encoding"));
        assert_eq!(res.header("etag"), Some("W/\"v7\""));
    }
}

#[tokio::test]
async fn a_predicate_decides_for_every_coding() {
    for coding in codings() {
        let layer =
            common::every_coding().compress_when(|req, _res| !req.uri().path().starts_with("/raw"));
        let client = TestClient::new(layer.layer(app(Answer::new("image/png", page()))));
        let res = client
            .get("/raw/x")
            .header("accept-encoding", coding.as_str())
            .await;
        assert_eq!(res.header("content-encoding"), None);
        let res = client
            .get("/page")
            .header("accept-encoding", coding.as_str())
            .await;
        assert_eq!(res.header("content-encoding"), Some(coding.as_str()));
    }
}
