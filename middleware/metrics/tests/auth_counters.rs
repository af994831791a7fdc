//! `pastry-auth` with its `metrics` feature: failed logins and the
//! attempts refused during a lockout, never labelled by user name.

mod common;

use std::convert::Infallible;

use http::{Request, Response};
use pastry_auth::{Authenticator, BasicAuthLayer, MemoryUserStore, PasswordHasher, User};
use pastry_core::ManualClock;
use pastry_metrics::MetricsHandle;
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, service_fn};

use common::value;

#[tokio::test(flavor = "current_thread")]
async fn failed_logins_and_lockouts_are_counted() {
    let handle = MetricsHandle::new();
    let _recorder = metrics::set_default_local_recorder(handle.recorder());
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
    let authenticator = Authenticator::new(users)
        .hasher(hasher)
        .clock(ManualClock::new())
        .max_failures(2);
    let app = ServiceBuilder::new()
        .layer(BasicAuthLayer::new(authenticator))
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(String::from("in")))
        }));
    let client = TestClient::new(app);
    for _ in 0..2 {
        client
            .get("/")
            .basic_auth("alice", "guess")
            .expect_status(401)
            .await;
    }
    // Locked out now, even with the right password.
    let refused = client
        .get("/")
        .basic_auth("alice", "wonderland")
        .any_status()
        .await;
    assert_ne!(refused.status(), 200);

    let text = handle.render();
    assert_eq!(
        value(&text, "pastry_auth_failed_logins_total"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"pastry_auth_lockouts_total{reason="address"}"#),
        Some(1.0)
    );
    assert!(!text.contains("alice"));
}
