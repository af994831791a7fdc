//! Malformed forwarding headers are ignored as a whole (never half
//! applied, never a 500) with a debug event, and every limit has a default
//! that a test drives past.

mod support;

use pastry_proxy::{DEFAULT_MAX_ENTRIES, DEFAULT_MAX_HEADER_LEN, ProxyError, ProxyLayer, Source};
use support::seen;

/// nginx on this machine, setting every header of the family.
fn local() -> ProxyLayer {
    ProxyLayer::builder()
        .trust("127.0.0.1")
        .hops(1)
        .build()
        .unwrap()
}

const UNCHANGED: &str = "127.0.0.1 http://h /parrot";

async fn from_local(layer: &ProxyLayer, headers: &[(&str, &str)]) -> String {
    let mut all = vec![("host", "h")];
    all.extend_from_slice(headers);
    seen(layer, Some("127.0.0.1"), "/", &all).await
}

#[tokio::test]
async fn a_bad_address_leaves_scheme_and_prefix_alone_too() {
    let got = from_local(
        &local(),
        &[
            ("x-forwarded-for", "not-an-address"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-prefix", "/app"),
        ],
    )
    .await;
    assert_eq!(got, UNCHANGED);
}

#[tokio::test]
async fn each_malformed_value_discards_the_whole_set() {
    let good = [
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-proto", "https"),
    ];
    for bad in [
        ("x-forwarded-proto", "ftp"),
        ("x-forwarded-host", "evil@example.com"),
        ("x-forwarded-host", "a b"),
        ("x-forwarded-port", "0"),
        ("x-forwarded-port", "99999"),
        ("x-forwarded-prefix", "/a/../admin"),
        ("x-forwarded-prefix", "relative"),
        ("x-forwarded-for", "203.0.113.7:"),
    ] {
        let mut headers = good.to_vec();
        headers.push(bad);
        assert_eq!(from_local(&local(), &headers).await, UNCHANGED, "{bad:?}");
    }
    assert_eq!(
        from_local(&local(), &good).await,
        "203.0.113.7 https://h /parrot"
    );
}

#[tokio::test]
async fn malformed_forwarded_is_ignored() {
    let layer = ProxyLayer::builder()
        .trust("127.0.0.1")
        .source(Source::Forwarded)
        .build()
        .unwrap();
    for bad in [
        "for=\"203.0.113.7",
        "for=203.0.113.7;for=1.2.3.4",
        "for=203.0.113.7;proto=gopher",
        "for=example.com",
    ] {
        assert_eq!(
            from_local(&layer, &[("forwarded", bad)]).await,
            UNCHANGED,
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn non_ascii_values_are_ignored() {
    let layer = local();
    let app_line = support::seen_with(&layer, Some("127.0.0.1"), "/", &[("host", "h")], |req| {
        req.headers_mut().insert(
            "x-forwarded-for",
            http::HeaderValue::from_bytes(b"203.0.113.7\xff").unwrap(),
        );
    })
    .await;
    assert_eq!(app_line, UNCHANGED);
}

#[tokio::test]
async fn header_length_limit_has_a_default_and_a_setting() {
    // A long chain of junk left of the client, as an attacker can send.
    let mut chain = "6.6.6.6, ".repeat(DEFAULT_MAX_HEADER_LEN / 9 + 1);
    chain.push_str("203.0.113.7");
    assert!(chain.len() > DEFAULT_MAX_HEADER_LEN);
    let headers = [
        ("x-forwarded-for", chain.as_str()),
        ("x-forwarded-proto", "https"),
    ];
    assert_eq!(from_local(&local(), &headers).await, UNCHANGED);

    let roomy = ProxyLayer::builder()
        .trust("127.0.0.1")
        .max_header_len(chain.len())
        .build()
        .unwrap();
    assert_eq!(
        from_local(&roomy, &headers).await,
        "203.0.113.7 https://h /parrot"
    );
}

#[tokio::test]
async fn the_length_limit_counts_every_line() {
    let half = format!(
        "{}203.0.113.7",
        "6.6.6.6, ".repeat(DEFAULT_MAX_HEADER_LEN / 18)
    );
    let headers = [
        ("x-forwarded-for", half.as_str()),
        ("x-forwarded-for", half.as_str()),
    ];
    assert_eq!(from_local(&local(), &headers).await, UNCHANGED);
    assert_eq!(
        from_local(&local(), &headers[..1]).await,
        "203.0.113.7 http://h /parrot"
    );
}

#[tokio::test]
async fn entries_limit_bounds_trusted_hops_not_junk_on_the_left() {
    let private = ProxyLayer::builder().trust("10.0.0.0/8").build().unwrap();
    let hops: Vec<String> = (1..=DEFAULT_MAX_ENTRIES + 1)
        .map(|i| format!("10.0.0.{i}"))
        .collect();
    let chain = format!("203.0.113.7, {}", hops.join(", "));
    let headers = [("x-forwarded-for", chain.as_str())];
    let got = seen(
        &private,
        Some("10.0.0.254"),
        "/",
        &[("host", "h"), headers[0]],
    )
    .await;
    assert_eq!(got, "10.0.0.254 http://h /parrot");

    let deeper = ProxyLayer::builder()
        .trust("10.0.0.0/8")
        .max_entries(DEFAULT_MAX_ENTRIES + 2)
        .build()
        .unwrap();
    let got = seen(
        &deeper,
        Some("10.0.0.254"),
        "/",
        &[("host", "h"), headers[0]],
    )
    .await;
    assert_eq!(got, "203.0.113.7 http://h /parrot");

    // More entries than the limit, but the walk stops early at the client:
    // the junk on the left is never read.
    let junk = format!(
        "{}203.0.113.7, 10.0.0.1",
        "6.6.6.6, ".repeat(DEFAULT_MAX_ENTRIES * 2)
    );
    let got = seen(
        &private,
        Some("10.0.0.254"),
        "/",
        &[("host", "h"), ("x-forwarded-for", junk.as_str())],
    )
    .await;
    assert_eq!(got, "203.0.113.7 http://h /parrot");
}

#[tokio::test]
async fn forwarded_entries_limit() {
    let layer = ProxyLayer::builder()
        .trust("10.0.0.0/8")
        .source(Source::Forwarded)
        .build()
        .unwrap();
    let hops: Vec<String> = (1..=DEFAULT_MAX_ENTRIES + 1)
        .map(|i| format!("for=10.0.0.{i}"))
        .collect();
    let value = format!("for=203.0.113.7, {}", hops.join(", "));
    let got = seen(
        &layer,
        Some("10.0.0.254"),
        "/",
        &[("host", "h"), ("forwarded", value.as_str())],
    )
    .await;
    assert_eq!(got, "10.0.0.254 http://h /parrot");
    let deeper = ProxyLayer::builder()
        .trust("10.0.0.0/8")
        .source(Source::Forwarded)
        .max_entries(DEFAULT_MAX_ENTRIES + 2)
        .build()
        .unwrap();
    let got = seen(
        &deeper,
        Some("10.0.0.254"),
        "/",
        &[("host", "h"), ("forwarded", value.as_str())],
    )
    .await;
    assert_eq!(got, "203.0.113.7 http://h /parrot");
}

#[test]
fn bad_settings_are_refused_at_build() {
    assert_eq!(
        ProxyLayer::builder()
            .trust("10.0.0.0/33")
            .build()
            .unwrap_err(),
        ProxyError::InvalidTrust {
            value: "10.0.0.0/33".into()
        }
    );
    assert_eq!(
        ProxyLayer::builder().build().unwrap_err(),
        ProxyError::NothingTrusted
    );
    assert_eq!(
        ProxyLayer::builder()
            .hops(DEFAULT_MAX_ENTRIES + 1)
            .build()
            .unwrap_err(),
        ProxyError::HopsOverLimit {
            hops: DEFAULT_MAX_ENTRIES + 1,
            max: DEFAULT_MAX_ENTRIES
        }
    );
    assert_eq!(
        ProxyLayer::builder()
            .hops(1)
            .max_entries(0)
            .build()
            .unwrap_err(),
        ProxyError::ZeroLimit {
            limit: "max_entries"
        }
    );
    assert_eq!(
        ProxyLayer::builder()
            .hops(1)
            .max_header_len(0)
            .build()
            .unwrap_err(),
        ProxyError::ZeroLimit {
            limit: "max_header_len"
        }
    );
}
