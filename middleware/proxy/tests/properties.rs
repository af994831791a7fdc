//! Whatever the headers hold, the layer never panics; from an untrusted
//! peer nothing changes; from a trusted one the client is the peer or an
//! address written in the headers.

mod support;

use pastry_proxy::{ProxyLayer, Source};
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Header text: addresses, separators, quotes and junk.
fn header_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("203.0.113.7".to_owned()),
            Just("10.0.0.1".to_owned()),
            Just("[2001:db8::1]:80".to_owned()),
            Just("unknown".to_owned()),
            Just("_x".to_owned()),
            Just(", ".to_owned()),
            Just(";".to_owned()),
            Just("for=".to_owned()),
            Just("proto=https".to_owned()),
            Just("\"".to_owned()),
            "[ -~]{0,6}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn any_headers_are_safe(xff in header_text(), fwd in header_text(), proto in header_text(), prefix in header_text(), forwarded_source in any::<bool>()) {
        let source = if forwarded_source { Source::Forwarded } else { Source::XForwarded };
        let layer = ProxyLayer::builder().trust("10.0.0.0/8").source(source).build().unwrap();
        let headers = [
            ("host", "h"),
            ("x-forwarded-for", xff.as_str()),
            ("forwarded", fwd.as_str()),
            ("x-forwarded-proto", proto.as_str()),
            ("x-forwarded-prefix", prefix.as_str()),
        ];
        let rt = runtime();
        let untrusted = rt.block_on(support::seen(&layer, Some("198.51.100.1"), "/", &headers));
        prop_assert_eq!(untrusted, "198.51.100.1 http://h /parrot");
        let trusted = rt.block_on(support::seen(&layer, Some("10.0.0.9"), "/", &headers));
        let client = trusted.split(' ').next().unwrap();
        prop_assert!(
            client == "10.0.0.9" || xff.contains(client) || fwd.contains(client),
            "client {} is in no header", client
        );
    }
}
