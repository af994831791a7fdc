//! Failed attempts lock a name out per client address, with growing
//! lockouts.

mod common;

use std::time::Duration;

use common::{addr, hasher, users, whoami};
use pastry_auth::{Authenticator, BasicAuthLayer, ManualClock};
use pastry_testkit::TestClient;
use tower::ServiceBuilder;

fn client(clock: &ManualClock) -> (TestClient, pastry_auth::PasswordHasher) {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher))
        .hasher(hasher.clone())
        .clock(clock.clone())
        .max_failures(3)
        .lockout(Duration::from_secs(10), Duration::from_secs(300));
    let app = ServiceBuilder::new()
        .layer(BasicAuthLayer::new(auth))
        .service(whoami());
    (TestClient::new(app), hasher)
}

#[tokio::test]
async fn repeated_failures_lock_the_name_out_for_that_address() {
    let clock = ManualClock::new();
    let (client, hasher) = client(&clock);
    for _ in 0..3 {
        client
            .get("/")
            .basic_auth("alice", "guess")
            .client_addr(addr(1))
            .expect_status(401)
            .await;
    }
    let verified = hasher.verifications();
    let res = client
        .get("/")
        .basic_auth("alice", "wonderland")
        .client_addr(addr(1))
        .expect_status(429)
        .await;
    assert_eq!(res.header("retry-after"), Some("10"));
    assert_eq!(
        hasher.verifications(),
        verified,
        "no argon2 work while locked out"
    );

    // Another address, and another name from the same address, are unaffected.
    client
        .get("/")
        .basic_auth("alice", "wonderland")
        .client_addr(addr(2))
        .await;
    client
        .get("/")
        .basic_auth("bob", "builder")
        .client_addr(addr(1))
        .await;

    clock.advance(Duration::from_secs(10));
    let res = client
        .get("/")
        .basic_auth("alice", "wonderland")
        .client_addr(addr(1))
        .await;
    assert_eq!(res.text(), "user=alice;roles=admin,staff");
}

#[tokio::test]
async fn lockouts_grow_with_further_failures() {
    let clock = ManualClock::new();
    let (client, _) = client(&clock);
    for _ in 0..3 {
        client
            .get("/")
            .basic_auth("bob", "x")
            .client_addr(addr(7))
            .expect_status(401)
            .await;
    }
    clock.advance(Duration::from_secs(10));
    client
        .get("/")
        .basic_auth("bob", "x")
        .client_addr(addr(7))
        .expect_status(401)
        .await;
    let res = client
        .get("/")
        .basic_auth("bob", "builder")
        .client_addr(addr(7))
        .expect_status(429)
        .await;
    assert_eq!(res.header("retry-after"), Some("20"));
}

#[tokio::test]
async fn unknown_names_are_throttled_too() {
    let clock = ManualClock::new();
    let (client, hasher) = client(&clock);
    for _ in 0..3 {
        client
            .get("/")
            .basic_auth("root", "toor")
            .client_addr(addr(9))
            .expect_status(401)
            .await;
    }
    let dummies = hasher.dummy_verifications();
    client
        .get("/")
        .basic_auth("root", "toor")
        .client_addr(addr(9))
        .expect_status(429)
        .await;
    assert_eq!(hasher.dummy_verifications(), dummies);
}

#[tokio::test]
async fn success_resets_the_failure_count() {
    let clock = ManualClock::new();
    let (client, _) = client(&clock);
    for _ in 0..2 {
        client
            .get("/")
            .basic_auth("alice", "guess")
            .client_addr(addr(3))
            .expect_status(401)
            .await;
    }
    client
        .get("/")
        .basic_auth("alice", "wonderland")
        .client_addr(addr(3))
        .await;
    for _ in 0..2 {
        client
            .get("/")
            .basic_auth("alice", "guess")
            .client_addr(addr(3))
            .expect_status(401)
            .await;
    }
    client
        .get("/")
        .basic_auth("alice", "wonderland")
        .client_addr(addr(3))
        .await;
}
