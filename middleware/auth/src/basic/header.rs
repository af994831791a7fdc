//! Parsing `Authorization: Basic` and writing the challenge.

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::AuthError;

/// Longest `Authorization` value looked at; longer ones are refused unread.
const MAX_HEADER: usize = 4096;

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The user name and password of a request's `Authorization: Basic`
/// header, or `None` when it is missing or malformed: several headers, a
/// scheme other than Basic, bad base64, not UTF-8, no colon, an empty user
/// name, or control characters.
pub(crate) fn parse_basic(headers: &HeaderMap) -> Option<(String, String)> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() || value.len() > MAX_HEADER {
        return None;
    }
    let text = value.to_str().ok()?.trim();
    let (scheme, token) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASE64.decode(token.trim_start_matches(' ')).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (name, password) = decoded.split_once(':')?;
    if name.is_empty() || decoded.chars().any(char::is_control) {
        return None;
    }
    Some((name.to_owned(), password.to_owned()))
}

/// The `WWW-Authenticate` challenge for `realm`, the realm quoted with `"`
/// and `\` escaped. Control characters are refused.
pub(crate) fn challenge(realm: &str) -> Result<HeaderValue, AuthError> {
    if realm.chars().any(char::is_control) {
        return Err(AuthError::InvalidRealm(realm.to_owned()));
    }
    let mut text = String::with_capacity(realm.len() + 32);
    text.push_str("Basic realm=\"");
    for c in realm.chars() {
        if c == '"' || c == '\\' {
            text.push('\\');
        }
        text.push(c);
    }
    text.push_str("\", charset=\"UTF-8\"");
    HeaderValue::from_bytes(text.as_bytes()).map_err(|_| AuthError::InvalidRealm(realm.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose;
    use proptest::prelude::*;

    fn encode(name: &str, password: &str) -> String {
        general_purpose::STANDARD.encode(format!("{name}:{password}"))
    }

    fn parse(value: &str) -> Option<(String, String)> {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        parse_basic(&headers)
    }

    fn pair(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.to_owned(), b.to_owned()))
    }

    #[test]
    fn scheme_is_case_insensitive() {
        let token = encode("alice", "pw");
        assert_eq!(parse(&format!("Basic {token}")), pair("alice", "pw"));
        assert_eq!(parse(&format!("bAsIc {token}")), pair("alice", "pw"));
        assert_eq!(parse(&format!("BASIC   {token}")), pair("alice", "pw"));
    }

    #[test]
    fn password_may_hold_colons_and_utf8() {
        let token = encode("zoë", "a:b:ç");
        assert_eq!(parse(&format!("Basic {token}")), pair("zoë", "a:b:ç"));
        let unpadded = token.trim_end_matches('=');
        assert_eq!(parse(&format!("Basic {unpadded}")), pair("zoë", "a:b:ç"));
    }

    #[test]
    fn malformed_headers_are_absent() {
        let no_colon = general_purpose::STANDARD.encode("alice");
        let empty_name = encode("", "pw");
        let control = encode("al\u{1}ice", "pw");
        let latin1 = general_purpose::STANDARD.encode([0x61, 0xe9, b':', b'p']);
        for bad in [
            String::new(),
            "Basic".into(),
            "Basic ".into(),
            "Basic !!!!".into(),
            "Basic YWxpY2U6cHc=garbage".into(),
            format!("Basic {no_colon}"),
            format!("Basic {empty_name}"),
            format!("Basic {control}"),
            format!("Basic {latin1}"),
            format!("Bearer {}", encode("alice", "pw")),
            format!("Digest {}", encode("alice", "pw")),
        ] {
            assert_eq!(parse(&bad), None, "{bad:?}");
        }
        assert_eq!(parse_basic(&HeaderMap::new()), None);
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Basic {}", encode("a", "b"))).unwrap();
        headers.append(AUTHORIZATION, value.clone());
        headers.append(AUTHORIZATION, value);
        assert_eq!(parse_basic(&headers), None);
    }

    #[test]
    fn realm_is_quoted_and_escaped() {
        assert_eq!(
            challenge("a \"b\" \\c").unwrap(),
            r#"Basic realm="a \"b\" \\c", charset="UTF-8""#
        );
        assert!(matches!(
            challenge("bad\r\nSet-Cookie: x"),
            Err(AuthError::InvalidRealm(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn parser_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                let mut headers = HeaderMap::new();
                headers.insert(AUTHORIZATION, value);
                let _ = parse_basic(&headers);
            }
        }

        #[test]
        fn credentials_round_trip(name in "[^:\\x00-\\x1f\\x7f-\\x9f]{1,12}", password in "[^\\x00-\\x1f\\x7f-\\x9f]{0,12}") {
            let header = format!("Basic {}", encode(&name, &password));
            prop_assert_eq!(parse(&header), Some((name, password)));
        }

        #[test]
        fn any_realm_without_controls_makes_a_header(realm in "[^\\x00-\\x1f\\x7f-\\x9f]{0,20}") {
            let value = challenge(&realm).unwrap();
            prop_assert!(value.as_bytes().starts_with(b"Basic realm=\""));
        }
    }
}
