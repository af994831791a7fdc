//! Hostile clients: huge names, many names, many addresses, many failed
//! logins. Each limit holds and costs a bounded amount of memory and work.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{hasher, users, whoami};
use pastry_auth::{
    Authenticator, BasicAuthLayer, DEFAULT_ACCOUNT_FAILURES, LoginForm, MAX_NAME_LEN, ManualClock,
    MemoryUserStore, PasswordHasher,
};
use pastry_sessions::{MemoryStore, SessionLayer};
use pastry_testkit::TestClient;
use tower::ServiceBuilder;

fn form_client(auth: Authenticator<MemoryUserStore>) -> TestClient {
    TestClient::new(
        ServiceBuilder::new()
            .layer(SessionLayer::new(MemoryStore::new()).secure(false))
            .service(LoginForm::new(auth)),
    )
}

#[tokio::test]
async fn thousand_unique_15_kb_names_cost_no_argon2_and_no_records() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher.clone());
    let client = form_client(auth.clone());
    let runs = hasher.argon2_runs();
    for i in 0..1000 {
        let name = format!("{i:0>15000}");
        client
            .post("/")
            .form(&[("username", name.as_str()), ("password", "x")])
            .client_addr(common::addr((i % 200) as u8))
            .expect_status(401)
            .await;
    }
    assert_eq!(hasher.argon2_runs(), runs, "refused before any argon2 work");
    assert_eq!(auth.throttle_len(), 0, "and before the throttle");
    println!(
        "throttle records after 1000 x 15 KB names: {}",
        auth.throttle_len()
    );
}

#[tokio::test]
async fn names_at_the_limit_are_still_checked() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher.clone());
    let at_limit = "a".repeat(MAX_NAME_LEN);
    let over = "a".repeat(MAX_NAME_LEN + 1);
    let runs = hasher.argon2_runs();
    assert!(auth.authenticate(&at_limit, "x", None).await.is_err());
    assert_eq!(
        hasher.argon2_runs(),
        runs + 1,
        "a name at the limit is checked"
    );
    assert!(auth.authenticate(&over, "x", None).await.is_err());
    assert_eq!(hasher.argon2_runs(), runs + 1, "one over it is not");
}

#[tokio::test]
async fn throttle_table_is_bounded_by_its_capacity() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher))
        .hasher(hasher)
        .throttle_capacity(100);
    for i in 0..1000 {
        let name = format!("{i:0>250}");
        let addr = std::net::IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8]);
        assert!(auth.authenticate(&name, "x", Some(addr)).await.is_err());
        assert!(auth.throttle_len() <= 200, "two tables of 100 at most");
    }
    println!(
        "throttle records after 1000 unique 250-byte names, capacity 100: {}",
        auth.throttle_len()
    );
}

#[tokio::test]
async fn account_limit_holds_across_many_addresses() {
    let clock = ManualClock::new();
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher))
        .hasher(hasher.clone())
        .clock(clock.clone());
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    let mut statuses = Vec::new();
    for i in 0..120u32 {
        let addr = SocketAddr::from(([198, 51, 100, (i % 24) as u8], 40000));
        let res = client
            .get("/")
            .basic_auth("alice", &format!("guess{i}"))
            .client_addr(addr)
            .any_status()
            .await;
        statuses.push(res.status().as_u16());
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let failed = statuses.iter().filter(|s| **s == 401).count();
    println!("120 wrong passwords from 24 addresses: {failed} x 401, {refused} x 429");
    assert_eq!(failed, DEFAULT_ACCOUNT_FAILURES as usize);
    assert_eq!(refused, 20);
    assert!(statuses[..100].iter().all(|s| *s == 401));

    // The right password from a new address is refused too while the
    // account is over its limit, and accepted once it has drained a step.
    let fresh = SocketAddr::from(([203, 0, 113, 1], 40000));
    client
        .get("/")
        .basic_auth("alice", "wonderland")
        .client_addr(fresh)
        .expect_status(429)
        .await
        .assert_header("retry-after", "36");
    clock.advance(Duration::from_secs(36));
    client
        .get("/")
        .basic_auth("alice", "wonderland")
        .client_addr(fresh)
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn ipv6_clients_in_one_64_share_a_lockout() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher))
        .hasher(hasher)
        .max_failures(3);
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(whoami()),
    );
    for i in 1..=3u16 {
        let addr = SocketAddr::new(format!("2001:db8:5:6::{i:x}").parse().unwrap(), 40000);
        client
            .get("/")
            .basic_auth("bob", "x")
            .client_addr(addr)
            .expect_status(401)
            .await;
    }
    let same_64 = SocketAddr::new("2001:db8:5:6:ffff::9".parse().unwrap(), 1);
    client
        .get("/")
        .basic_auth("bob", "builder")
        .client_addr(same_64)
        .expect_status(429)
        .await;
    let other_64 = SocketAddr::new("2001:db8:5:7::1".parse().unwrap(), 1);
    client
        .get("/")
        .basic_auth("bob", "builder")
        .client_addr(other_64)
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn first_unknown_name_costs_one_argon2_run_like_a_wrong_password() {
    let hasher = hasher();
    assert!(
        hasher
            .dummy_hash()
            .starts_with("$argon2id$v=19$m=64,t=1,p=1$")
    );
    let auth = Authenticator::new(users(&hasher)).hasher(hasher.clone());
    let runs = hasher.argon2_runs();
    assert!(auth.authenticate("mallory", "x", None).await.is_err());
    assert_eq!(
        hasher.argon2_runs(),
        runs + 1,
        "no lazy dummy hash on first use"
    );
    assert!(auth.authenticate("alice", "x", None).await.is_err());
    assert_eq!(hasher.argon2_runs(), runs + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argon2_memory_is_pooled_per_concurrent_slot() {
    let hasher = PasswordHasher::builder()
        .memory_kib(1024)
        .iterations(1)
        .max_concurrent(2)
        .max_queue(1000)
        .max_wait(Duration::from_secs(600))
        .build()
        .unwrap();
    let phc = hasher.hash("secret").await.unwrap();
    let jobs: Vec<_> = (0..200)
        .map(|i| {
            let hasher = hasher.clone();
            let phc = phc.clone();
            tokio::spawn(async move { hasher.verify(&format!("guess{i}"), &phc).await })
        })
        .collect();
    for job in jobs {
        assert!(!job.await.unwrap().unwrap());
    }
    assert_eq!(hasher.argon2_runs(), 201);
    let buffers = hasher.memory_buffers();
    assert!((1..=2).contains(&buffers), "{buffers} buffers for 201 runs");
}
