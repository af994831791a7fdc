//! HTTP Basic: challenge, malformed headers, success environ, dummy hash.

mod common;

use common::{hasher, users, whoami};
use pastry_auth::{Authenticator, BasicAuthLayer};
use pastry_testkit::TestClient;
use tower::ServiceBuilder;

fn client() -> (TestClient, pastry_auth::PasswordHasher) {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher.clone());
    let app = ServiceBuilder::new()
        .layer(
            BasicAuthLayer::builder(auth)
                .realm("Staff \"only\" \\ here")
                .build()
                .unwrap(),
        )
        .service(whoami());
    (TestClient::new(app), hasher)
}

const CHALLENGE: &str = r#"Basic realm="Staff \"only\" \\ here", charset="UTF-8""#;

#[tokio::test]
async fn missing_credentials_get_the_challenge() {
    let (client, _) = client();
    let res = client.get("/").expect_status(401).await;
    res.assert_header("www-authenticate", CHALLENGE);
}

#[tokio::test]
async fn malformed_basic_headers_get_401_never_500() {
    let (client, _) = client();
    let no_colon = "Basic YWxpY2U="; // "alice"
    let bad_base64 = "Basic ***notbase64***";
    let not_utf8 = "Basic YenKOnB3"; // 0x61 0xe9 0xca ':' 'p' 'w'
    for value in [
        "",
        "Basic",
        "Basic ",
        no_colon,
        bad_base64,
        not_utf8,
        "Bearer abc",
        "Digest username=\"alice\"",
        "YWxpY2U6d29uZGVybGFuZA==",
    ] {
        let res = client
            .get("/")
            .header("authorization", value)
            .expect_status(401)
            .await;
        res.assert_header("www-authenticate", CHALLENGE);
    }
}

#[tokio::test]
async fn right_credentials_set_remote_user_and_roles() {
    let (client, _) = client();
    let res = client.get("/").basic_auth("alice", "wonderland").await;
    assert_eq!(res.text(), "user=alice;roles=admin,staff");
    let res = client.get("/").basic_auth("bob", "builder").await;
    assert_eq!(res.text(), "user=bob;roles=");
}

#[tokio::test]
async fn scheme_is_case_insensitive() {
    let (client, _) = client();
    let res = client
        .get("/")
        .header("authorization", "bAsIc Ym9iOmJ1aWxkZXI=")
        .await;
    assert_eq!(res.text(), "user=bob;roles=");
}

#[tokio::test]
async fn wrong_password_gets_the_challenge() {
    let (client, _) = client();
    let res = client
        .get("/")
        .basic_auth("alice", "guess")
        .expect_status(401)
        .await;
    res.assert_header("www-authenticate", CHALLENGE);
    assert!(!res.text().contains("alice"));
}

#[tokio::test]
async fn unknown_user_runs_the_dummy_verification() {
    let (client, hasher) = client();
    assert_eq!(hasher.dummy_verifications(), 0);
    client
        .get("/")
        .basic_auth("mallory", "x")
        .expect_status(401)
        .await;
    assert_eq!(hasher.dummy_verifications(), 1);
    client
        .get("/")
        .basic_auth("alice", "guess")
        .expect_status(401)
        .await;
    assert_eq!(
        hasher.dummy_verifications(),
        1,
        "known users verify against their own hash"
    );
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let (client, _) = client();
    let unknown = client
        .get("/")
        .basic_auth("mallory", "x")
        .expect_status(401)
        .await;
    let wrong = client
        .get("/")
        .basic_auth("alice", "x")
        .expect_status(401)
        .await;
    assert_eq!(unknown.headers(), wrong.headers());
    assert_eq!(unknown.bytes(), wrong.bytes());
}

#[tokio::test]
async fn exhausted_verification_bound_gets_503() {
    let hasher = pastry_auth::PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .max_concurrent(1)
        .max_queue(0)
        .build()
        .unwrap();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started, running) = tokio::sync::oneshot::channel();
    let holder = tokio::spawn({
        let hasher = hasher.clone();
        async move {
            hasher
                .run(move || {
                    let _ = started.send(());
                    let _ = wait.recv();
                })
                .await
        }
    });
    running.await.unwrap();
    let res = client
        .get("/")
        .basic_auth("alice", "wonderland")
        .expect_status(503)
        .await;
    assert!(res.header("retry-after").is_some());
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    client
        .get("/")
        .basic_auth("alice", "wonderland")
        .expect_status(200)
        .await;
}

/// A store that is down.
struct BrokenStore;

impl pastry_auth::UserStore for BrokenStore {
    async fn find(&self, _name: &str) -> Result<Option<pastry_auth::User>, pastry_auth::AuthError> {
        Err(pastry_auth::AuthError::Store("database unreachable".into()))
    }
}

#[tokio::test]
async fn failing_store_is_a_500_not_a_401() {
    let auth = Authenticator::new(BrokenStore).hasher(hasher());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    let res = client
        .get("/")
        .basic_auth("alice", "wonderland")
        .expect_status(500)
        .await;
    assert!(
        !res.text().contains("database"),
        "no internals in the answer"
    );
    client.get("/").expect_status(401).await;
}

#[tokio::test]
async fn responses_to_an_authenticated_user_are_cache_control_private() {
    let (client, _) = client();
    let res = client.get("/").basic_auth("alice", "wonderland").await;
    res.assert_header("cache-control", "private");
    // A refusal is the middleware's own page, not a user's response.
    let res = client.get("/").expect_status(401).await;
    assert_eq!(res.header("cache-control"), None);
}
