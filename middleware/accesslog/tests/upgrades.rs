//! Upgrades: a WebSocket handshake over HTTP/1.1 (101) or HTTP/2 (extended
//! CONNECT, RFC 8441, answered 200) gets its one entry when the handshake
//! head is answered, not when a tunnel body that never ends would end.

mod support;

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Version};
use http_body::{Body, Frame};
use hyper::ext::Protocol;
use pastry_accesslog::{AccessLogLayer, Format};
use pastry_testkit::LogCapture;
use support::{Lines, clock, from_client};
use tower::{Layer, ServiceExt, service_fn};

/// A body that never ends, as a tunnel would be if it were one.
struct Endless;

impl Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

/// An app answering every request with `status` and an endless body.
fn answering(
    status: StatusCode,
) -> impl tower::Service<Request<String>, Response = Response<Endless>, Error = Infallible> + Clone
{
    service_fn(move |_req: Request<String>| {
        let mut res = Response::new(Endless);
        *res.status_mut() = status;
        std::future::ready(Ok::<_, Infallible>(res))
    })
}

fn h2_websocket_connect() -> Request<String> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri("https://app.example/chat?room=1")
        .header("sec-websocket-version", "13")
        .body(String::new())
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    from_client(req)
}

fn h1_websocket_handshake() -> Request<String> {
    from_client(
        Request::get("/chat")
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13")
            .body(String::new())
            .unwrap(),
    )
}

/// Runs `req` through a Common-format log over an app answering `status`;
/// the lines written once the head is back, before the body is read.
async fn logged_at_the_head(req: Request<String>, status: StatusCode) -> String {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .format(Format::Common)
        .writer(lines.clone())
        .clock(clock())
        .layer(answering(status));
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), status);
    let at_head = lines.text();
    drop(res);
    assert_eq!(lines.text(), at_head, "no second entry when the body goes");
    at_head
}

#[tokio::test]
async fn an_h2_extended_connect_is_logged_when_its_200_is_answered() {
    let text = logged_at_the_head(h2_websocket_connect(), StatusCode::OK).await;
    assert_eq!(
        text,
        "203.0.113.7 - - [10/Oct/2000:13:55:36 +0000] \"CONNECT /chat?room=1 HTTP/2.0\" 200 -\n"
    );
}

#[tokio::test]
async fn an_h1_websocket_handshake_is_logged_when_its_101_is_answered() {
    let text = logged_at_the_head(h1_websocket_handshake(), StatusCode::SWITCHING_PROTOCOLS).await;
    assert_eq!(
        text,
        "203.0.113.7 - - [10/Oct/2000:13:55:36 +0000] \"GET /chat HTTP/1.1\" 101 -\n"
    );
}

#[tokio::test]
async fn a_plain_connect_logs_its_authority_as_the_target() {
    let req = from_client(
        Request::builder()
            .method(Method::CONNECT)
            .uri("db.internal:5432")
            .body(String::new())
            .unwrap(),
    );
    let text = logged_at_the_head(req, StatusCode::OK).await;
    assert_eq!(
        text,
        "203.0.113.7 - - [10/Oct/2000:13:55:36 +0000] \"CONNECT db.internal:5432 HTTP/1.1\" 200 -\n"
    );
}

#[tokio::test]
async fn a_refused_connect_is_logged_at_the_end_of_its_body_as_usual() {
    let lines = Lines::default();
    let app = AccessLogLayer::new()
        .format(Format::Common)
        .writer(lines.clone())
        .clock(clock())
        .layer(service_fn(|_req: Request<String>| async {
            let mut res = Response::new(http_body_util::Full::from("log in first"));
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            Ok::<_, Infallible>(res)
        }));
    let res = app.oneshot(h2_websocket_connect()).await.unwrap();
    assert_eq!(lines.text(), "", "not yet: the body is still to be sent");
    http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap();
    assert_eq!(
        lines.text(),
        "203.0.113.7 - - [10/Oct/2000:13:55:36 +0000] \"CONNECT /chat?room=1 HTTP/2.0\" 401 12\n"
    );
}

/// The `tracing` events written while `req` is answered `status` (the head
/// only; the body is dropped unread).
fn events_for(req: Request<String>, status: StatusCode) -> String {
    let logs = LogCapture::at(tracing::Level::INFO);
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let app = AccessLogLayer::new()
                .tracing()
                .clock(clock())
                .layer(answering(status));
            let res = app.oneshot(req).await.unwrap();
            drop(res);
        });
    logs.text()
}

#[test]
fn the_tracing_event_names_the_protocol_asked_for() {
    let h2 = events_for(h2_websocket_connect(), StatusCode::OK);
    assert_eq!(h2.lines().count(), 1, "{h2}");
    for field in [
        "method=CONNECT",
        "path=/chat?room=1",
        "version=HTTP/2.0",
        "protocol=\"websocket\"",
        "status=200",
        "completed=true",
    ] {
        assert!(h2.contains(field), "{field} in {h2}");
    }
    let h1 = events_for(h1_websocket_handshake(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(h1.lines().count(), 1, "{h1}");
    assert!(h1.contains("protocol=\"websocket\""), "{h1}");
    assert!(h1.contains("status=101"), "{h1}");
    let plain = events_for(
        from_client(Request::get("/").body(String::new()).unwrap()),
        StatusCode::NO_CONTENT,
    );
    assert!(plain.contains("protocol=\"-\""), "{plain}");
}
