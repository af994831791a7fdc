//! Common, Combined and Detailed lines: their fields, when they are
//! written, and what never appears in them.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use pastry_accesslog::{AccessLogLayer, DEFAULT_MAX_FIELD_LEN, Format};
use pastry_core::RemoteUser;
use support::{Lines, clock, from_client, request};
use tower::{Layer, ServiceExt, service_fn};

fn hello(_req: Request<String>) -> std::future::Ready<Result<Response<Full<Bytes>>, Infallible>> {
    std::future::ready(Ok(Response::new(Full::from("hello"))))
}

#[tokio::test]
async fn combined_adds_referer_and_user_agent_escaped() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(hello));
    let req = request("/a")
        .header("referer", "https://example.com/from")
        .header("user-agent", "curl/8 \"quoted\"")
        .body(String::new())
        .unwrap();
    let res = app.oneshot(from_client(req)).await.unwrap();
    res.into_body().collect().await.unwrap();
    assert_eq!(
        lines.text(),
        "203.0.113.7 - - [10/Oct/2000:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 5 \"https://example.com/from\" \"curl/8 \\\"quoted\\\"\"\n"
    );
}

#[tokio::test]
async fn a_missing_client_referer_and_empty_body_are_dashes() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(|_req: Request<String>| async {
            let mut res = Response::new(Full::<Bytes>::default());
            *res.status_mut() = StatusCode::NO_CONTENT;
            Ok::<_, Infallible>(res)
        }));
    let res = app
        .oneshot(request("/").body(String::new()).unwrap())
        .await
        .unwrap();
    res.into_body().collect().await.unwrap();
    assert_eq!(
        lines.text(),
        "- - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 204 - \"-\" \"-\"\n"
    );
}

#[tokio::test]
async fn the_entry_waits_for_the_end_of_the_body_and_times_all_of_it() {
    let lines = Lines::default();
    let clock = clock();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<http_body::Frame<Bytes>, Infallible>>(4);
    let rx = std::sync::Mutex::new(Some(rx));
    let app = AccessLogLayer::new()
        .format(Format::Detailed)
        .writer(lines.clone())
        .clock(clock.clone())
        .layer(service_fn(move |_req: Request<String>| {
            let rx = rx.lock().unwrap().take().unwrap();
            async move { Ok::<_, Infallible>(Response::new(Fed(rx))) }
        }));
    let res = app
        .oneshot(from_client(request("/slow").body(String::new()).unwrap()))
        .await
        .unwrap();
    clock.advance(Duration::from_millis(1));
    assert_eq!(lines.text(), "", "written before the body ended");
    let mut body = res.into_body();
    tx.send(Ok(http_body::Frame::data(Bytes::from("abc"))))
        .await
        .unwrap();
    body.frame().await.unwrap().unwrap();
    clock.advance(Duration::from_secs(3));
    tx.send(Ok(http_body::Frame::data(Bytes::from("defg"))))
        .await
        .unwrap();
    body.frame().await.unwrap().unwrap();
    assert_eq!(lines.text(), "");
    drop(tx);
    assert!(body.frame().await.is_none());
    assert_eq!(
        lines.text(),
        "203.0.113.7 - - [10/Oct/2000:13:55:36 +0000] \"GET /slow HTTP/1.1\" 200 7 \"-\" \"-\" 3001000 -\n"
    );
    drop(body);
    assert_eq!(lines.text().lines().count(), 1, "written twice");
}

/// A body whose frames the test sends one by one.
struct Fed(tokio::sync::mpsc::Receiver<Result<http_body::Frame<Bytes>, Infallible>>);

impl http_body::Body for Fed {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx)
    }
}

#[tokio::test]
async fn secrets_never_reach_the_line() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .format(Format::Detailed)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(hello));
    let req = request("/login?user=ann&password=hunter2&access_token=tok123")
        .header("cookie", "session=sessval123")
        .header("authorization", "Basic YWxpY2U6aHVudGVyMg==")
        .header("referer", "https://ann:hunter2@example.com/p?token=tok123")
        .header("user-agent", "ua")
        .body(String::new())
        .unwrap();
    let res = app.oneshot(from_client(req)).await.unwrap();
    res.into_body().collect().await.unwrap();
    let text = lines.text();
    for secret in [
        "hunter2",
        "tok123",
        "sessval123",
        "YWxpY2U6aHVudGVyMg",
        "session=",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(
        text.contains(
            "\"GET /login?user=ann&password=[redacted]&access_token=[redacted] HTTP/1.1\""
        ),
        "{text}"
    );
    assert!(
        text.contains("\"https://example.com/p?token=[redacted]\""),
        "{text}"
    );
}

#[tokio::test]
async fn the_user_comes_from_the_request_or_the_response() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .format(Format::Common)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(|req: Request<String>| async move {
            let mut res = Response::new(Full::<Bytes>::from("x"));
            if req.uri().path() == "/inner" {
                res.extensions_mut().insert(RemoteUser::new("bob"));
            }
            Ok::<_, Infallible>(res)
        }));
    let mut outer = request("/outer").body(String::new()).unwrap();
    outer
        .extensions_mut()
        .insert(RemoteUser::new("alice \"a\""));
    let res = app.clone().oneshot(outer).await.unwrap();
    res.into_body().collect().await.unwrap();
    let res = app
        .oneshot(request("/inner").body(String::new()).unwrap())
        .await
        .unwrap();
    res.into_body().collect().await.unwrap();
    let text = lines.text();
    let mut lines = text.lines();
    assert!(
        lines.next().unwrap().starts_with("- - alice \\\"a\\\" ["),
        "{text}"
    );
    assert!(lines.next().unwrap().starts_with("- - bob ["), "{text}");
}

#[tokio::test]
async fn the_error_id_catch_set_is_written() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .format(Format::Detailed)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(|_req: Request<String>| async {
            let res = Response::builder()
                .status(500)
                .header("x-error-id", "0b7d9a1c-2f4e-4c1a-9d1e-3a5b7c9d1e2f")
                .body(Full::<Bytes>::from("oops"))
                .unwrap();
            Ok::<_, Infallible>(res)
        }));
    let res = app
        .oneshot(request("/").body(String::new()).unwrap())
        .await
        .unwrap();
    res.into_body().collect().await.unwrap();
    assert!(
        lines
            .text()
            .ends_with("\" 500 4 \"-\" \"-\" 0 0b7d9a1c-2f4e-4c1a-9d1e-3a5b7c9d1e2f\n"),
        "{}",
        lines.text()
    );
}

#[tokio::test]
async fn a_body_dropped_early_is_written_with_what_was_sent() {
    let lines = Lines::default();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let rx = std::sync::Mutex::new(Some(rx));
    let app = AccessLogLayer::new()
        .format(Format::Common)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(move |_req: Request<String>| {
            let rx = rx.lock().unwrap().take().unwrap();
            async move { Ok::<_, Infallible>(Response::new(Fed(rx))) }
        }));
    let res = app
        .oneshot(request("/").body(String::new()).unwrap())
        .await
        .unwrap();
    let mut body = res.into_body();
    tx.send(Ok(http_body::Frame::data(Bytes::from("12345"))))
        .await
        .unwrap();
    body.frame().await.unwrap().unwrap();
    assert_eq!(lines.text(), "");
    drop(body);
    assert!(lines.text().ends_with("\" 200 5\n"), "{}", lines.text());
}

#[tokio::test]
async fn an_app_error_is_written_as_500() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .format(Format::Common)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(|_req: Request<String>| async {
            Err::<Response<Full<Bytes>>, _>(std::io::Error::other("down"))
        }));
    assert!(
        app.oneshot(request("/").body(String::new()).unwrap())
            .await
            .is_err()
    );
    assert!(lines.text().ends_with("\" 500 -\n"), "{}", lines.text());
}

#[tokio::test]
async fn a_request_dropped_before_its_response_is_written_as_499() {
    let lines = Lines::default();
    let mut app = AccessLogLayer::new()
        .format(Format::Common)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(|_req: Request<String>| {
            std::future::pending::<Result<Response<Full<Bytes>>, Infallible>>()
        }));
    let future = tower::Service::call(&mut app, request("/").body(String::new()).unwrap());
    drop(future);
    assert!(lines.text().ends_with("\" 499 -\n"), "{}", lines.text());
}

#[tokio::test]
async fn long_fields_are_cut_at_the_limit() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .format(Format::Combined)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(hello));
    let long = format!("/{}", "a".repeat(DEFAULT_MAX_FIELD_LEN * 2));
    let agent = "b".repeat(DEFAULT_MAX_FIELD_LEN * 2);
    let req = request(&long)
        .header("user-agent", agent.as_str())
        .body(String::new())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    res.into_body().collect().await.unwrap();
    let text = lines.text();
    assert!(
        text.contains(&format!(
            "\"GET /{}... HTTP/1.1\"",
            "a".repeat(DEFAULT_MAX_FIELD_LEN - 1)
        )),
        "{text}"
    );
    assert!(text.contains(&format!("\"{}...\"", "b".repeat(DEFAULT_MAX_FIELD_LEN))));
    assert!(text.len() < DEFAULT_MAX_FIELD_LEN * 2 + 200);

    let lines = Lines::default();
    let short = AccessLogLayer::new()
        .writer(lines.clone())
        .max_field_len(8)
        .layer(service_fn(hello));
    let res = short
        .oneshot(request("/abcdefghijkl").body(String::new()).unwrap())
        .await
        .unwrap();
    res.into_body().collect().await.unwrap();
    assert!(
        lines.text().contains("\"GET /abcdefg... HTTP/1.1\""),
        "{}",
        lines.text()
    );
}
