//! Cross-site WebSocket hijacking: a handshake carries the session cookie,
//! so the session layer refuses one from another origin before the app
//! runs, unless a cross-origin layer outside already passed it.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{Method, Request, Response, StatusCode};
use pastry_core::CrossOriginChecked;
use pastry_sessions::{MemoryStore, SessionLayer};
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

use crate::common::Env;

/// An app that counts the requests it sees.
fn client(layer: SessionLayer, mark_checked: bool, calls: Arc<AtomicUsize>) -> TestClient {
    let app = ServiceBuilder::new()
        .map_request(move |mut req: Request<Body>| {
            if mark_checked {
                req.extensions_mut().insert(CrossOriginChecked);
            }
            req
        })
        .layer(layer)
        .service_fn(move |_req: Request<Body>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, Infallible>(Response::new(String::from("socket"))) }
        });
    TestClient::new(app).lenient()
}

fn handshake(client: &TestClient, origin: &str) -> pastry_testkit::RequestBuilder {
    client
        .get("/chat")
        .header("host", "app.example")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("origin", origin)
        .any_status()
}

#[tokio::test]
async fn a_handshake_from_another_origin_is_refused_before_the_app() {
    let env = Env::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client(env.layer(MemoryStore::new()), false, calls.clone());
    let res = handshake(&client, "http://evil.example").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_cross_site_h2_extended_connect_is_refused() {
    let env = Env::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client(env.layer(MemoryStore::new()), false, calls.clone());
    let res = client
        .request(Method::CONNECT, "/chat")
        .header("sec-fetch-site", "cross-site")
        .any_status()
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_handshake_from_its_own_origin_reaches_the_app() {
    let env = Env::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client(env.layer(MemoryStore::new()), false, calls.clone());
    let res = handshake(&client, "http://app.example").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_handshake_a_cross_origin_layer_passed_is_not_judged_again() {
    let env = Env::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client(env.layer(MemoryStore::new()), true, calls.clone());
    let res = handshake(&client, "https://trusted.example").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_check_can_be_turned_off() {
    let env = Env::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let layer = env.layer(MemoryStore::new()).handshake_origin(false);
    let client = client(layer, false, calls.clone());
    let res = handshake(&client, "http://evil.example").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_plain_get_from_another_origin_is_served() {
    let env = Env::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client(env.layer(MemoryStore::new()), false, calls.clone());
    let res = client
        .get("/chat")
        .header("host", "app.example")
        .header("origin", "http://evil.example")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}
