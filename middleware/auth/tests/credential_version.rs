//! Sessions bound to a credential version survive a restart that re-hashes
//! users built in code; without one, the reason for the logout is logged.

mod common;

use common::{hasher, site_on};
use pastry_auth::{MemoryUserStore, PasswordHasher, User};
use pastry_sessions::MemoryStore;
use pastry_testkit::LogCapture;
use pastry_testkit::TestClient;
use tracing::Level;

/// What a process that builds its users in code does at start-up: a fresh
/// hasher, fresh salts.
fn users_built_in_code(hasher: &PasswordHasher, version: Option<u64>) -> MemoryUserStore {
    let hash = hasher.hash_blocking("wonderland").unwrap();
    let users = MemoryUserStore::new();
    users.insert(match version {
        Some(v) => User::builder("alice", hash).credential_version(v).build(),
        None => User::new("alice", hash),
    });
    users
}

async fn log_in_and_move(
    version_before: Option<u64>,
    version_after: Option<u64>,
) -> (String, LogCapture) {
    let store = MemoryStore::new();
    let (first_hasher, second_hasher) = (hasher(), hasher());
    let first = TestClient::new(site_on(
        users_built_in_code(&first_hasher, version_before),
        first_hasher,
        store.clone(),
    ));
    first
        .post("/login")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(303)
        .await;
    assert_eq!(first.get("/whoami").await.text(), "user=alice;roles=");

    // The "restarted" process: same store, users hashed again.
    let second = TestClient::new(site_on(
        users_built_in_code(&second_hasher, version_after),
        second_hasher,
        store,
    ));
    second.set_cookie("id", &first.cookie("id").unwrap());
    let logs = LogCapture::start();
    let who = second.get("/whoami").await.text();
    (who, logs)
}

#[tokio::test]
async fn credential_version_survives_a_rehash_in_another_process() {
    let (who, _) = log_in_and_move(Some(1), Some(1)).await;
    assert_eq!(who, "user=alice;roles=");
}

#[tokio::test]
async fn bumped_credential_version_logs_out_with_the_reason() {
    let (who, logs) = log_in_and_move(Some(1), Some(2)).await;
    assert_eq!(who, "user=-;roles=");
    let info = logs.lines_at(Level::INFO);
    assert!(
        info.iter()
            .any(|l| l.contains("credential version changed since login")),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn without_a_version_the_rehash_logs_out_with_a_warning_naming_the_fix() {
    let (who, logs) = log_in_and_move(None, None).await;
    assert_eq!(who, "user=-;roles=");
    let warnings = logs.lines_at(Level::WARN);
    assert!(
        warnings
            .iter()
            .any(|l| l.contains("password hash changed since login")
                && l.contains("User::credential_version")),
        "{}",
        logs.text()
    );
}
