//! Trust by address: the peer must be trusted, the chain is walked from
//! the right to the first untrusted hop, and spoofing attempts fail.

mod support;

use pastry_core::ScriptName;
use pastry_proxy::{ProxyLayer, Source};
use support::{seen, seen_with};

/// nginx on this machine, setting every header of the family.
fn local() -> ProxyLayer {
    ProxyLayer::builder()
        .trust("127.0.0.1")
        .trust("::1")
        .x_host(1)
        .x_port(1)
        .x_prefix(1)
        .build()
        .unwrap()
}

/// Proxies on a private network that set `X-Forwarded-For` and `-Proto`
/// only: the default.
fn private() -> ProxyLayer {
    ProxyLayer::builder().trust("10.0.0.0/8").build().unwrap()
}

const ALL: &[(&str, &str)] = &[
    ("host", "127.0.0.1:8080"),
    ("x-forwarded-for", "203.0.113.7"),
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "example.com"),
    ("x-forwarded-prefix", "/app"),
];

#[tokio::test]
async fn a_trusted_peer_sets_client_scheme_host_and_prefix() {
    let got = seen(&local(), Some("127.0.0.1"), "/", ALL).await;
    assert_eq!(got, "203.0.113.7 https://example.com/app /app/parrot");
}

#[tokio::test]
async fn an_ipv6_loopback_peer_is_trusted_too() {
    let got = seen(&local(), Some("[::1]:4000"), "/", ALL).await;
    assert_eq!(got, "203.0.113.7 https://example.com/app /app/parrot");
}

#[tokio::test]
async fn by_default_only_for_and_proto_are_read() {
    let layer = ProxyLayer::builder().trust("127.0.0.1").build().unwrap();
    let got = seen(&layer, Some("127.0.0.1"), "/", ALL).await;
    assert_eq!(got, "203.0.113.7 https://127.0.0.1:8080 /parrot");
    let got = seen(
        &layer,
        Some("127.0.0.1"),
        "/",
        &[("host", "h"), ("x-forwarded-port", "8443")],
    )
    .await;
    assert_eq!(got, "127.0.0.1 http://h /parrot");
}

#[tokio::test]
async fn for_can_be_turned_off_while_proto_is_read() {
    let layer = ProxyLayer::builder()
        .trust("127.0.0.1")
        .x_for(0)
        .x_proto(1)
        .build()
        .unwrap();
    let got = seen(&layer, Some("127.0.0.1"), "/", ALL).await;
    assert_eq!(got, "127.0.0.1 https://127.0.0.1:8080 /parrot");
}

#[tokio::test]
async fn an_untrusted_peer_has_every_header_ignored() {
    let got = seen(&local(), Some("198.51.100.9"), "/", ALL).await;
    assert_eq!(got, "198.51.100.9 http://127.0.0.1:8080 /parrot");
}

#[tokio::test]
async fn no_peer_address_means_untrusted() {
    let got = seen(&local(), None, "/", ALL).await;
    assert_eq!(got, "- http://127.0.0.1:8080 /parrot");
}

#[tokio::test]
async fn left_most_entries_a_client_adds_are_never_read() {
    // The client sent "X-Forwarded-For: 6.6.6.6, 127.0.0.1"; nginx appended
    // the address it saw.
    let got = seen(
        &local(),
        Some("127.0.0.1"),
        "/",
        &[
            ("host", "h"),
            ("x-forwarded-for", "6.6.6.6, 127.0.0.1, 203.0.113.7"),
        ],
    )
    .await;
    assert_eq!(got, "203.0.113.7 http://h /parrot");
}

#[tokio::test]
async fn a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop() {
    // client -> 10.0.0.1 (TLS) -> 10.0.0.2 -> app; each proxy appends.
    let got = seen(
        &private(),
        Some("10.0.0.2"),
        "/",
        &[
            ("host", "h"),
            ("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.1"),
            ("x-forwarded-proto", "http, https, http"),
        ],
    )
    .await;
    assert_eq!(got, "203.0.113.7 https://h /parrot");
}

#[tokio::test]
async fn proxies_that_set_rather_than_append_give_the_one_value() {
    let got = seen(
        &private(),
        Some("10.0.0.2"),
        "/",
        &[
            ("host", "h"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.1"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert_eq!(got, "203.0.113.7 https://h /parrot");
}

#[tokio::test]
async fn when_every_hop_is_trusted_the_left_most_is_the_client() {
    let got = seen(
        &private(),
        Some("10.0.0.2"),
        "/",
        &[("host", "h"), ("x-forwarded-for", "10.9.9.9, 10.0.0.1")],
    )
    .await;
    assert_eq!(got, "10.9.9.9 http://h /parrot");
}

#[tokio::test]
async fn several_header_lines_are_one_list() {
    let got = seen(
        &private(),
        Some("10.0.0.2"),
        "/",
        &[
            ("host", "h"),
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.1"),
        ],
    )
    .await;
    assert_eq!(got, "203.0.113.7 http://h /parrot");
}

#[tokio::test]
async fn scheme_alone_applies_without_x_forwarded_for() {
    let got = seen(
        &local(),
        Some("127.0.0.1"),
        "/",
        &[("host", "h"), ("x-forwarded-proto", "HTTPS")],
    )
    .await;
    assert_eq!(got, "127.0.0.1 https://h /parrot");
}

#[tokio::test]
async fn forwarded_is_ignored_when_the_proxy_writes_x_forwarded() {
    let got = seen(
        &local(),
        Some("127.0.0.1"),
        "/",
        &[
            ("host", "h"),
            ("forwarded", "for=6.6.6.6;proto=https;host=evil.example"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
    )
    .await;
    assert_eq!(got, "203.0.113.7 http://h /parrot");
}

#[tokio::test]
async fn x_forwarded_is_ignored_when_the_proxy_writes_forwarded() {
    let layer = ProxyLayer::builder()
        .trust("127.0.0.1")
        .source(Source::Forwarded)
        .build()
        .unwrap();
    let got = seen(
        &layer,
        Some("127.0.0.1"),
        "/",
        &[
            ("host", "h"),
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-prefix", "/evil"),
            (
                "forwarded",
                "for=6.6.6.6;host=evil.example, for=203.0.113.7;host=example.com",
            ),
        ],
    )
    .await;
    assert_eq!(got, "203.0.113.7 http://example.com /parrot");
}

#[tokio::test]
async fn forwarded_quoted_ipv6_with_port_and_proto() {
    let layer = ProxyLayer::builder()
        .trust("10.0.0.0/8")
        .source(Source::Forwarded)
        .build()
        .unwrap();
    let got = seen(
        &layer,
        Some("10.0.0.2"),
        "/",
        &[
            ("host", "h"),
            ("forwarded", r#"for="[2001:db8:cafe::17]:4711";proto=https;host="example.com:8443", for=10.0.0.1;proto=http"#),
        ],
    )
    .await;
    assert_eq!(got, "2001:db8:cafe::17 https://example.com:8443 /parrot");
}

#[tokio::test]
async fn forwarded_obfuscated_or_unknown_hops_stop_the_walk() {
    let layer = ProxyLayer::builder()
        .trust("10.0.0.0/8")
        .source(Source::Forwarded)
        .build()
        .unwrap();
    // The proxy hides its client: the client stays the last known hop, its
    // connection's scheme still applies.
    let got = seen(
        &layer,
        Some("10.0.0.2"),
        "/",
        &[
            ("host", "h"),
            ("forwarded", "for=6.6.6.6, for=_hidden;proto=https"),
        ],
    )
    .await;
    assert_eq!(got, "10.0.0.2 https://h /parrot");
    let got = seen(
        &layer,
        Some("10.0.0.2"),
        "/",
        &[
            ("host", "h"),
            ("forwarded", "for=6.6.6.6, for=unknown, for=10.0.0.1"),
        ],
    )
    .await;
    assert_eq!(got, "10.0.0.1 http://h /parrot");
}

#[tokio::test]
async fn forwarded_with_hop_counts() {
    let layer = ProxyLayer::builder()
        .hops(1)
        .source(Source::Forwarded)
        .build()
        .unwrap();
    let got = seen(
        &layer,
        Some("192.168.0.2"),
        "/",
        &[
            ("host", "h"),
            (
                "forwarded",
                "for=6.6.6.6;proto=http, for=192.168.0.1;proto=https",
            ),
        ],
    )
    .await;
    assert_eq!(got, "192.168.0.1 https://h /parrot");
}

#[tokio::test]
async fn the_prefix_goes_before_a_script_name_already_set() {
    let got = seen_with(
        &local(),
        Some("127.0.0.1"),
        "/",
        &[("host", "h"), ("x-forwarded-prefix", "/ham/")],
        |req| {
            req.extensions_mut().insert(ScriptName::new("/apps"));
        },
    )
    .await;
    assert_eq!(got, "127.0.0.1 http://h/ham/apps /ham/apps/parrot");
}

#[tokio::test]
async fn an_absolute_uri_gets_the_forwarded_scheme_and_authority() {
    let got = seen(
        &local(),
        Some("127.0.0.1"),
        "http://127.0.0.1:8080/x?y=1",
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "example.com"),
        ],
    )
    .await;
    assert_eq!(
        got,
        "127.0.0.1 https://example.com /parrot uri=https://example.com/x?y=1"
    );
}

#[tokio::test]
async fn a_forwarded_prefix_is_part_of_the_original_uri() {
    use http::Request;
    use pastry_core::Environ;
    use tower::{Layer, ServiceExt, service_fn};

    let app = local().layer(service_fn(|req: Request<()>| async move {
        let original = req.original_uri().to_string();
        Ok::<_, std::convert::Infallible>(http::Response::new(original))
    }));
    let mut req = Request::get("/private?tab=1")
        .header("x-forwarded-prefix", "/app/")
        .body(())
        .unwrap();
    req.extensions_mut()
        .insert(pastry_core::ClientAddr("127.0.0.1:5000".parse().unwrap()));
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.body(), "/app/private?tab=1");

    // No prefix from the proxy: the original URI is the request's own.
    let mut req = Request::get("/private").body(()).unwrap();
    req.extensions_mut()
        .insert(pastry_core::ClientAddr("127.0.0.1:5000".parse().unwrap()));
    assert_eq!(app.oneshot(req).await.unwrap().body(), "/private");
}
