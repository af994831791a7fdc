//! CORS in headless Chromium (issue 25, part 2), driven over WebDriver
//! (chromedriver) with fantoccini, on the harness in `support/browser.rs`:
//! an API on one loopback port behind a `CorsLayer` that allows origin A
//! with credentials, a page on origin A (another port) and one on origin B
//! (a third port). Each page `fetch`es the API with credentials (a
//! preflighted `PUT` with a JSON body, then a simple `GET`) and writes what
//! it got into the DOM. A reads the bodies, with the user's cookie sent;
//! B is blocked by the browser (`TypeError`), on the preflight and on the
//! simple request, although the API answered it.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/install-browser`).
//! Without them the test prints why it was skipped and passes, unless
//! `PASTRY_REQUIRE_BROWSER` is set (CI sets it): then it fails.

#![cfg(feature = "cors")]

#[path = "support/browser.rs"]
mod browser;

use std::convert::Infallible;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use browser::{Browser, STEP};
use bytes::Bytes;
use fantoccini::{Client, Locator};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use pastry::cors::CorsLayer;
use tokio::net::TcpListener;
use tower::ServiceBuilder;

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut()
        .insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
    res
}

/// The API: `/login` sets the user's cookie (visited top-level first);
/// `/data` answers `PUT` and `GET` with the user the cookie names, and
/// counts the requests the app saw (preflights never reach it).
async fn serve_api(allowed: &str, seen: Arc<AtomicUsize>) -> SocketAddr {
    let cors = CorsLayer::builder()
        .allow_origin(allowed)
        .allow_methods(["GET", "PUT"])
        .allow_headers(["content-type"])
        .allow_credentials(true)
        .build()
        .unwrap();
    let app = ServiceBuilder::new().layer(cors).service(tower::service_fn(
        move |req: Request<hyper::body::Incoming>| {
            let seen = Arc::clone(&seen);
            async move {
                let user = req
                    .headers()
                    .get("cookie")
                    .and_then(|c| c.to_str().ok())
                    .and_then(|c| c.split(';').find_map(|kv| kv.trim().strip_prefix("user=")))
                    .unwrap_or("nobody")
                    .to_owned();
                let res = match (req.method(), req.uri().path()) {
                    (&Method::GET, "/login") => {
                        let mut res = text(StatusCode::OK, "logged in\n".into());
                        res.headers_mut()
                            .insert("set-cookie", "user=alice; Path=/".parse().unwrap());
                        res
                    }
                    (&Method::PUT | &Method::GET, "/data") => {
                        seen.fetch_add(1, Ordering::SeqCst);
                        text(StatusCode::OK, format!("{} secret of {user}", req.method()))
                    }
                    _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
                };
                Ok::<_, Infallible>(res)
            }
        },
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pastry::serve(listener, app).quiet(true).into_future());
    addr
}

/// Binds a listener for a page's origin (the port is known before the API
/// is configured).
async fn bind_page() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Serves, on `listener`, a page that fetches the API with credentials and
/// writes each outcome into `#put` and `#get`.
fn serve_page(listener: TcpListener, api: SocketAddr) {
    let page = format!(
        r#"<!doctype html><html><body><pre id="put">pending</pre><pre id="get">pending</pre>
<script>
function show(id, promise) {{
  return promise
    .then(r => r.text())
    .then(t => {{ document.getElementById(id).textContent = "read: " + t; }})
    .catch(e => {{ document.getElementById(id).textContent = "blocked: " + e.name; }});
}}
show("put", fetch("http://{api}/data", {{
  method: "PUT", credentials: "include",
  headers: {{ "content-type": "application/json" }}, body: "{{}}"
}})).then(() => show("get", fetch("http://{api}/data", {{ credentials: "include" }})));
</script></body></html>"#
    );
    let page = Bytes::from(page);
    let app = tower::service_fn(move |_req: Request<hyper::body::Incoming>| {
        let page = page.clone();
        async move {
            let mut res = Response::new(Full::new(page));
            res.headers_mut()
                .insert("content-type", "text/html; charset=utf-8".parse().unwrap());
            Ok::<_, Infallible>(res)
        }
    });
    tokio::spawn(pastry::serve(listener, app).quiet(true).into_future());
}

/// Waits until the element at `css` no longer reads `pending`; its text.
async fn outcome(client: &Client, css: &str) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        let seen = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if !seen.is_empty() && seen != "pending" {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never left {seen:?} within {STEP:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentialed_fetch_from_allowed_origin_reads_and_other_origin_is_blocked_in_chromium() {
    let (listener_a, a) = bind_page().await;
    let (listener_b, b) = bind_page().await;
    let seen = Arc::new(AtomicUsize::new(0));
    let api = serve_api(&format!("http://{a}"), Arc::clone(&seen)).await;
    serve_page(listener_a, api);
    serve_page(listener_b, api);

    let Some(browser) = Browser::start_or_skip("credentialed_fetch_in_chromium").await else {
        return;
    };
    let client = browser.client.clone();

    // The user logs in to the API: its cookie is now in the browser.
    client.goto(&format!("http://{api}/login")).await.unwrap();
    let body = client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css("body"))
        .await
        .unwrap();
    assert_eq!(body.text().await.unwrap().trim(), "logged in");

    // Origin A: the preflight passes, both answers are readable, and the
    // cookie went along (the API names the user).
    client.goto(&format!("http://{a}/")).await.unwrap();
    assert_eq!(outcome(&client, "#put").await, "read: PUT secret of alice");
    assert_eq!(outcome(&client, "#get").await, "read: GET secret of alice");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "A's PUT and GET reached the app"
    );

    // Origin B: the preflight is refused, so the PUT never reaches the app;
    // the simple GET does (a browser sends it without asking) but its
    // answer carries no CORS headers, so the page cannot read it.
    client.goto(&format!("http://{b}/")).await.unwrap();
    assert_eq!(outcome(&client, "#put").await, "blocked: TypeError");
    assert_eq!(outcome(&client, "#get").await, "blocked: TypeError");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "only B's simple GET reached the app, never its PUT"
    );

    browser.close().await;
}
