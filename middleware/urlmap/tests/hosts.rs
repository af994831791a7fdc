//! Host mounts: case-insensitive names, ports only when the key names one,
//! wildcards, host plus prefix, and host mounts before host-less ones.

mod common;

use common::echo;
use pastry_core::UrlScheme;
use pastry_testkit::TestClient;
use pastry_urlmap::{Mount, UrlMap};

fn client() -> TestClient {
    let map = UrlMap::builder()
        .host("api.example.com", echo("api"))
        .mount(Mount::at("/v2").host("api.example.com"), echo("api-v2"))
        .host("api.example.com:8443", echo("api-8443"))
        .host("*.example.com", echo("any-sub"))
        .host("*.eu.example.com", echo("eu-sub"))
        .mount(
            Mount::at("/docs").host("docs.example.org"),
            echo("docs-org"),
        )
        .mount("/", echo("default"))
        .mount("/v2", echo("pathless-v2"))
        .build()
        .unwrap();
    TestClient::new(map)
}

#[tokio::test]
async fn host_match_is_case_insensitive_and_ignores_a_trailing_dot() {
    let client = client();
    client
        .get("http://api.example.com/x")
        .await
        .assert_text_contains("api script= path=/x ");
    client
        .get("/x")
        .header("host", "API.Example.COM")
        .await
        .assert_text_contains("api script= path=/x ");
    client
        .get("/x")
        .header("host", "api.example.com.")
        .await
        .assert_text_contains("api ");
}

#[tokio::test]
async fn port_is_ignored_unless_the_key_names_one() {
    let client = client();
    client
        .get("http://api.example.com:9000/x")
        .await
        .assert_text_contains("api ");
    client
        .get("http://api.example.com:8443/x")
        .await
        .assert_text_contains("api-8443 ");
    // No explicit port: the scheme's default, so https is 443, not 8443.
    client
        .get("https://api.example.com/x")
        .await
        .assert_text_contains("api ");
    client
        .get("/x")
        .header("host", "api.example.com")
        .scheme(UrlScheme::Https)
        .await
        .assert_text_contains("api ");
}

#[tokio::test]
async fn host_plus_prefix_takes_the_longest_prefix_under_that_host() {
    let client = client();
    client
        .get("http://api.example.com/v2/users")
        .await
        .assert_text_contains("api-v2 script=/v2 path=/users ");
    // The port-specific key has no /v2 of its own, so it answers itself.
    client
        .get("http://api.example.com:8443/v2/users")
        .await
        .assert_text_contains("api-8443 script= path=/v2/users ");
}

#[tokio::test]
async fn wildcard_matches_subdomains_most_specific_first() {
    let client = client();
    client
        .get("http://www.example.com/")
        .await
        .assert_text_contains("any-sub ");
    client
        .get("http://a.b.example.com/")
        .await
        .assert_text_contains("any-sub ");
    client
        .get("http://paris.eu.example.com/")
        .await
        .assert_text_contains("eu-sub ");
    // The exact key beats the wildcard; the bare domain is not a subdomain.
    client
        .get("http://api.example.com/")
        .await
        .assert_text_contains("api ");
    client
        .get("http://example.com/")
        .await
        .assert_text_contains("default ");
    client
        .get("http://badexample.com/")
        .await
        .assert_text_contains("default ");
}

#[tokio::test]
async fn host_mounts_come_before_hostless_ones_and_fall_through_when_no_prefix_matches() {
    let client = client();
    client
        .get("http://api.example.com/v2")
        .await
        .assert_text_contains("api-v2 ");
    client
        .get("http://other.test/v2")
        .await
        .assert_text_contains("pathless-v2 ");
    client
        .get("http://docs.example.org/docs/a")
        .await
        .assert_text_contains("docs-org script=/docs path=/a ");
    client
        .get("http://docs.example.org/blog")
        .await
        .assert_text_contains("default script= path=/blog ");
}

#[tokio::test]
async fn malformed_host_header_is_a_bad_request() {
    let client = client();
    for bad in [
        "api.example.com:x",
        "api example.com",
        "api.example.com:99999",
        "user@api.example.com",
        "",
    ] {
        client
            .get("/x")
            .header("host", bad)
            .expect_status(400)
            .await;
    }
}

#[tokio::test]
async fn several_host_headers_are_a_bad_request() {
    let client = client();
    client
        .get("/x")
        .header("host", "api.example.com")
        .header("host", "other.test")
        .expect_status(400)
        .await;
    // Even the same host twice: RFC 9112 §3.2 says any request with more
    // than one Host line.
    client
        .get("/x")
        .header("host", "api.example.com")
        .header("host", "api.example.com")
        .expect_status(400)
        .await;
}

#[tokio::test]
async fn a_host_no_key_can_name_only_matches_hostless_mounts() {
    let client = client();
    client
        .get("/x")
        .header("host", "api%2eexample.com")
        .await
        .assert_text_contains("default ");
    // An empty port is the scheme's default.
    client
        .get("/x")
        .header("host", "api.example.com:")
        .await
        .assert_text_contains("api ");
}
