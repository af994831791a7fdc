//! The `tracing` sink: one INFO event per request with every field.

mod support;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use pastry_accesslog::AccessLogLayer;
use pastry_core::RemoteUser;
use pastry_testkit::LogCapture;
use support::{clock, from_client, request};
use tower::{Layer, ServiceExt, service_fn};

#[test]
fn one_event_with_every_field_and_no_secret() {
    let logs = LogCapture::at(tracing::Level::INFO);
    let clock = clock();
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let advance = clock.clone();
            let app = AccessLogLayer::new()
                .tracing()
                .clock(clock.clone())
                .layer(service_fn(move |_req: Request<String>| {
                    advance.advance(Duration::from_millis(2));
                    let mut res = Response::builder()
                        .status(500)
                        .header("x-error-id", "abc-123")
                        .body(Full::<Bytes>::from("oops!"))
                        .unwrap();
                    res.extensions_mut().insert(RemoteUser::new("carol"));
                    async move { Ok::<_, Infallible>(res) }
                }));
            let req = request("/x?password=hunter2")
                .header("cookie", "sid=cookieval")
                .header("authorization", "Bearer bearertok")
                .body(String::new())
                .unwrap();
            let res = app.oneshot(from_client(req)).await.unwrap();
            res.into_body().collect().await.unwrap();
        });
    let log = logs.text();
    assert_eq!(log.lines().count(), 1, "{log}");
    for field in [
        " INFO ",
        "pastry_accesslog",
        "client=203.0.113.7",
        "user=\"carol\"",
        "method=GET",
        "path=/x?password=[redacted]",
        "status=500",
        "bytes=5",
        "duration_us=2000",
        "error_id=\"abc-123\"",
        "completed=true",
    ] {
        assert!(log.contains(field), "{field} missing from {log}");
    }
    for secret in ["hunter2", "cookieval", "bearertok"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}

#[test]
fn an_empty_body_dropped_unpolled_is_complete_and_written_once() {
    let logs = LogCapture::at(tracing::Level::INFO);
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let app =
                AccessLogLayer::new()
                    .tracing()
                    .layer(service_fn(|_req: Request<String>| async {
                        let mut res = Response::new(Full::<Bytes>::default());
                        *res.status_mut() = http::StatusCode::NOT_MODIFIED;
                        Ok::<_, Infallible>(res)
                    }));
            let req = Request::head("/x").body(String::new()).unwrap();
            // A server sends the head and drops an empty body unpolled.
            drop(app.oneshot(req).await.unwrap());
        });
    let log = logs.text();
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("method=HEAD"), "{log}");
    assert!(log.contains("status=304"), "{log}");
    assert!(log.contains("bytes=0"), "{log}");
    assert!(log.contains("completed=true"), "{log}");
}
