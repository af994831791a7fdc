//! The cases Werkzeug's ProxyFix tests cover, with hop counts: each reads
//! the n-th entry from the right of its header and ignores a header with
//! fewer entries. The app always sees client 192.168.0.1.

mod support;

use pastry_proxy::{ProxyLayer, ProxyLayerBuilder};
use support::seen;

/// ProxyFix's defaults: one proxy for `for` and `proto`; every `x_*`
/// setter starts from them, as ProxyFix's keyword arguments do.
fn proxy_fix() -> ProxyLayerBuilder {
    ProxyLayer::builder().x_for(1)
}

async fn case(layer: ProxyLayerBuilder, peer: &str, uri: &str, headers: &[(&str, &str)]) -> String {
    seen(&layer.build().unwrap(), Some(peer), uri, headers).await
}

#[tokio::test]
async fn for_and_proto_with_the_defaults() {
    let got = case(
        proxy_fix(),
        "192.168.0.2",
        "/",
        &[
            ("host", "spam"),
            ("x-forwarded-for", "192.168.0.1"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert_eq!(got, "192.168.0.1 https://spam /parrot");
}

#[tokio::test]
async fn proto_alone() {
    let got = case(
        ProxyLayer::builder().x_proto(1),
        "192.168.0.1",
        "/",
        &[("host", "spam"), ("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 https://spam /parrot");
}

#[tokio::test]
async fn host_replaces_the_host_header() {
    let got = case(
        ProxyLayer::builder().x_host(1),
        "192.168.0.1",
        "/",
        &[("host", "spam"), ("x-forwarded-host", "eggs")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://eggs /parrot");
}

#[tokio::test]
async fn port_is_added_to_a_host_without_port() {
    let got = case(
        ProxyLayer::builder().x_port(1),
        "192.168.0.1",
        "/",
        &[("host", "spam"), ("x-forwarded-port", "8080")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam:8080 /parrot");
}

#[tokio::test]
async fn port_replaces_the_port_of_the_host() {
    let got = case(
        ProxyLayer::builder().x_port(1),
        "192.168.0.1",
        "/",
        &[("host", "spam:9000"), ("x-forwarded-port", "8080")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam:8080 /parrot");
}

#[tokio::test]
async fn port_applies_to_the_uri_authority_without_a_host_header() {
    let got = case(
        ProxyLayer::builder().x_port(1),
        "192.168.0.1",
        "http://spam:9000/",
        &[("x-forwarded-port", "8080")],
    )
    .await;
    assert_eq!(
        got,
        "192.168.0.1 http://spam:8080 /parrot uri=http://spam:8080/"
    );
}

#[tokio::test]
async fn prefix_becomes_the_script_name() {
    let got = case(
        ProxyLayer::builder().x_prefix(1),
        "192.168.0.1",
        "/",
        &[("host", "spam"), ("x-forwarded-prefix", "/eggs")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam/eggs /eggs/parrot");
}

#[tokio::test]
async fn all_headers_and_a_default_port_left_out() {
    let got = case(
        ProxyLayer::builder().hops(1),
        "192.168.0.2",
        "/",
        &[
            ("host", "spam:9000"),
            ("x-forwarded-for", "192.168.0.1"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "eggs"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-prefix", "/ham"),
        ],
    )
    .await;
    assert_eq!(got, "192.168.0.1 https://eggs/ham /ham/parrot");
}

#[tokio::test]
async fn two_proxies_read_the_second_entry_from_the_right() {
    let got = case(
        ProxyLayer::builder().x_for(2),
        "192.168.0.3",
        "/",
        &[
            ("host", "spam"),
            ("x-forwarded-for", "192.168.0.1, 192.168.0.2"),
        ],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam /parrot");
}

#[tokio::test]
async fn zero_hops_ignore_the_header() {
    let got = case(
        ProxyLayer::builder().x_for(0),
        "192.168.0.1",
        "/",
        &[("host", "spam"), ("x-forwarded-for", "192.168.0.2")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam /parrot");
}

#[tokio::test]
async fn fewer_entries_than_hops_are_ignored() {
    let got = case(
        ProxyLayer::builder().x_for(3),
        "192.168.0.1",
        "/",
        &[
            ("host", "spam"),
            ("x-forwarded-for", "192.168.0.3, 192.168.0.2"),
        ],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam /parrot");
}

#[tokio::test]
async fn entries_left_of_the_trusted_hops_are_ignored() {
    let got = case(
        proxy_fix(),
        "192.168.0.2",
        "/",
        &[
            ("host", "spam"),
            ("x-forwarded-for", "192.168.0.3, 192.168.0.1"),
        ],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam /parrot");
}

#[tokio::test]
async fn empty_entries_are_no_entries() {
    let got = case(
        ProxyLayer::builder().x_for(2),
        "192.168.0.1",
        "/",
        &[("host", "spam"), ("x-forwarded-for", ", 192.168.0.3")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam /parrot");
}

#[tokio::test]
async fn each_header_has_its_own_hop_count() {
    let got = case(
        ProxyLayer::builder().x_for(2).x_prefix(1),
        "192.168.0.2",
        "/",
        &[
            ("host", "spam"),
            ("x-forwarded-for", "192.168.0.1, 192.168.0.3"),
            ("x-forwarded-prefix", "/ham, /eggs"),
        ],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://spam/eggs /eggs/parrot");
}

#[tokio::test]
async fn ipv6_host() {
    let got = case(
        ProxyLayer::builder().x_host(1),
        "192.168.0.1",
        "/",
        &[("host", "spam"), ("x-forwarded-host", "[2001:db8::a]")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://[2001:db8::a] /parrot");
}

#[tokio::test]
async fn ipv6_host_without_port_gets_the_port() {
    let got = case(
        ProxyLayer::builder().x_port(1),
        "192.168.0.1",
        "/",
        &[("host", "[2001:db8::a]"), ("x-forwarded-port", "8080")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://[2001:db8::a]:8080 /parrot");
}

#[tokio::test]
async fn ipv6_host_with_port_gets_the_port_replaced() {
    let got = case(
        ProxyLayer::builder().x_port(1),
        "192.168.0.1",
        "/",
        &[("host", "[2001:db8::a]:9000"), ("x-forwarded-port", "8080")],
    )
    .await;
    assert_eq!(got, "192.168.0.1 http://[2001:db8::a]:8080 /parrot");
}
