//! The Fetch metadata and `Origin` checks of `CrossOriginLayer`, through
//! the test kit.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{Method, Request, Response, Version};
use pastry_origin::{CrossOriginChecked, CrossOriginLayer};
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

/// A client for `layer` around an app that counts its calls and says
/// whether the layer marked the request.
fn client(layer: CrossOriginLayer) -> (TestClient, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let app = ServiceBuilder::new()
        .layer(layer)
        .service_fn(move |req: Request<Body>| {
            counter.fetch_add(1, Ordering::SeqCst);
            let checked = req.extensions().get::<CrossOriginChecked>().is_some();
            let text = if req.method() == Method::HEAD {
                String::new()
            } else {
                format!("app checked={checked}")
            };
            async move { Ok::<_, Infallible>(Response::new(text)) }
        });
    (TestClient::new(app), calls)
}

#[tokio::test]
async fn cross_site_post_is_refused_with_a_clear_403() {
    let (client, calls) = client(CrossOriginLayer::new());
    let res = client
        .post("/transfer")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.example")
        .form(&[("to", "mallory")])
        .expect_status(403)
        .await;
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        res.text().contains("cross-origin request refused"),
        "{}",
        res.text()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the app must not run");
}

#[tokio::test]
async fn post_with_a_foreign_origin_and_no_fetch_metadata_is_refused() {
    let (client, calls) = client(CrossOriginLayer::new());
    client
        .post("/transfer")
        .header("origin", "http://evil.example")
        .expect_status(403)
        .await;
    client
        .delete("/transfer")
        .header("origin", "null")
        .expect_status(403)
        .await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn same_origin_post_passes_and_is_marked() {
    let (client, calls) = client(CrossOriginLayer::new());
    let res = client
        .post("/transfer")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost")
        .await;
    assert_eq!(res.text(), "app checked=true");
    // An older browser: no Fetch metadata, Origin equal to Host.
    client
        .post("/transfer")
        .header("origin", "http://localhost")
        .expect_status(200)
        .await;
    // Not a browser: neither header.
    client.post("/transfer").expect_status(200).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn safe_get_passes_even_from_another_site() {
    let (client, _) = client(CrossOriginLayer::new());
    for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
        client
            .request(method, "/page")
            .header("sec-fetch-site", "cross-site")
            .header("origin", "http://evil.example")
            .expect_status(200)
            .await;
    }
}

#[tokio::test]
async fn same_site_is_refused_unless_allowed() {
    let (strict, _) = client(CrossOriginLayer::new());
    strict
        .post("/x")
        .header("sec-fetch-site", "same-site")
        .expect_status(403)
        .await;
    let layer = CrossOriginLayer::builder()
        .allow_same_site(true)
        .build()
        .unwrap();
    let (lenient, _) = client(layer);
    lenient
        .post("/x")
        .header("sec-fetch-site", "same-site")
        .expect_status(200)
        .await;
    lenient
        .post("/x")
        .header("sec-fetch-site", "cross-site")
        .expect_status(403)
        .await;
}

#[tokio::test]
async fn trusted_origin_passes_and_others_do_not() {
    let layer = CrossOriginLayer::builder()
        .trusted_origin("https://shop.example")
        .build()
        .unwrap();
    let (client, _) = client(layer);
    client
        .post("/pay")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://shop.example")
        .expect_status(200)
        .await;
    client
        .post("/pay")
        .header("origin", "https://shop.example")
        .expect_status(200)
        .await;
    client
        .post("/pay")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://shop.example:444")
        .expect_status(403)
        .await;
    client
        .post("/pay")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://shop.example")
        .expect_status(403)
        .await;
}

#[tokio::test]
async fn exempt_path_passes_and_its_neighbours_do_not() {
    let layer = CrossOriginLayer::builder()
        .exempt_path("/hooks/payments")
        .exempt_prefix("/public/")
        .build()
        .unwrap();
    let (client, _) = client(layer);
    for path in ["/hooks/payments", "/public/x"] {
        client
            .post(path)
            .header("sec-fetch-site", "cross-site")
            .expect_status(200)
            .await;
    }
    for path in ["/hooks/payments/x", "/hooks", "/public"] {
        client
            .post(path)
            .header("sec-fetch-site", "cross-site")
            .expect_status(403)
            .await;
    }
}

#[tokio::test]
async fn websocket_handshake_with_a_foreign_origin_is_refused_before_the_app() {
    let (client, calls) = client(CrossOriginLayer::new());
    let res = client
        .get("/chat")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("origin", "http://evil.example")
        .expect_status(403)
        .await;
    assert!(res.text().contains("WebSocket"), "{}", res.text());
    client
        .get("/chat")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-fetch-site", "cross-site")
        .expect_status(403)
        .await;
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the app must not run");
}

#[tokio::test]
async fn websocket_handshake_from_its_own_origin_passes() {
    let (client, calls) = client(CrossOriginLayer::new());
    client
        .get("/chat")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("origin", "http://localhost")
        .header("sec-fetch-site", "same-origin")
        .expect_status(200)
        .await;
    client
        .get("/chat")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("origin", "http://localhost")
        .expect_status(200)
        .await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn websocket_handshake_from_a_trusted_origin_passes() {
    let layer = CrossOriginLayer::builder()
        .trusted_origin("https://app.example")
        .build()
        .unwrap();
    let (client, _) = client(layer);
    client
        .get("/chat")
        .header("upgrade", "websocket")
        .header("origin", "https://app.example")
        .header("sec-fetch-site", "cross-site")
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn h2_extended_connect_with_a_foreign_origin_is_refused() {
    let (client, calls) = client(CrossOriginLayer::new());
    let client = client.lenient();
    let res = client
        .request(Method::CONNECT, "/chat")
        .version(Version::HTTP_2)
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .header("sec-websocket-version", "13")
        .header("origin", "http://evil.example")
        .any_status()
        .await;
    assert_eq!(res.status(), 403, "{}", res.text());
    assert!(res.text().contains("WebSocket"), "{}", res.text());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let res = client
        .request(Method::CONNECT, "/chat")
        .version(Version::HTTP_2)
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .header("origin", "http://localhost")
        .any_status()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
}

#[test]
fn bad_settings_are_typed_errors_when_built() {
    use pastry_origin::OriginError;
    assert!(matches!(
        CrossOriginLayer::builder()
            .trusted_origin("https://a.example/")
            .build(),
        Err(OriginError::InvalidOrigin(_))
    ));
    assert!(matches!(
        CrossOriginLayer::builder().exempt_path("hooks").build(),
        Err(OriginError::InvalidPath(_))
    ));
}
