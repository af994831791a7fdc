//! Every `Validate` rule fires on a broken app and stays quiet on a correct
//! one.

use std::convert::Infallible;
use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::StreamBody;
use pastry_testkit::{Body, RequestBuilder, Rule, TestClient, ValidateLayer};

/// A client for an app that always answers what `make` builds.
fn answering<B, F>(make: F) -> TestClient
where
    F: Fn() -> Response<B> + Clone + Send + Sync + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<pastry_core::BoxError>,
{
    TestClient::new(tower::service_fn(move |_req: Request<Body>| {
        let res = make();
        async move { Ok::<_, Infallible>(res) }
    }))
}

fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response<Body> {
    let mut res = Response::builder().status(status);
    for (k, v) in headers {
        res = res.header(*k, *v);
    }
    res.body(body.into()).unwrap()
}

/// The rule a request breaks.
async fn broken(req: RequestBuilder) -> Rule {
    let err = req.any_status().try_send().await.unwrap_err();
    match err.violation() {
        Some(v) => v.rule(),
        None => panic!("expected a violation, got {err}"),
    }
}

/// The request passes validation.
async fn passes(req: RequestBuilder) {
    if let Err(e) = req.any_status().try_send().await {
        panic!("expected no violation, got {e}");
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn final_status_1xx_fires() {
    let c = answering(|| respond(103, &[], ()));
    assert_eq!(broken(c.get("/")).await, Rule::FinalStatus);
    let c = answering(|| respond(101, &[("upgrade", "websocket")], ()));
    assert_eq!(broken(c.get("/")).await, Rule::FinalStatus);
}

#[tokio::test]
async fn switching_protocols_after_an_upgrade_request_passes() {
    let c = answering(|| respond(101, &[("upgrade", "websocket")], ()));
    passes(
        c.get("/")
            .header("upgrade", "websocket")
            .header("connection", "upgrade"),
    )
    .await;
}

#[tokio::test]
async fn body_on_head_204_and_304_fires() {
    let c = answering(|| respond(200, &[], "page"));
    assert_eq!(broken(c.head("/")).await, Rule::NoBody);
    let c = answering(|| respond(204, &[], "oops"));
    assert_eq!(broken(c.get("/")).await, Rule::NoBody);
    let c = answering(|| respond(304, &[], "oops"));
    assert_eq!(broken(c.get("/")).await, Rule::NoBody);
}

#[tokio::test]
async fn head_and_304_may_announce_the_get_length() {
    let c = answering(|| respond(200, &[("content-length", "4")], ()));
    passes(c.head("/")).await;
    let c = answering(|| respond(304, &[("content-length", "4"), ("etag", "\"x\"")], ()));
    passes(c.get("/")).await;
    let c = answering(|| respond(204, &[], ()));
    passes(c.get("/")).await;
}

#[tokio::test]
async fn content_length_on_204_fires() {
    let c = answering(|| respond(204, &[("content-length", "0")], ()));
    assert_eq!(broken(c.delete("/x")).await, Rule::NoContentLengthOn204);
}

#[tokio::test]
async fn malformed_content_length_fires() {
    for bad in ["abc", "-1", "1,1", " "] {
        let c = answering(move || respond(200, &[("content-length", bad)], "a"));
        assert_eq!(
            broken(c.get("/")).await,
            Rule::ContentLengthSyntax,
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn content_length_shorter_or_longer_than_the_body_fires() {
    let c = answering(|| respond(200, &[("content-length", "10")], "abc"));
    assert_eq!(broken(c.get("/")).await, Rule::ContentLengthMatchesBody);
    let c = answering(|| {
        let mut res = Response::new(Body::chunks(["ab", "cd", "ef"]));
        res.headers_mut()
            .insert("content-length", "3".parse().unwrap());
        res
    });
    assert_eq!(broken(c.get("/")).await, Rule::ContentLengthMatchesBody);
}

#[tokio::test]
async fn content_length_equal_to_the_body_passes() {
    let c = answering(|| {
        let mut res = Response::new(Body::chunks(["ab", "cd"]));
        res.headers_mut()
            .insert("content-length", "4".parse().unwrap());
        res
    });
    passes(c.get("/")).await;
}

#[tokio::test]
async fn content_length_with_transfer_encoding_fires() {
    let c = answering(|| {
        respond(
            200,
            &[("content-length", "1"), ("transfer-encoding", "chunked")],
            "a",
        )
    });
    assert_eq!(
        broken(c.get("/")).await,
        Rule::ContentLengthWithTransferEncoding
    );
}

#[tokio::test]
async fn repeated_single_valued_header_fires() {
    for name in [
        "content-type",
        "content-length",
        "location",
        "content-encoding",
    ] {
        let c = answering(move || respond(200, &[(name, "1"), (name, "1")], ()));
        let req = c.get("/");
        let rule = broken(req).await;
        assert_eq!(rule, Rule::SingleValuedHeader, "{name}");
    }
}

#[tokio::test]
async fn body_that_is_not_gzip_fires() {
    let c = answering(|| respond(200, &[("content-encoding", "gzip")], "plain text"));
    assert_eq!(broken(c.get("/")).await, Rule::GzipDecodes);
}

#[tokio::test]
async fn truncated_gzip_fires() {
    let c = answering(|| {
        let mut data = gzip(b"hello hello hello");
        data.truncate(data.len() - 4);
        respond(200, &[("content-encoding", "gzip")], data)
    });
    assert_eq!(broken(c.get("/")).await, Rule::GzipDecodes);
}

#[tokio::test]
async fn real_gzip_in_several_frames_passes() {
    let c = answering(|| {
        let data = gzip(b"hello hello hello");
        let (a, b) = data.split_at(7);
        let mut res = Response::new(Body::chunks([a.to_vec(), b.to_vec()]));
        res.headers_mut()
            .insert("content-encoding", "gzip".parse().unwrap());
        res
    });
    assert_eq!(c.get("/").await.text(), "hello hello hello");
}

#[tokio::test]
async fn negotiated_encoding_without_vary_fires() {
    let c = answering(|| respond(200, &[("content-encoding", "gzip")], gzip(b"x")));
    assert_eq!(
        broken(c.get("/").header("accept-encoding", "gzip, br")).await,
        Rule::VaryAcceptEncoding
    );
}

#[tokio::test]
async fn negotiated_encoding_with_vary_passes() {
    for vary in ["Accept-Encoding", "cookie, accept-encoding", "*"] {
        let c = answering(move || {
            respond(
                200,
                &[("content-encoding", "gzip"), ("vary", vary)],
                gzip(b"x"),
            )
        });
        passes(c.get("/").header("accept-encoding", "gzip")).await;
    }
    // Without Accept-Encoding nothing was negotiated.
    let c = answering(|| respond(200, &[("content-encoding", "gzip")], gzip(b"x")));
    passes(c.get("/")).await;
}

#[tokio::test]
async fn unparsable_set_cookie_fires() {
    for bad in ["novalue", "=x", ";"] {
        let c = answering(move || respond(200, &[("set-cookie", bad)], ()));
        assert_eq!(broken(c.get("/")).await, Rule::SetCookieParses, "{bad:?}");
    }
    let c = answering(|| respond(200, &[("set-cookie", "a=1; Path=/; HttpOnly")], ()));
    passes(c.get("/")).await;
}

#[tokio::test]
async fn invalid_location_fires() {
    for bad in ["/with space", "/%zz", "/caf\u{e9}"] {
        let c = answering(move || {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::FOUND;
            res.headers_mut().insert(
                "location",
                http::HeaderValue::from_bytes(bad.as_bytes()).unwrap(),
            );
            res
        });
        assert_eq!(broken(c.get("/")).await, Rule::LocationSyntax, "{bad:?}");
    }
    let c = answering(|| respond(302, &[("location", "../up?x=%20#frag")], ()));
    passes(c.get("/a/b")).await;
}

#[tokio::test(start_paused = true)]
async fn response_that_never_arrives_fires() {
    let app = tower::service_fn(|_req: Request<Body>| {
        std::future::pending::<Result<Response<Body>, Infallible>>()
    });
    let client = TestClient::new(app);
    assert_eq!(broken(client.get("/")).await, Rule::ResponseTimeout);
}

#[tokio::test(start_paused = true)]
async fn body_that_never_ends_fires() {
    let c = answering(|| {
        let frames = futures_util::stream::pending::<Result<http_body::Frame<Bytes>, Infallible>>();
        Response::new(StreamBody::new(frames))
    });
    assert_eq!(broken(c.get("/")).await, Rule::BodyTimeout);
}

#[tokio::test(start_paused = true)]
async fn time_limit_is_configurable() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        Ok::<_, Infallible>(Response::new(Body::from("late")))
    });
    let strict =
        TestClient::new(app).validate(ValidateLayer::new().timeout(Duration::from_secs(2)));
    assert_eq!(broken(strict.get("/")).await, Rule::ResponseTimeout);
    let patient = strict
        .clone()
        .validate(ValidateLayer::new().timeout(Duration::from_secs(4)));
    passes(patient.get("/")).await;
    let unlimited = strict.validate(ValidateLayer::new().no_timeout());
    passes(unlimited.get("/")).await;
}

#[tokio::test]
async fn skipped_rule_does_not_fire() {
    let c = answering(|| respond(204, &[("content-length", "0")], ()))
        .validate(ValidateLayer::new().skip(Rule::NoContentLengthOn204));
    passes(c.get("/")).await;
}

#[tokio::test]
async fn lenient_client_checks_nothing() {
    let c = answering(|| respond(204, &[("content-length", "9")], "not empty")).lenient();
    assert_eq!(c.get("/").await.text(), "not empty");
}

#[tokio::test]
#[should_panic(expected = "Validate rule `no-body` broken: a 204 response must have no body")]
async fn violation_fails_the_test_naming_the_rule() {
    answering(|| respond(204, &[], "x")).get("/").await;
}

#[tokio::test]
async fn a_correct_app_passes_every_rule() {
    let c = answering(|| {
        respond(
            200,
            &[
                ("content-type", "text/plain"),
                ("content-length", "5"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2; Max-Age=10"),
                ("vary", "accept-encoding"),
            ],
            "hello",
        )
    });
    passes(c.get("/").header("accept-encoding", "gzip")).await;
    passes(c.post("/").body("x")).await;
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
    /// However a gzip body is split into frames, it validates and decodes.
    #[test]
    fn gzip_split_anywhere_passes(text in "[a-z ]{0,200}", cuts in proptest::collection::vec(0usize..300, 0..4)) {
        let data = gzip(text.as_bytes());
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([data.len()]) {
            chunks.push(Bytes::copy_from_slice(&data[start..cut]));
            start = cut;
        }
        let length = data.len().to_string();
        let c = answering(move || {
            let mut res = Response::new(Body::chunks(chunks.clone()));
            res.headers_mut().insert("content-encoding", "gzip".parse().unwrap());
            res.headers_mut().insert("vary", "accept-encoding".parse().unwrap());
            res.headers_mut().insert("content-length", length.parse().unwrap());
            res
        });
        let res = c.get("/").header("accept-encoding", "gzip").send_blocking();
        proptest::prop_assert_eq!(res.text(), text);
    }
}

#[tokio::test]
async fn violation_message_shows_the_response_head() {
    let c = answering(|| respond(200, &[("content-length", "9"), ("x-app", "demo")], "abc"));
    let err = c.get("/").try_send().await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("status: 200 OK"), "{message}");
    assert!(message.contains("x-app: demo"), "{message}");
    let c = answering(|| respond(204, &[("content-length", "0")], ()));
    let message = c.get("/").try_send().await.unwrap_err().to_string();
    assert!(message.contains("status: 204 No Content"), "{message}");
}

/// A body that yields `data` once but reports `hint` and `end` as told.
struct Lying {
    data: Option<Bytes>,
    hint: http_body::SizeHint,
    end: bool,
}

impl http_body::Body for Lying {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        std::task::Poll::Ready(self.data.take().map(|d| Ok(http_body::Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.end || self.data.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.hint
    }
}

fn lying(hint: http_body::SizeHint, end: bool) -> TestClient {
    answering(move || {
        Response::new(Lying {
            data: Some(Bytes::from_static(b"abc")),
            hint,
            end,
        })
    })
}

#[tokio::test]
async fn size_hint_that_lies_fires() {
    let c = lying(http_body::SizeHint::with_exact(10), false);
    assert_eq!(broken(c.get("/")).await, Rule::SizeHint);
    let c = lying(http_body::SizeHint::with_exact(1), false);
    assert_eq!(broken(c.get("/")).await, Rule::SizeHint);
}

#[tokio::test]
async fn size_hint_that_brackets_the_body_passes() {
    passes(lying(http_body::SizeHint::with_exact(3), false).get("/")).await;
    passes(lying(http_body::SizeHint::default(), false).get("/")).await;
    let mut hint = http_body::SizeHint::new();
    hint.set_lower(2);
    hint.set_upper(8);
    passes(lying(hint, false).get("/")).await;
}

#[tokio::test]
async fn frame_after_end_stream_fires() {
    let c = lying(http_body::SizeHint::default(), true);
    assert_eq!(broken(c.get("/")).await, Rule::EndStream);
}
