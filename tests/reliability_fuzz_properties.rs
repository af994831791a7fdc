//! Every fuzz target of `fuzz/` as a proptest property, so `cargo test`
//! covers them without nightly tools. The properties themselves live in
//! `tests/reliability/checks.rs`, shared word for word with the fuzz
//! targets; see RELIABILITY.md for the fuzzing figures.

#[path = "reliability/checks.rs"]
mod checks;

use proptest::prelude::*;

/// Bytes drawn mostly from the characters a parser cares about, so short
/// runs still reach the interesting branches.
fn bytes_from(alphabet: &'static [u8], max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(alphabet),
            1 => any::<u8>(),
        ],
        0..max,
    )
}

const CODINGS: &[u8] = b"gzip,x-;q=0.15 *identitybr\t\n";
const COOKIES: &[u8] = b"id=$ID; \"\nabcdef0123456789";
const AUTH: &[u8] = b"Basic alice:wonderland\0YWxpY2U6d29uZGVybGFuZA== \n=";
const PATHS: &[u8] = b"/m./%2e%2E%2f%00%7e%zza\\;";
const JSON: &[u8] = br#"{"format":1,"version":2,"created_at":0,"expires_at":99999999999999,"expiry":"idle:5","data":{}}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accept_encoding_lists_parse_totally(data in bytes_from(CODINGS, 60)) {
        checks::accept_encoding(&data);
    }

    #[test]
    fn session_cookie_headers_never_fixate(data in bytes_from(COOKIES, 60)) {
        checks::session_cookie(&data);
    }

    #[test]
    fn basic_authorization_parses_per_rfc_7617(data in bytes_from(AUTH, 60)) {
        checks::basic_auth(&data);
    }

    #[test]
    fn normalised_paths_never_escape_and_are_stable(data in bytes_from(PATHS, 40)) {
        checks::normalise_path(&data);
    }

    #[test]
    fn gzip_request_bodies_respect_the_limit(mode in any::<u8>(), cut in any::<u8>(), plain in prop_oneof![
        bytes_from(b"ab", 64),
        prop::collection::vec(Just(b'x'), 4000..5000),
    ]) {
        let mut data = vec![mode, cut];
        data.extend_from_slice(&plain);
        checks::gzip_request(&data);
    }
}

proptest! {
    // Each case touches the disk a few times.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn session_files_decode_or_count_as_missing(data in prop_oneof![
        bytes_from(JSON, 120),
        // Valid records with one byte changed.
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| {
            let mut bytes = JSON.to_vec();
            let at = at % bytes.len();
            bytes[at] = b;
            bytes
        }),
    ]) {
        checks::file_record(&data);
    }
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    assert_eq!(checks::base64(b""), "");
    assert_eq!(checks::base64(b"f"), "Zg==");
    assert_eq!(checks::base64(b"fo"), "Zm8=");
    assert_eq!(checks::base64(b"foo"), "Zm9v");
    assert_eq!(
        checks::base64(b"alice:wonderland"),
        "YWxpY2U6d29uZGVybGFuZA=="
    );
}

#[test]
fn known_good_inputs_pass_every_check() {
    checks::accept_encoding(b"gzip;q=0.5, br\nidentity");
    checks::session_cookie(b"theme=dark; id=$ID");
    checks::basic_auth(b"\x01alice\0wonderland");
    checks::basic_auth(b"\x00Basic YWxpY2U6d29uZGVybGFuZA==");
    checks::normalise_path(b"/m/../m/./a%2e%2E/%7e");
    checks::file_record(JSON);
    checks::gzip_request(b"\x01\x03hello, gzip");
}
