//! The starter app driven in-process through the test kit.

use pastry::auth::{MemoryUserStore, PasswordHasher, User};
use pastry::sessions::AnyStore;
use pastry::testkit::TestClient;

fn client() -> TestClient {
    // Cheap argon2 parameters keep the test fast; production uses the default.
    let hasher = PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap();
    let users = MemoryUserStore::new();
    users.insert(User::new(
        "alice",
        hasher.hash_blocking("wonderland").unwrap(),
    ));
    let store = AnyStore::from_url("memory:").unwrap();
    TestClient::new(pastry_starter::app(users, hasher, store, true))
}

#[tokio::test]
async fn notes_belong_to_the_logged_in_user_and_go_with_logout() {
    let client = client();
    assert_eq!(
        client.get("/").await.text(),
        "hello stranger: POST username and password to /login\n"
    );
    client.get("/notes").expect_status(401).await;

    client
        .post("/login")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(303)
        .await;
    assert_eq!(client.get("/").await.text(), "hello alice\n");

    client
        .post("/notes")
        .json(&serde_json::json!({"text": "buy milk"}))
        .await;
    let notes: Vec<String> = client.get("/notes").await.json();
    assert_eq!(notes, ["buy milk"]);

    client.post("/logout").expect_status(303).await;
    client.get("/notes").expect_status(401).await;
}

#[tokio::test]
async fn another_site_cannot_post_the_login_form() {
    let client = client();
    client
        .post("/login")
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(403)
        .await;
    assert_eq!(
        client.get("/").await.text(),
        "hello stranger: POST username and password to /login\n"
    );
}
