//! The altdemo's `/api` with API tokens: a token made in its tokens file
//! (as `pastry-passwd token create` makes one) is the token's user at
//! `/api/me`; no token is a 401 from the app, a wrong one a 401 from the
//! layer; the public routes stay public.

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use pastry::auth::FileTokenStore;
use pastry::sessions::AnyStore;
use pastry_testkit::TestClient;
use serde_json::json;

/// The demo over a tokens file in `dir`, with the tokens `make` writes
/// there first.
fn demo(dir: &std::path::Path, make: impl FnOnce(&FileTokenStore)) -> TestClient {
    let path = dir.join("tokens.txt");
    make(&FileTokenStore::open(&path).unwrap());
    let mut config = app::Config::new(AnyStore::from_url("memory:").unwrap(), false, false);
    config.tokens_file = path;
    TestClient::new(app::stack(config).unwrap())
}

#[tokio::test(flavor = "current_thread")]
async fn a_token_from_the_tokens_file_is_its_user_at_api_me() {
    let dir = tempfile::tempdir().unwrap();
    let mut secret = None;
    let client = demo(dir.path(), |tokens| {
        secret = Some(tokens.create("ci", "alice", ["api"], None).unwrap());
    });
    let secret = secret.unwrap();
    client
        .get("/api/me")
        .header("authorization", format!("Bearer {}", secret.expose()))
        .expect_status(200)
        .await
        .assert_json(&json!({"user": "alice", "roles": ["api"]}));
}

#[tokio::test(flavor = "current_thread")]
async fn without_a_token_api_me_is_401_and_a_wrong_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let client = demo(dir.path(), |_| {});
    client.get("/api/health").expect_status(200).await;
    client.get("/api/me").expect_status(401).await;
    client
        .get("/api/me")
        .header("authorization", "Bearer pst_not-a-real-token")
        .expect_status(401)
        .await
        .assert_header("www-authenticate", "Bearer error=\"invalid_token\"");
}
