//! Any bytes in the precondition fields: never a panic, never an answer
//! but the page (200), 304 or 412.

mod common;

use common::{OLD, PAGE, app};
use http::HeaderValue;
use pastry_conditional::ConditionalLayer;
use pastry_testkit::TestClient;
use proptest::prelude::*;
use tower::Layer;

fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..80),
        // Shaped like the real thing, with noise.
        "(W/)?\"[!-~]{0,12}\"( ?, ?(W/)?\"[ -~]{0,8}\"){0,3}".prop_map(String::into_bytes),
        "[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{2,5} [0-9:]{8} [A-Z]{3}"
            .prop_map(String::into_bytes),
        Just(b"*".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn precondition_fields_never_break_the_layer(
        if_none_match in header_bytes(),
        if_modified_since in header_bytes(),
        if_match in proptest::option::of(header_bytes()),
        app_etag in any::<bool>(),
        head in any::<bool>(),
    ) {
        assert_eq!(PAGE.len(), 54);
        let headers: &'static [(&str, &str)] = if app_etag {
            &[("etag", "\"v1\""), ("last-modified", OLD), ("content-length", "54")]
        } else {
            &[("last-modified", OLD), ("content-length", "54")]
        };
        // An app that answers HEAD without the body when it sets its own
        // tag (so the layer does not hash it), and with it otherwise.
        let body = if head && app_etag { "" } else { PAGE };
        let client = TestClient::new(ConditionalLayer::new().layer(app(200, headers, body)));
        let mut req = if head { client.head("/") } else { client.get("/") };
        let mut fields = vec![("if-none-match", if_none_match), ("if-modified-since", if_modified_since)];
        if let Some(if_match) = if_match {
            fields.push(("if-match", if_match));
        }
        for (name, bytes) in fields {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                req = req.header(name, value);
            }
        }
        let res = req.any_status().send_blocking();
        prop_assert!(
            matches!(res.status().as_u16(), 200 | 304 | 412),
            "status {}", res.status()
        );
        if res.status() == 200 && !head {
            prop_assert_eq!(res.text(), PAGE);
        }
    }
}
