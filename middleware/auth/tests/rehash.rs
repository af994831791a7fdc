//! A password stored with outdated parameters is rehashed at login.

mod common;

use common::{hasher, whoami};
use pastry_auth::{
    Authenticator, BasicAuthLayer, MemoryUserStore, PasswordHasher, User, UserStore,
};
use pastry_testkit::TestClient;
use tower::ServiceBuilder;

#[tokio::test]
async fn outdated_hash_is_rehashed_and_saved_at_login() {
    let old = PasswordHasher::builder()
        .memory_kib(32)
        .iterations(1)
        .build()
        .unwrap();
    let current = hasher();
    let users = MemoryUserStore::new();
    let old_hash = old.hash_blocking("pw").unwrap();
    users.insert(
        User::builder("dave", old_hash.clone())
            .roles(["ops"])
            .build(),
    );
    assert!(current.needs_rehash(&old_hash));

    let auth = Authenticator::new(users.clone()).hasher(current.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    client.get("/").basic_auth("dave", "pw").await;

    let dave = users.find("dave").await.unwrap().unwrap();
    assert_ne!(dave.password_hash(), old_hash);
    assert!(!current.needs_rehash(dave.password_hash()));
    assert!(dave.roles().contains("ops"));
    let res = client.get("/").basic_auth("dave", "pw").await;
    assert_eq!(res.text(), "user=dave;roles=ops");
}

#[tokio::test]
async fn rehash_can_be_turned_off() {
    let old = PasswordHasher::builder()
        .memory_kib(32)
        .iterations(1)
        .build()
        .unwrap();
    let users = MemoryUserStore::new();
    let old_hash = old.hash_blocking("pw").unwrap();
    users.insert(User::new("dave", old_hash.clone()));
    let auth = Authenticator::new(users.clone())
        .hasher(hasher())
        .rehash(false);
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    client.get("/").basic_auth("dave", "pw").await;
    assert_eq!(
        users.find("dave").await.unwrap().unwrap().password_hash(),
        old_hash
    );
}
