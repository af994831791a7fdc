//! A layer missing the layer it needs fails loudly: a 500 and an
//! error-level log naming the fix, never a silently anonymous request.

mod common;

use common::{hasher, users, whoami};
use pastry_auth::{
    Authenticator, BasicAuthLayer, LoginForm, Logout, RequireLoginLayer, RequireRoleLayer,
    SessionAuthLayer,
};
use pastry_sessions::{MemoryStore, SessionLayer};
use pastry_testkit::LogCapture;
use pastry_testkit::TestClient;
use tower::ServiceBuilder;
use tracing::Level;

fn assert_logged_fix(logs: &LogCapture, needle: &str) {
    let errors = logs.lines_at(Level::ERROR);
    assert!(
        errors.iter().any(|line| line.contains(needle)),
        "no error naming {needle:?} in:\n{}",
        logs.text()
    );
}

#[tokio::test]
async fn session_auth_outside_session_layer_is_a_logged_500() {
    let logs = LogCapture::start();
    let hasher = hasher();
    let wrong = ServiceBuilder::new()
        .layer(SessionAuthLayer::new(users(&hasher)))
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .service(whoami());
    let client = TestClient::new(wrong);
    client.get("/").expect_status(500).await;
    assert_logged_fix(&logs, "SessionAuthLayer found no session");
    assert_logged_fix(&logs, "needs SessionLayer outside it");

    let right = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .layer(SessionAuthLayer::new(users(&hasher)))
        .service(whoami());
    let res = TestClient::new(right).get("/").await;
    assert_eq!(res.text(), "user=-;roles=");
}

#[tokio::test]
async fn login_form_without_sessions_is_a_logged_500() {
    let logs = LogCapture::start();
    let hasher = hasher();
    let form = LoginForm::new(Authenticator::new(users(&hasher)).hasher(hasher));
    let client = TestClient::new(form);
    client.get("/login").expect_status(500).await;
    client
        .post("/login")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(500)
        .await;
    assert_logged_fix(&logs, "needs SessionLayer outside it");
    assert!(
        logs.text().contains("service=\"LoginForm\"") || logs.text().contains("service=LoginForm")
    );
}

#[tokio::test]
async fn logout_without_sessions_is_a_logged_500() {
    let logs = LogCapture::start();
    let client = TestClient::new(Logout::new());
    client.post("/logout").expect_status(500).await;
    assert_logged_fix(&logs, "needs SessionLayer outside it");
    assert!(logs.text().contains("Logout"));
}

#[tokio::test]
async fn require_login_without_an_auth_layer_is_a_logged_500() {
    let logs = LogCapture::start();
    let alone = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .layer(RequireLoginLayer::new("/login").unwrap())
        .service(whoami());
    TestClient::new(alone)
        .get("/private")
        .expect_status(500)
        .await;
    assert_logged_fix(&logs, "no auth layer ran before this guard");
    assert_logged_fix(&logs, "RequireLoginLayer");

    // Inside SessionAuthLayer, an anonymous request is sent to the login page.
    let hasher = hasher();
    let right = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .layer(SessionAuthLayer::new(users(&hasher)))
        .layer(RequireLoginLayer::new("/login").unwrap())
        .service(whoami());
    TestClient::new(right)
        .get("/private")
        .expect_status(303)
        .await
        .assert_header("location", "/login?next=/private");
}

#[tokio::test]
async fn require_login_outside_the_auth_layer_is_a_logged_500() {
    let logs = LogCapture::start();
    let hasher = hasher();
    let wrong = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .layer(RequireLoginLayer::new("/login").unwrap())
        .layer(SessionAuthLayer::new(users(&hasher)))
        .service(whoami());
    TestClient::new(wrong)
        .get("/private")
        .expect_status(500)
        .await;
    assert_logged_fix(&logs, "put SessionAuthLayer (or BasicAuthLayer) outside it");
}

#[tokio::test]
async fn require_role_without_an_auth_layer_is_a_logged_500() {
    let logs = LogCapture::start();
    let alone = ServiceBuilder::new()
        .layer(RequireRoleLayer::new("admin"))
        .service(whoami());
    TestClient::new(alone)
        .get("/admin")
        .expect_status(500)
        .await;
    assert_logged_fix(&logs, "RequireRoleLayer");

    let hasher = hasher();
    let right = ServiceBuilder::new()
        .layer(BasicAuthLayer::new(
            Authenticator::new(users(&hasher)).hasher(hasher),
        ))
        .layer(RequireRoleLayer::new("admin"))
        .service(whoami());
    let client = TestClient::new(right);
    client
        .get("/admin")
        .basic_auth("bob", "builder")
        .expect_status(403)
        .await;
    client
        .get("/admin")
        .basic_auth("alice", "wonderland")
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn remote_user_set_by_hand_still_passes_the_guards() {
    // Tests that set RemoteUser on a synthetic request need no auth layer.
    let app = ServiceBuilder::new()
        .layer(RequireLoginLayer::new("/login").unwrap())
        .service(whoami());
    let res = TestClient::new(app)
        .get("/private")
        .remote_user("carol")
        .expect_status(200)
        .await;
    assert_eq!(res.text(), "user=carol;roles=");
}
