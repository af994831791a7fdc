//! Cache-safe session responses (issue 16, item 2): a response that sets
//! (or removes) the session cookie is `Cache-Control: private` unless the
//! app chose its own, and a response made after loading the session varies
//! on `Cookie`.

use std::convert::Infallible;

use http::{HeaderValue, Request, Response};
use pastry_sessions::{MemoryStore, SessionError, SessionExt, SessionLayer};
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

use crate::common::{Env, url};

/// `/set`: stores a value. `/get`: reads it. `/destroy`: ends the session.
/// `/static`: never touches the session. Every route copies the request's
/// `x-cache-control` and `x-vary` into its response's `Cache-Control` and
/// `Vary`.
fn client(layer: SessionLayer) -> TestClient {
    let app = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<Body>| async move {
            let session = req.session().expect("behind a SessionLayer");
            let body = match req.uri().path() {
                "/set" => session.insert("k", "v").await.map(|()| "set".to_owned()),
                "/get" => session
                    .get::<String>("k")
                    .await
                    .map(Option::unwrap_or_default),
                "/destroy" => session.destroy().await.map(|()| "bye".to_owned()),
                _ => Ok::<_, SessionError>("static".to_owned()),
            }
            .expect("session works");
            let mut res = Response::new(body);
            for (from, to) in [("x-cache-control", "cache-control"), ("x-vary", "vary")] {
                for value in req.headers().get_all(from) {
                    res.headers_mut().append(to, HeaderValue::clone(value));
                }
            }
            Ok::<_, Infallible>(res)
        });
    TestClient::new(app)
}

fn layer(env: &Env) -> SessionLayer {
    env.layer(MemoryStore::new())
}

#[tokio::test]
async fn setting_the_cookie_makes_the_response_private_and_vary_on_cookie() {
    let env = Env::new();
    let client = client(layer(&env));
    let res = client.get(url("/set")).await;
    assert!(res.header("set-cookie").is_some());
    assert_eq!(res.header_all("cache-control"), ["private"]);
    assert_eq!(res.header_all("vary"), ["cookie"]);
}

#[tokio::test]
async fn the_apps_own_cache_control_is_kept() {
    let env = Env::new();
    let client = client(layer(&env));
    let res = client
        .get(url("/set"))
        .header("x-cache-control", "no-store")
        .await;
    assert!(res.header("set-cookie").is_some());
    assert_eq!(res.header_all("cache-control"), ["no-store"]);
}

#[tokio::test]
async fn reading_the_session_varies_on_cookie_without_cache_control() {
    let env = Env::new();
    let client = client(layer(&env));
    client.get(url("/set")).await;
    // An unchanged session sends no cookie: nothing to keep private, but
    // the body was made from the session.
    let res = client.get(url("/get")).await;
    assert_eq!(res.text(), "v");
    assert_eq!(res.header("set-cookie"), None);
    assert_eq!(res.header("cache-control"), None);
    assert_eq!(res.header_all("vary"), ["cookie"]);
    // A visitor without a session: the answer still depended on the cookie.
    client.clear_cookies();
    let res = client.get(url("/get")).await;
    assert_eq!(res.header_all("vary"), ["cookie"]);
}

#[tokio::test]
async fn vary_is_merged_with_the_apps_own_and_star_is_left_alone() {
    let env = Env::new();
    let client = client(layer(&env));
    let res = client
        .get(url("/set"))
        .header("x-vary", "Accept-Encoding")
        .await;
    assert_eq!(res.header_all("vary"), ["Accept-Encoding", "cookie"]);
    let res = client
        .get(url("/get"))
        .header("x-vary", "Accept-Language, Cookie")
        .await;
    assert_eq!(res.header_all("vary"), ["Accept-Language, Cookie"]);
    let res = client.get(url("/get")).header("x-vary", "*").await;
    assert_eq!(res.header_all("vary"), ["*"]);
}

#[tokio::test]
async fn a_response_that_never_used_the_session_is_left_alone() {
    let env = Env::new();
    let client = client(layer(&env));
    client.get(url("/set")).await;
    let res = client.get(url("/static")).await;
    assert_eq!(res.header("set-cookie"), None);
    assert_eq!(res.header("cache-control"), None);
    assert_eq!(res.header("vary"), None);
}

#[tokio::test]
async fn the_removal_cookie_is_private_too() {
    let env = Env::new();
    let client = client(layer(&env));
    client.get(url("/set")).await;
    let res = client.get(url("/destroy")).await;
    assert!(
        res.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=0")
    );
    assert_eq!(res.header_all("cache-control"), ["private"]);
    assert_eq!(res.header_all("vary"), ["cookie"]);
}

#[tokio::test]
async fn both_headers_can_be_turned_off() {
    let env = Env::new();
    let client = client(layer(&env).cache_control(false).vary_cookie(false));
    let res = client.get(url("/set")).await;
    assert!(res.header("set-cookie").is_some());
    assert_eq!(res.header("cache-control"), None);
    assert_eq!(res.header("vary"), None);
    let res = client.get(url("/get")).await;
    assert_eq!(res.header("vary"), None);
}
