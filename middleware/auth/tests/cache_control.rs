//! Responses for logged-in users default to `Cache-Control: private`
//! (issue 16, item 2), unless the app chose its own.

mod common;

use std::convert::Infallible;

use common::{hasher, site, users};
use http::{Request, Response};
use pastry_auth::{Authenticator, LoginForm, SessionAuthLayer};
use pastry_core::Environ;
use pastry_sessions::{MemoryStore, SessionLayer};
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, ServiceExt};

async fn log_in(client: &TestClient) {
    client
        .post("/login")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(303)
        .await;
}

#[tokio::test]
async fn session_auth_marks_logged_in_responses_private() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client.get("/whoami").await;
    assert_eq!(res.header("cache-control"), None, "anonymous: left alone");
    log_in(&client).await;
    let res = client.get("/whoami").await;
    assert_eq!(res.text(), "user=alice;roles=admin,staff");
    res.assert_header("cache-control", "private");
}

#[tokio::test]
async fn require_login_marks_its_responses_private() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    log_in(&client).await;
    let res = client.get("/private").await;
    res.assert_header("cache-control", "private");
}

#[tokio::test]
async fn the_apps_own_cache_control_is_kept() {
    let hasher = hasher();
    let users = users(&hasher);
    let form = LoginForm::new(Authenticator::new(users.clone()).hasher(hasher));
    let app = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()))
        .layer(SessionAuthLayer::new(users))
        .service_fn(move |req: Request<Body>| {
            let form = form.clone();
            async move {
                if req.uri().path() == "/login" {
                    let res = form.oneshot(req).await?;
                    return Ok::<_, Infallible>(res.map(|b| {
                        use http_body_util::BodyExt;
                        b.map_err(|e| match e {}).boxed()
                    }));
                }
                let mut res = Response::new(http_body_util::Full::from(
                    req.remote_user().unwrap_or("-").to_owned(),
                ));
                res.headers_mut()
                    .insert("cache-control", "no-store".parse().unwrap());
                Ok(res.map(|b| {
                    use http_body_util::BodyExt;
                    b.map_err(|e| match e {}).boxed()
                }))
            }
        });
    let client = TestClient::new(app);
    log_in(&client).await;
    let res = client.get("/mine").await;
    assert_eq!(res.text(), "alice");
    assert_eq!(res.header_all("cache-control"), vec!["no-store"]);
}
