//! The axum glue: `CurrentUser` in a Router handler, `AuthError` as a
//! response.
#![cfg(feature = "axum")]

mod common;

use pastry_testkit::LogCapture;
use std::time::Duration;
use tracing::Level;

use axum::Router;
use axum::routing::{get, post};
use common::{hasher, users};
use pastry_auth::{AuthError, CurrentUser, SessionAuthLayer, User, login};
use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
use pastry_testkit::TestClient;
use tower::ServiceBuilder;

async fn me(user: CurrentUser) -> String {
    format!("{} admin={}", user.name(), user.has_role("admin"))
}

async fn hello(user: Option<CurrentUser>) -> String {
    user.map_or("hello stranger".into(), |u| format!("hello {}", u.name()))
}

async fn fails(
    axum::extract::Path(kind): axum::extract::Path<String>,
) -> Result<String, AuthError> {
    Err(match kind.as_str() {
        "credentials" => AuthError::InvalidCredentials,
        "locked" => AuthError::LockedOut {
            retry_after: Duration::from_millis(2500),
        },
        "busy" => AuthError::Busy,
        _ => AuthError::InvalidPath("secret detail".into()),
    })
}

fn app(users: pastry_auth::MemoryUserStore) -> Router {
    let known = users.clone();
    let log_in = move |req: axum::extract::Request| {
        let known = known.clone();
        async move {
            let session = req
                .session()
                .cloned()
                .ok_or(AuthError::InvalidCredentials)?;
            let user: User = pastry_auth::UserStore::find(&known, "alice")
                .await?
                .ok_or(AuthError::InvalidCredentials)?;
            login(&session, &user).await?;
            Ok::<_, AuthError>("in")
        }
    };
    Router::new()
        .route("/members", get(me))
        .route_layer(pastry_auth::RequireLoginLayer::new("/login").unwrap())
        .route("/me", get(me))
        .route("/", get(hello))
        .route("/fail/{kind}", get(fails))
        .route("/login", post(log_in))
        .layer(
            ServiceBuilder::new()
                .layer(SessionLayer::new(MemoryStore::new()).secure(false))
                .layer(SessionAuthLayer::new(users)),
        )
}

#[tokio::test]
async fn current_user_is_401_when_anonymous_and_the_user_when_logged_in() {
    let hasher = hasher();
    let client = TestClient::new(app(users(&hasher)));
    let res = client.get("/me").expect_status(401).await;
    res.assert_header("content-type", "application/json");
    assert_eq!(client.get("/").await.text(), "hello stranger");

    client
        .get("/members")
        .expect_status(303)
        .await
        .assert_header("location", "/login?next=/members");

    client.post("/login").expect_status(200).await;
    assert_eq!(client.get("/me").await.text(), "alice admin=true");
    assert_eq!(client.get("/members").await.text(), "alice admin=true");
    assert_eq!(client.get("/").await.text(), "hello alice");
}

#[tokio::test]
async fn current_user_without_an_auth_layer_is_a_logged_500() {
    let logs = LogCapture::start();
    let bare: Router = Router::new().route("/me", get(me)).route("/", get(hello));
    let client = TestClient::new(bare);
    client.get("/me").expect_status(500).await;
    client.get("/").expect_status(500).await;
    assert!(
        logs.lines_at(Level::ERROR)
            .iter()
            .any(|l| l.contains("put SessionAuthLayer (or BasicAuthLayer) outside it")),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn auth_errors_become_responses() {
    let logs = LogCapture::start();
    let hasher = hasher();
    let client = TestClient::new(app(users(&hasher)));
    client.get("/fail/credentials").expect_status(401).await;
    client
        .get("/fail/locked")
        .expect_status(429)
        .await
        .assert_header("retry-after", "3");
    client
        .get("/fail/busy")
        .expect_status(503)
        .await
        .assert_header("retry-after", "1");
    let res = client.get("/fail/other").expect_status(500).await;
    let id = res.header("x-error-id").expect("an error id").to_owned();
    res.assert_text_contains(&id);
    assert!(
        !res.text().contains("secret detail"),
        "details stay in the log"
    );
    let errors = logs.lines_at(Level::ERROR);
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&id) && l.contains("secret detail")),
        "{}",
        logs.text()
    );
}
