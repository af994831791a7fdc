//! RFC 9110 §13.2.2: which precondition decides, and what the 304 and the
//! 412 carry.

mod common;

use bytes::Bytes;
use common::{NEW, OLD, PAGE, app, page_app};
use http::{Request, StatusCode};
use http_body::Body as _;
use pastry_conditional::ConditionalLayer;
use pastry_testkit::{Body, TestClient};
use tower::{Layer, ServiceExt};

async fn etag_of(client: &TestClient) -> String {
    client
        .get("/")
        .await
        .header("etag")
        .expect("an ETag")
        .to_owned()
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_with_no_body() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let etag = etag_of(&client).await;
    let res = client
        .get("/")
        .header("if-none-match", etag.as_str())
        .expect_status(304)
        .await;
    res.assert_header("etag", &etag);
    assert!(res.raw_bytes().is_empty());
}

#[tokio::test]
async fn if_none_match_compares_weakly_and_reads_lists_and_star() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let etag = etag_of(&client).await;
    let weak = format!("W/{etag}");
    let list = format!("\"stale\", W/\"x,y\" , {weak}");
    for value in [weak.as_str(), list.as_str(), "*"] {
        client
            .get("/")
            .header("if-none-match", value)
            .expect_status(304)
            .await;
    }
    // Over several lines.
    client
        .get("/")
        .header("if-none-match", "\"stale\"")
        .header("if-none-match", weak.as_str())
        .expect_status(304)
        .await;
}

#[tokio::test]
async fn a_stale_if_none_match_gets_the_page() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let res = client
        .get("/")
        .header("if-none-match", "\"stale\", W/\"older\"")
        .expect_status(200)
        .await;
    assert_eq!(res.text(), PAGE);
}

#[tokio::test]
async fn the_304_keeps_the_cache_fields_and_drops_the_content_fields() {
    const HEADERS: &[(&str, &str)] = &[
        ("content-type", "text/html"),
        ("content-language", "en"),
        ("cache-control", "max-age=60"),
        ("content-location", "/menu.html"),
        ("date", NEW),
        ("expires", NEW),
        ("vary", "cookie"),
        ("set-cookie", "seen=1"),
        ("last-modified", OLD),
        ("x-frame-options", "DENY"),
    ];
    let client = TestClient::new(ConditionalLayer::new().layer(app(200, HEADERS, PAGE)));
    let etag = etag_of(&client).await;
    let res = client
        .get("/")
        .header("if-none-match", etag.as_str())
        .expect_status(304)
        .await;
    for (name, value) in [
        ("etag", etag.as_str()),
        ("cache-control", "max-age=60"),
        ("content-location", "/menu.html"),
        ("date", NEW),
        ("expires", NEW),
        ("vary", "cookie"),
        ("set-cookie", "seen=1"),
        ("x-frame-options", "DENY"),
    ] {
        res.assert_header(name, value);
    }
    for name in [
        "content-type",
        "content-length",
        "content-language",
        "last-modified",
    ] {
        res.assert_no_header(name);
    }
}

#[tokio::test]
async fn the_304_keeps_last_modified_when_it_has_no_etag_and_drops_content_encoding() {
    let layer = ConditionalLayer::builder()
        .compute_etags(false)
        .build()
        .unwrap();
    let client = TestClient::new(layer.layer(app(
        200,
        &[("last-modified", OLD), ("content-encoding", "identity")],
        PAGE,
    )));
    let res = client
        .get("/")
        .header("if-modified-since", OLD)
        .expect_status(304)
        .await;
    res.assert_header("last-modified", OLD);
    res.assert_no_header("content-encoding");
}

#[tokio::test]
async fn the_304_body_is_empty_with_an_exact_size_hint_of_zero() {
    let service = ConditionalLayer::new().layer(app(
        200,
        &[("etag", "\"v1\""), ("content-length", "54")],
        PAGE,
    ));
    let req = Request::get("/")
        .header("if-none-match", "\"v1\"")
        .body(Body::empty())
        .unwrap();
    let res = service.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.body().size_hint().exact(), Some(0));
    assert!(res.body().is_end_stream());
}

#[tokio::test]
async fn if_none_match_wins_over_if_modified_since() {
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("last-modified", OLD)], PAGE)));
    // Not modified by date, but the tag differs: the page.
    let res = client
        .get("/")
        .header("if-none-match", "\"stale\"")
        .header("if-modified-since", NEW)
        .expect_status(200)
        .await;
    assert_eq!(res.text(), PAGE);
    // The tag matches, the date says modified: 304.
    let etag = etag_of(&client).await;
    client
        .get("/")
        .header("if-none-match", etag.as_str())
        .header("if-modified-since", "Sat, 05 Nov 1994 08:49:37 GMT")
        .expect_status(304)
        .await;
}

#[tokio::test]
async fn if_modified_since_compares_with_the_apps_last_modified() {
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("last-modified", OLD)], PAGE)));
    for since in [
        OLD,
        NEW,
        "Monday, 07-Nov-94 08:49:37 GMT",
        "Mon Nov  7 08:49:37 1994",
    ] {
        client
            .get("/")
            .header("if-modified-since", since)
            .expect_status(304)
            .await;
    }
    client
        .get("/")
        .header("if-modified-since", "Sat, 05 Nov 1994 08:49:37 GMT")
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn an_invalid_or_unanchored_if_modified_since_is_ignored() {
    let dated =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("last-modified", OLD)], PAGE)));
    for since in [
        "yesterday",
        "",
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
    ] {
        dated
            .get("/")
            .header("if-modified-since", since)
            .expect_status(200)
            .await;
    }
    dated
        .get("/")
        .header("if-modified-since", NEW)
        .header("if-modified-since", NEW)
        .expect_status(200)
        .await;
    // No Last-Modified from the app: nothing to compare with.
    let undated = TestClient::new(ConditionalLayer::new().layer(page_app()));
    undated
        .get("/")
        .header("if-modified-since", NEW)
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn a_malformed_if_none_match_is_absent_so_if_modified_since_decides() {
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("last-modified", OLD)], PAGE)));
    client
        .get("/")
        .header("if-none-match", "not-a-tag")
        .header("if-modified-since", NEW)
        .expect_status(304)
        .await;
    client
        .get("/")
        .header("if-none-match", "*, \"a\"")
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn a_failed_if_match_on_get_is_412_without_the_pages_cache_fields() {
    let client = TestClient::new(ConditionalLayer::new().layer(app(
        200,
        &[
            ("cache-control", "public, max-age=3600"),
            ("set-cookie", "seen=1"),
            ("vary", "cookie"),
        ],
        PAGE,
    )));
    let res = client
        .get("/")
        .header("if-match", "\"stale\"")
        .expect_status(412)
        .await;
    assert_eq!(res.text(), "412 Precondition Failed\n");
    res.assert_header("content-type", "text/plain; charset=utf-8");
    res.assert_no_header("cache-control");
    res.assert_no_header("etag");
    res.assert_header("set-cookie", "seen=1");
    res.assert_header("vary", "cookie");
}

#[tokio::test]
async fn if_match_compares_strongly() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let etag = etag_of(&client).await;
    client
        .get("/")
        .header("if-match", etag.as_str())
        .expect_status(200)
        .await;
    client
        .get("/")
        .header("if-match", "*")
        .expect_status(200)
        .await;
    client
        .get("/")
        .header("if-match", format!("W/{etag}"))
        .expect_status(412)
        .await;
}

#[tokio::test]
async fn if_match_comes_before_if_none_match() {
    let client = TestClient::new(ConditionalLayer::new().layer(page_app()));
    let etag = etag_of(&client).await;
    client
        .get("/")
        .header("if-match", "\"stale\"")
        .header("if-none-match", etag.as_str())
        .expect_status(412)
        .await;
    client
        .get("/")
        .header("if-match", etag.as_str())
        .header("if-none-match", etag.as_str())
        .expect_status(304)
        .await;
}

#[tokio::test]
async fn if_unmodified_since_fails_when_modified_later_unless_if_match_is_there() {
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(200, &[("last-modified", NEW)], PAGE)));
    client
        .get("/")
        .header("if-unmodified-since", OLD)
        .expect_status(412)
        .await;
    client
        .get("/")
        .header("if-unmodified-since", NEW)
        .expect_status(200)
        .await;
    let etag = etag_of(&client).await;
    client
        .get("/")
        .header("if-match", etag.as_str())
        .header("if-unmodified-since", OLD)
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn unsafe_methods_reach_the_app_with_their_preconditions_untouched() {
    let client = TestClient::new(ConditionalLayer::new().layer(app(
        200,
        &[("etag", "\"v2\""), ("last-modified", NEW)],
        "saved",
    )));
    for method in [
        http::Method::PUT,
        http::Method::POST,
        http::Method::DELETE,
        http::Method::PATCH,
    ] {
        let res = client
            .request(method.clone(), "/")
            .header("if-match", "\"v1\"")
            .header("if-unmodified-since", OLD)
            .header("if-none-match", "*")
            .expect_status(200)
            .await;
        assert_eq!(res.text(), "saved", "{method}");
    }
}

#[tokio::test]
async fn an_apps_own_304_and_other_statuses_pass_untouched() {
    let client =
        TestClient::new(ConditionalLayer::new().layer(app(304, &[("etag", "\"v1\"")], "")));
    let res = client
        .get("/")
        .header("if-none-match", "\"other\"")
        .expect_status(304)
        .await;
    res.assert_header("etag", "\"v1\"");
    let missing =
        TestClient::new(ConditionalLayer::new().layer(app(404, &[("etag", "\"v1\"")], "gone")));
    let res = missing
        .get("/")
        .header("if-none-match", "\"v1\"")
        .expect_status(404)
        .await;
    assert_eq!(res.text(), "gone");
}

#[tokio::test]
async fn a_body_error_while_hashing_reaches_the_client_after_the_frames_read() {
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    struct Failing(VecDeque<Bytes>);
    impl http_body::Body for Failing {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            Poll::Ready(Some(match self.0.pop_front() {
                Some(data) => Ok(http_body::Frame::data(data)),
                None => Err(std::io::Error::other("disk gone")),
            }))
        }
        fn size_hint(&self) -> http_body::SizeHint {
            http_body::SizeHint::with_exact(10)
        }
    }
    let app = tower::service_fn(|_req: Request<Body>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(Failing(VecDeque::from([
            Bytes::from("half"),
        ]))))
    });
    let client = TestClient::new(ConditionalLayer::new().layer(app));
    let err = client.get("/").try_send().await.unwrap_err();
    assert!(err.to_string().contains("disk gone"), "{err}");
}
