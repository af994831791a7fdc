//! The credential cache: hits skip argon2, entries expire, a changed hash
//! drops them.

mod common;

use std::time::Duration;

use common::{hasher, users, whoami};
use pastry_auth::{Authenticator, BasicAuthLayer, FileUserStore, ManualClock, User};
use pastry_testkit::TestClient;
use tower::ServiceBuilder;

#[tokio::test]
async fn repeated_requests_skip_argon2() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    let before = hasher.verifications();
    for _ in 0..3 {
        client.get("/").basic_auth("alice", "wonderland").await;
    }
    assert_eq!(hasher.verifications() - before, 1);
}

#[tokio::test]
async fn wrong_password_is_never_served_from_the_cache() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    client.get("/").basic_auth("alice", "wonderland").await;
    client
        .get("/")
        .basic_auth("alice", "wonderland!")
        .expect_status(401)
        .await;
    client
        .get("/")
        .basic_auth("bob", "wonderland")
        .expect_status(401)
        .await;
}

#[tokio::test]
async fn cache_entries_expire() {
    let hasher = hasher();
    let clock = ManualClock::new();
    let auth = Authenticator::new(users(&hasher))
        .hasher(hasher.clone())
        .clock(clock.clone())
        .cache_ttl(Duration::from_secs(10));
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    let before = hasher.verifications();
    client.get("/").basic_auth("alice", "wonderland").await;
    clock.advance(Duration::from_secs(9));
    client.get("/").basic_auth("alice", "wonderland").await;
    assert_eq!(hasher.verifications() - before, 1);
    clock.advance(Duration::from_secs(2));
    client.get("/").basic_auth("alice", "wonderland").await;
    assert_eq!(hasher.verifications() - before, 2);
}

#[tokio::test]
async fn zero_ttl_turns_the_cache_off() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher))
        .hasher(hasher.clone())
        .cache_ttl(Duration::ZERO);
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    let before = hasher.verifications();
    client.get("/").basic_auth("alice", "wonderland").await;
    client.get("/").basic_auth("alice", "wonderland").await;
    assert_eq!(hasher.verifications() - before, 2);
}

#[tokio::test]
async fn password_change_invalidates_the_cache() {
    let hasher = hasher();
    let users = users(&hasher);
    let auth = Authenticator::new(users.clone()).hasher(hasher.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    client.get("/").basic_auth("alice", "wonderland").await;
    users.insert(User::new(
        "alice",
        hasher.hash_blocking("looking-glass").unwrap(),
    ));
    client
        .get("/")
        .basic_auth("alice", "wonderland")
        .expect_status(401)
        .await;
    let res = client.get("/").basic_auth("alice", "looking-glass").await;
    assert_eq!(res.text(), "user=alice;roles=");
}

#[tokio::test]
async fn users_file_change_invalidates_the_cache() {
    let hasher = hasher();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    FileUserStore::save_user(
        &path,
        &User::new("carol", hasher.hash_blocking("one").unwrap()),
    )
    .unwrap();
    let users = FileUserStore::open(&path)
        .unwrap()
        .check_every(Duration::ZERO);
    let auth = Authenticator::new(users).hasher(hasher.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    client.get("/").basic_auth("carol", "one").await;
    FileUserStore::save_user(
        &path,
        &User::new("carol", hasher.hash_blocking("two").unwrap()),
    )
    .unwrap();
    client
        .get("/")
        .basic_auth("carol", "one")
        .expect_status(401)
        .await;
    client.get("/").basic_auth("carol", "two").await;
}

#[tokio::test]
async fn removed_user_is_refused_despite_the_cache() {
    let hasher = hasher();
    let users = users(&hasher);
    let auth = Authenticator::new(users.clone()).hasher(hasher.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    client.get("/").basic_auth("bob", "builder").await;
    users.remove("bob");
    client
        .get("/")
        .basic_auth("bob", "builder")
        .expect_status(401)
        .await;
}
