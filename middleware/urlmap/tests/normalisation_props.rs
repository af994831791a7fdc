//! Property tests through the map: whatever the spelling, an app only ever
//! sees normal paths inside its own mount.

mod common;

use common::echo;
use http::StatusCode;
use pastry_testkit::TestClient;
use pastry_urlmap::{UrlMap, normalise_path};
use proptest::prelude::*;

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "m", "secret", "x", ".", "..", "%2E", "%2e%2E", ".%2e", "/", "//", "%2F", "%6d",
        "%73ecret", "~", "%7e", "%25", "%C3%A9", ";p", "%00", "%z",
    ])
}

fn client() -> TestClient {
    let map = UrlMap::builder()
        .mount("/m", echo("m"))
        .mount("/m/secret", echo("secret"))
        .fallback(echo("fallback"))
        .build()
        .unwrap();
    TestClient::new(map)
}

/// Parses an echo line into (name, script, path info).
fn parse(text: &str) -> (String, String, String) {
    let mut words = text.split(' ');
    let name = words.next().unwrap_or_default().to_owned();
    let script = words
        .next()
        .and_then(|w| w.strip_prefix("script="))
        .unwrap_or_default()
        .to_owned();
    let path = words
        .next()
        .and_then(|w| w.strip_prefix("path="))
        .unwrap_or_default()
        .to_owned();
    (name, script, path)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn apps_see_normal_paths_inside_their_mount(pieces in prop::collection::vec(piece(), 0..10)) {
        let path = format!("/m/{}", pieces.concat());
        prop_assume!(path.parse::<http::Uri>().is_ok());
        let res = client().get(path.clone()).any_status().send_blocking();
        match normalise_path(&path) {
            Err(_) => prop_assert_eq!(res.status(), StatusCode::BAD_REQUEST),
            Ok(normal) => {
                prop_assert_eq!(res.status(), StatusCode::OK);
                let (name, script, info) = parse(&res.text());
                // What the app sees puts the normalised path back together…
                let rebuilt = if info.is_empty() { script.clone() } else { format!("{script}{info}") };
                prop_assert_eq!(&rebuilt, &*normal);
                // …it is already normal, so nothing in it climbs out…
                if !info.is_empty() {
                    prop_assert_eq!(normalise_path(&info).unwrap(), info.as_str());
                }
                // …and it went to the mount its normal form names.
                let expected = if normal == "/m/secret" || normal.starts_with("/m/secret/") {
                    "secret"
                } else if normal == "/m" || normal.starts_with("/m/") {
                    "m"
                } else {
                    "fallback"
                };
                prop_assert_eq!(name.as_str(), expected, "{} -> {}", path, normal);
            }
        }
    }
}
