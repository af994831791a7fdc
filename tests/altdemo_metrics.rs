//! The altdemo's `/metrics`: refused without Basic auth as an admin, and a
//! scrape shows each mount's requests and the other crates' counters.
#![cfg(feature = "metrics")]

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use pastry::sessions::AnyStore;
use pastry_testkit::TestClient;

fn config() -> app::Config {
    let store = AnyStore::from_url("memory:").unwrap();
    app::Config::new(store, false, false)
}

#[tokio::test(flavor = "current_thread")]
async fn metrics_are_refused_to_anyone_but_an_admin() {
    let client = TestClient::new(app::stack(config()).unwrap());
    client.get("/metrics").expect_status(401).await;
    client
        .get("/metrics")
        .basic_auth("alice", "wrong")
        .expect_status(401)
        .await;
    // bob is a user, not an admin.
    client
        .get("/metrics")
        .basic_auth("bob", "builder")
        .expect_status(403)
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_scrape_shows_requests_by_mount_and_the_crates_own_counters() {
    let config = config();
    let handle = config.metrics.clone();
    // `main` installs the registry globally; a test keeps it to its thread.
    let _here = handle.install_local();
    let client = TestClient::new(app::stack(config).unwrap());
    client.get("/blog/").await;
    client.get("/blog/a/b/c").await;
    client.get("/forum/").await;
    client.get("/api/health").await;
    client.get("/counter").await;
    client.get("/no/such/page").expect_status(404).await;
    client.get("/boom").expect_status(500).await;
    client
        .post("/login")
        .form(&[("username", "bob"), ("password", "wrong"), ("next", "/")])
        .any_status()
        .await;

    let res = client
        .get("/metrics")
        .basic_auth("alice", "wonderland")
        .await;
    res.assert_status(200)
        .assert_header("content-type", "text/plain; version=0.0.4; charset=utf-8");
    let text = res.text();
    for line in [
        r#"pastry_http_requests_total{mount="/blog",method="GET",status="2xx"} 2"#,
        r#"pastry_http_requests_total{mount="/forum",method="GET",status="2xx"} 1"#,
        r#"pastry_http_requests_total{mount="/api",method="GET",status="2xx"} 1"#,
        r#"pastry_http_requests_total{mount="/",method="GET",status="2xx"} 1"#,
        r#"pastry_http_requests_total{mount="/",method="GET",status="4xx"} 1"#,
        r#"pastry_http_requests_in_flight{mount="/blog"} 0"#,
        "pastry_catch_panics_total 1",
        "pastry_auth_failed_logins_total 1",
        r#"pastry_sessions_saved_total{store="memory"}"#,
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    // Labels name mounts, never paths or users.
    assert!(!text.contains("/a/b/c"));
    assert!(!text.contains("/no/such/page"));
    assert!(!text.contains("bob"));
}
