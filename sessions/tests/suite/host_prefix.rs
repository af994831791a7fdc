//! The default cookie name takes the `__Host-` prefix (issue 16, item 3):
//! a sibling subdomain or a plain-http page cannot plant a session cookie
//! the layer would read ("cookie tossing").

use std::convert::Infallible;

use http::{Request, Response, StatusCode};
use pastry_sessions::{ConfigError, MemoryStore, SessionExt, SessionLayer};
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

use crate::common::{Env, url};

/// `/set?v`: stores `v` under `k`. `/get`: the value under `k` or `none`.
fn client(layer: SessionLayer) -> TestClient {
    let app = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<Body>| async move {
            let session = req.session().expect("behind a SessionLayer");
            let body = match req.uri().path() {
                "/set" => {
                    let value = req.uri().query().unwrap_or_default();
                    session.insert("k", value).await.map(|()| "set".to_owned())
                }
                _ => session
                    .get::<String>("k")
                    .await
                    .map(|v| v.unwrap_or_else(|| "none".to_owned())),
            };
            let mut res = Response::new(String::new());
            match body {
                Ok(body) => *res.body_mut() = body,
                Err(_) => *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR,
            }
            Ok::<_, Infallible>(res)
        });
    TestClient::new(app)
}

/// The layer with every default but the clock.
fn default_layer(env: &Env, store: MemoryStore) -> SessionLayer {
    SessionLayer::new(store).clock(env.clock.clone())
}

#[tokio::test]
async fn the_default_cookie_is_host_prefixed_secure_at_the_root_without_domain() {
    let env = Env::new();
    let client = client(default_layer(&env, MemoryStore::new()));
    let res = client.get(url("/set?mine")).await;
    let header = res.header("set-cookie").expect("a cookie").to_owned();
    assert!(header.starts_with("__Host-id="), "{header}");
    let cookie = res.cookie("__Host-id").expect("the __Host-id cookie");
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.domain(), None);
    assert!(res.cookie("id").is_none());
    // The client keeps it and the session goes on, over https and over
    // plain http to localhost (a secure context, as in browsers).
    assert_eq!(client.get(url("/get")).await.text(), "mine");
    assert_eq!(client.get("http://localhost/get").await.text(), "mine");
}

#[tokio::test]
async fn a_planted_unprefixed_cookie_is_not_read() {
    let env = Env::new();
    let store = MemoryStore::new();
    // The attacker's own, valid session.
    let attacker = client(default_layer(&env, store.clone()));
    attacker.get(url("/set?attacker")).await;
    let planted = attacker.cookie("__Host-id").expect("attacker's id");
    // A sibling subdomain can set `id=...; Domain=example.com` (or a
    // plain-http page can), never `__Host-id`.
    let victim = client(default_layer(&env, store));
    let res = victim
        .get(url("/get"))
        .header("cookie", format!("id={planted}").as_str())
        .await;
    assert_eq!(res.text(), "none", "the planted session is not used");
    let res = victim
        .get(url("/set?victim"))
        .header("cookie", format!("id={planted}").as_str())
        .await;
    let own = res
        .cookie("__Host-id")
        .expect("a session of the victim's own");
    assert_ne!(own.value(), planted);
    assert_eq!(attacker.get(url("/get")).await.text(), "attacker");
}

#[test]
fn the_default_name_falls_back_to_the_prefix_the_settings_allow() {
    let env = Env::new();
    let name = |layer: SessionLayer| format!("{layer:?}");
    let with_domain = name(default_layer(&env, MemoryStore::new()).domain("example.com"));
    assert!(with_domain.contains("\"__Secure-id\""), "{with_domain}");
    let with_path = name(default_layer(&env, MemoryStore::new()).path("/app"));
    assert!(with_path.contains("\"__Secure-id\""), "{with_path}");
    let plain = name(default_layer(&env, MemoryStore::new()).secure(false));
    assert!(plain.contains("cookie_name: \"id\""), "{plain}");
}

#[tokio::test]
async fn a_secure_cookie_with_a_domain_is_secure_prefixed() {
    let env = Env::new();
    let layer = default_layer(&env, MemoryStore::new()).domain("localhost");
    let res = client(layer).get(url("/set?x")).await;
    let header = res.header("set-cookie").expect("a cookie");
    assert!(header.starts_with("__Secure-id="), "{header}");
}

#[tokio::test]
async fn without_secure_the_name_stays_id() {
    let env = Env::new();
    let client = client(default_layer(&env, MemoryStore::new()).secure(false));
    let res = client.get("http://localhost/set?x").await;
    assert!(res.cookie("id").is_some());
    assert_eq!(client.get("http://localhost/get").await.text(), "x");
}

#[tokio::test]
async fn a_chosen_host_prefix_the_settings_break_is_refused() {
    let env = Env::new();
    let layer = default_layer(&env, MemoryStore::new())
        .cookie_name("__Host-sid")
        .domain("example.com");
    assert!(matches!(
        layer.clone().validate(),
        Err(ConfigError::CookieName(name)) if name == "__Host-sid"
    ));
    // Applied anyway, it answers 500 without using the session.
    client(layer).get(url("/set?x")).expect_status(500).await;
}
