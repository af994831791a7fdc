//! The LoginForm page itself: rendering, escaping, methods, bad bodies.

mod common;

use common::{hasher, site, users};
use pastry_testkit::TestClient;

#[tokio::test]
async fn get_renders_the_form_with_a_safe_next() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client.get("/login?next=%2Faccount").await;
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(res.header("cache-control"), Some("no-store"));
    res.assert_text_contains("<form method=\"post\">");
    res.assert_text_contains("name=\"next\" value=\"/account\"");
    let res = client.get("/login?next=%2F%2Fevil.example").await;
    res.assert_text_contains("name=\"next\" value=\"\"");
}

#[tokio::test]
async fn failure_output_is_html_escaped() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client
        .post("/login")
        .form(&[
            ("username", "<script>alert('x')</script>\""),
            ("password", "p"),
            ("next", "/a\"onmouseover=\"x"),
        ])
        .expect_status(401)
        .await;
    let html = res.text();
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;"));
    assert!(!html.contains("onmouseover=\"x"));
    assert!(!html.contains("\"p\""), "the password is never echoed");
}

#[tokio::test]
async fn other_methods_get_405() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client.put("/login").expect_status(405).await;
    res.assert_header("allow", "GET, HEAD, POST");
}

#[tokio::test]
async fn non_form_body_gets_415() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    client
        .post("/login")
        .json(&serde_json::json!({"username": "alice", "password": "wonderland"}))
        .expect_status(415)
        .await;
}

#[tokio::test]
async fn oversized_form_gets_413() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let big = "x".repeat(20_000);
    client
        .post("/login")
        .form(&[("username", "alice"), ("password", big.as_str())])
        .expect_status(413)
        .await;
}

#[tokio::test]
async fn form_logins_are_throttled() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    for _ in 0..5 {
        client
            .post("/login")
            .form(&[("username", "bob"), ("password", "x")])
            .expect_status(401)
            .await;
    }
    let res = client
        .post("/login")
        .form(&[("username", "bob"), ("password", "builder")])
        .expect_status(429)
        .await;
    assert!(res.header("retry-after").is_some());
    res.assert_text_contains("Too many failed attempts");
}

#[tokio::test]
async fn head_gets_the_headers_without_a_body() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client.head("/login").await;
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(res.bytes().is_empty());
}
