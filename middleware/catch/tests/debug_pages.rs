//! Debug mode: the message or chain, the backtrace and a redacted request
//! summary, all HTML-escaped.

mod support;

use http::{Request, Response, StatusCode};
use pastry_catch::CatchLayer;
use pastry_core::HttpError;
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

fn app() -> TestClient {
    pastry_catch::capture_backtraces();
    let svc = ServiceBuilder::new()
        .layer(CatchLayer::new().debug(true))
        .service_fn(|req: Request<Body>| async move {
            match req.uri().path() {
                "/inject" => panic!("<script>alert('owned')</script> & more"),
                "/panic" => panic!("plain panic"),
                _ => {
                    let cause = std::io::Error::other("disk <full>");
                    let err = HttpError::new(StatusCode::INSUFFICIENT_STORAGE, "saving the upload")
                        .source(cause);
                    Err::<Response<Body>, _>(err)
                }
            }
        });
    TestClient::new(svc)
}

#[tokio::test]
async fn debug_page_escapes_html_in_the_panic_message() {
    let res = app().get("/inject").expect_status(500).await;
    let page = res.text();
    assert!(!page.contains("<script>"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; &amp; more"),
        "{page}"
    );
}

#[tokio::test]
async fn debug_page_shows_the_error_chain_escaped() {
    let res = app().get("/error").expect_status(507).await;
    let page = res.text();
    assert!(page.contains("saving the upload"));
    assert!(page.contains("disk &lt;full&gt;"));
    assert!(
        page.find("saving the upload") < page.find("disk &lt;full&gt;"),
        "outermost first"
    );
}

#[tokio::test]
async fn debug_page_escapes_request_headers() {
    let res = app()
        .get("/panic")
        .header("x-note", "<img src=x onerror=alert(1)>")
        .expect_status(500)
        .await;
    let page = res.text();
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[tokio::test]
async fn debug_page_redacts_credentials() {
    let client = app();
    for accept in ["text/html", "application/json", "text/plain"] {
        let res = client
            .get("/panic")
            .basic_auth("alice", "hunter2")
            .header("cookie", "session=s3cr3t-session-id")
            .header("proxy-authorization", "Basic cHJveHk6cGFzcw==")
            .header("accept", accept)
            .header("user-agent", "probe/1.0")
            .expect_status(500)
            .await;
        let page = res.text();
        assert!(!page.contains("YWxpY2U6aHVudGVyMg"), "{accept}: {page}");
        assert!(!page.contains("s3cr3t-session-id"), "{accept}: {page}");
        assert!(!page.contains("cHJveHk6cGFzcw"), "{accept}: {page}");
        assert!(page.contains("[redacted]"), "{accept}: {page}");
        assert!(page.contains("probe/1.0"), "{accept}: {page}");
        assert!(page.contains("plain panic"), "{accept}: {page}");
    }
}

#[tokio::test]
async fn debug_page_shows_method_and_uri() {
    let res = app()
        .post("/panic?draft=1")
        .body("x")
        .expect_status(500)
        .await;
    assert!(res.text().contains("<code>POST /panic?draft=1</code>"));
}

#[tokio::test]
async fn debug_page_shows_the_backtrace_and_location() {
    let res = app().get("/panic").expect_status(500).await;
    let page = res.text();
    assert!(page.contains("<h2>Backtrace</h2>\n<pre>"), "{page}");
    assert!(
        page.contains("debug_pages.rs"),
        "the panic location: {page}"
    );
}

#[tokio::test]
async fn debug_json_carries_chain_backtrace_and_request() {
    let res = app()
        .get("/panic")
        .header("accept", "application/json")
        .expect_status(500)
        .await;
    let value: serde_json::Value = res.json();
    assert_eq!(value["status"], 500);
    assert_eq!(value["id"], res.header("x-error-id").unwrap());
    assert_eq!(value["chain"], serde_json::json!(["plain panic"]));
    assert!(value["backtrace"].is_string());
    assert_eq!(value["request"]["method"], "GET");
    assert_eq!(value["request"]["uri"], "/panic");
}

#[tokio::test]
async fn debug_log_event_carries_the_backtrace() {
    let (events, _guard) = support::Events::record();
    app().get("/panic").expect_status(500).await;
    let event = events.single();
    assert!(event.field("backtrace").is_some_and(|bt| !bt.is_empty()));
    assert!(
        event
            .field("location")
            .is_some_and(|at| at.contains("debug_pages.rs"))
    );
}
