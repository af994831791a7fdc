//! The checks themselves, as pure functions over a response head.

use http::header::{self, HeaderMap, HeaderName};
use http::{Method, Request, StatusCode};
use pastry_core::is_upgrade_response;

use super::{Rule, ValidateLayer, Violation};

/// What the checks need to know about the request.
#[derive(Clone, Debug)]
pub(crate) struct RequestInfo {
    pub(crate) head: bool,
    pub(crate) accept_encoding: bool,
    pub(crate) upgrade: bool,
    /// The request is a `CONNECT`: its 2xx answer opens a tunnel.
    pub(crate) connect: bool,
}

impl RequestInfo {
    pub(crate) fn of<B>(req: &Request<B>) -> Self {
        Self {
            head: req.method() == Method::HEAD,
            accept_encoding: req.headers().contains_key(header::ACCEPT_ENCODING),
            upgrade: req.headers().contains_key(header::UPGRADE),
            connect: req.method() == Method::CONNECT,
        }
    }
}

/// What the body must then look like.
#[derive(Clone, Debug, Default)]
pub(crate) struct BodyPlan {
    /// Why no body is allowed, when none is.
    pub(crate) no_body: Option<String>,
    /// The announced length to hold the body to.
    pub(crate) length: Option<u64>,
    /// Whether the body must decode as gzip.
    pub(crate) gzip: bool,
    /// Whether to hold the body to its size hint.
    pub(crate) size_hint: bool,
    /// Whether to hold the body to its `is_end_stream`.
    pub(crate) end_stream: bool,
    /// The response switches protocols (a 101 to an upgrade, a 2xx to
    /// `CONNECT`): what a server sends after its head is the other
    /// protocol, so no body rule and no body time limit applies.
    pub(crate) switches_protocols: bool,
}

const SINGLE_VALUED: [HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::LOCATION,
    header::CONTENT_ENCODING,
];

/// Checks a response head; on success says what the body must satisfy.
///
/// The checks run in this order and the first broken rule is reported:
/// status, header values, header counts, `Content-Length` syntax, framing,
/// `Set-Cookie`, `Location`, then `Vary` for encoded responses.
pub(crate) fn head(
    status: StatusCode,
    headers: &HeaderMap,
    info: &RequestInfo,
    config: &ValidateLayer,
) -> Result<BodyPlan, Violation> {
    check_final_status(status, info, config)?;
    check_header_values(headers, config)?;
    check_single_valued(headers, config)?;
    let length = content_length(headers, config)?;
    check_framing(status, headers, config)?;
    check_connect_framing(status, headers, info, config)?;
    check_set_cookies(headers, config)?;
    check_location(headers, config)?;
    let codings = content_codings(headers);
    check_vary(headers, info, &codings, config)?;
    Ok(body_plan(status, info, length, &codings, config))
}

/// A final response must not have a 1xx status, except 101 answering an
/// upgrade request.
fn check_final_status(
    status: StatusCode,
    info: &RequestInfo,
    config: &ValidateLayer,
) -> Result<(), Violation> {
    if config.checks(Rule::FinalStatus)
        && status.is_informational()
        && !(status == StatusCode::SWITCHING_PROTOCOLS && info.upgrade)
    {
        return Err(Violation::new(
            Rule::FinalStatus,
            format!("the final response has the informational status {status}"),
        ));
    }
    Ok(())
}

/// No header value holds CR, LF or NUL.
fn check_header_values(headers: &HeaderMap, config: &ValidateLayer) -> Result<(), Violation> {
    if !config.checks(Rule::HeaderValue) {
        return Ok(());
    }
    match headers
        .iter()
        .find(|(_, value)| !header_value_ok(value.as_bytes()))
    {
        Some((name, _)) => Err(Violation::new(
            Rule::HeaderValue,
            format!("header {name} holds a CR, LF or NUL byte"),
        )),
        None => Ok(()),
    }
}

/// The headers that may appear once appear at most once.
fn check_single_valued(headers: &HeaderMap, config: &ValidateLayer) -> Result<(), Violation> {
    if !config.checks(Rule::SingleValuedHeader) {
        return Ok(());
    }
    for name in &SINGLE_VALUED {
        let count = headers.get_all(name).iter().count();
        if count > 1 {
            return Err(Violation::new(
                Rule::SingleValuedHeader,
                format!("header {name} appears {count} times"),
            ));
        }
    }
    Ok(())
}

/// The announced `Content-Length`, if any and well-formed; a malformed one
/// is a violation when that rule is on, else treated as absent.
fn content_length(headers: &HeaderMap, config: &ValidateLayer) -> Result<Option<u64>, Violation> {
    let Some(value) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    match parse_content_length(value.as_bytes()) {
        Some(n) => Ok(Some(n)),
        None if config.checks(Rule::ContentLengthSyntax) => Err(Violation::new(
            Rule::ContentLengthSyntax,
            format!(
                "Content-Length {:?} is not a decimal number",
                String::from_utf8_lossy(value.as_bytes())
            ),
        )),
        None => Ok(None),
    }
}

/// The message framing headers agree: no `Content-Length` beside
/// `Transfer-Encoding`, none on a 204.
fn check_framing(
    status: StatusCode,
    headers: &HeaderMap,
    config: &ValidateLayer,
) -> Result<(), Violation> {
    let has_length = headers.contains_key(header::CONTENT_LENGTH);
    if config.checks(Rule::ContentLengthWithTransferEncoding)
        && has_length
        && headers.contains_key(header::TRANSFER_ENCODING)
    {
        return Err(Violation::new(
            Rule::ContentLengthWithTransferEncoding,
            "the response has both Content-Length and Transfer-Encoding".to_owned(),
        ));
    }
    if config.checks(Rule::NoContentLengthOn204) && status == StatusCode::NO_CONTENT && has_length {
        return Err(Violation::new(
            Rule::NoContentLengthOn204,
            "a 204 response carries Content-Length".to_owned(),
        ));
    }
    Ok(())
}

/// A 2xx answering `CONNECT` has no framing headers: its head is followed
/// by the tunnel, never by content.
fn check_connect_framing(
    status: StatusCode,
    headers: &HeaderMap,
    info: &RequestInfo,
    config: &ValidateLayer,
) -> Result<(), Violation> {
    if !(config.checks(Rule::ConnectFraming) && info.connect && status.is_success()) {
        return Ok(());
    }
    match [header::CONTENT_LENGTH, header::TRANSFER_ENCODING]
        .into_iter()
        .find(|name| headers.contains_key(name))
    {
        Some(name) => Err(Violation::new(
            Rule::ConnectFraming,
            format!("a {status} answering CONNECT carries {name} (RFC 9110 section 9.3.6)"),
        )),
        None => Ok(()),
    }
}

/// Every `Set-Cookie` value parses as a cookie.
fn check_set_cookies(headers: &HeaderMap, config: &ValidateLayer) -> Result<(), Violation> {
    if !config.checks(Rule::SetCookieParses) {
        return Ok(());
    }
    for value in headers.get_all(header::SET_COOKIE) {
        let parses = value
            .to_str()
            .ok()
            .is_some_and(|text| cookie::Cookie::parse(text).is_ok());
        if !parses {
            return Err(Violation::new(
                Rule::SetCookieParses,
                format!(
                    "Set-Cookie {:?} does not parse",
                    String::from_utf8_lossy(value.as_bytes())
                ),
            ));
        }
    }
    Ok(())
}

/// A `Location` is a valid URI reference.
fn check_location(headers: &HeaderMap, config: &ValidateLayer) -> Result<(), Violation> {
    if config.checks(Rule::LocationSyntax)
        && let Some(value) = headers.get(header::LOCATION)
        && !uri_reference_ok(value.as_bytes())
    {
        return Err(Violation::new(
            Rule::LocationSyntax,
            format!(
                "Location {:?} is not a valid URI reference",
                String::from_utf8_lossy(value.as_bytes())
            ),
        ));
    }
    Ok(())
}

/// A response encoded for a request with `Accept-Encoding` says
/// `Vary: Accept-Encoding`.
fn check_vary(
    headers: &HeaderMap,
    info: &RequestInfo,
    codings: &[String],
    config: &ValidateLayer,
) -> Result<(), Violation> {
    if config.checks(Rule::VaryAcceptEncoding)
        && info.accept_encoding
        && !codings.is_empty()
        && !varies_on_encoding(headers)
    {
        return Err(Violation::new(
            Rule::VaryAcceptEncoding,
            format!(
                "the response is encoded ({}) for a request with Accept-Encoding but lacks Vary: Accept-Encoding",
                codings.join(", ")
            ),
        ));
    }
    Ok(())
}

/// What the body of a response with this head must satisfy, for the rules
/// that are on.
fn body_plan(
    status: StatusCode,
    info: &RequestInfo,
    length: Option<u64>,
    codings: &[String],
    config: &ValidateLayer,
) -> BodyPlan {
    let on = |rule| config.checks(rule);
    let method = if info.connect {
        Method::CONNECT
    } else {
        Method::GET
    };
    if is_upgrade_response(&method, status) && (info.upgrade || info.connect) {
        // RFC 9110 §9.3.6 and §15.2.2: no content; what follows the head
        // is the other protocol, which the body does not carry.
        return BodyPlan {
            end_stream: on(Rule::EndStream),
            switches_protocols: true,
            ..BodyPlan::default()
        };
    }
    let no_body = if info.head {
        Some("a response to HEAD".to_owned())
    } else if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        Some(format!("a {} response", status.as_u16()))
    } else {
        None
    };
    let gzip = no_body.is_none()
        && on(Rule::GzipDecodes)
        && codings.len() == 1
        && (codings[0] == "gzip" || codings[0] == "x-gzip");
    BodyPlan {
        length: if no_body.is_none() && on(Rule::ContentLengthMatchesBody) {
            length
        } else {
            None
        },
        size_hint: no_body.is_none() && on(Rule::SizeHint),
        no_body: no_body.filter(|_| on(Rule::NoBody)),
        gzip,
        end_stream: on(Rule::EndStream),
        switches_protocols: false,
    }
}

/// The content codings applied, lowercase, `identity` left out.
fn content_codings(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect()
}

fn varies_on_encoding(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|item| item == "*" || item.eq_ignore_ascii_case("accept-encoding"))
}

/// No CR, LF or NUL (the `http` crate rejects these when values are built
/// safely; this guards values built with its unchecked constructors).
pub(crate) fn header_value_ok(bytes: &[u8]) -> bool {
    !bytes.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0)
}

/// RFC 9110 section 8.6: `1*DIGIT`.
pub(crate) fn parse_content_length(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// RFC 3986 `URI-reference`: only allowed characters, well-formed
/// percent-escapes, a valid scheme if any, and at most one `#`.
pub(crate) fn uri_reference_ok(bytes: &[u8]) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if allowed(b) => i += 1,
            _ => return false,
        }
    }
    if bytes.iter().filter(|&&b| b == b'#').count() > 1 {
        return false;
    }
    // A colon before any `/`, `?` or `#` ends a scheme, which must be
    // ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
    let first_part_end = bytes
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(bytes.len());
    if let Some(colon) = bytes[..first_part_end].iter().position(|&b| b == b':') {
        let scheme = &bytes[..colon];
        let valid = scheme.first().is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !valid {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_with_cr_lf_nul_are_refused() {
        assert!(header_value_ok(b"text/plain; charset=utf-8"));
        assert!(!header_value_ok(b"a\r\nSet-Cookie: x=1"));
        assert!(!header_value_ok(b"a\nb"));
        assert!(!header_value_ok(b"a\0b"));
    }

    #[test]
    fn content_length_is_digits_only() {
        assert_eq!(parse_content_length(b"0"), Some(0));
        assert_eq!(parse_content_length(b"42"), Some(42));
        assert_eq!(parse_content_length(b"-1"), None);
        assert_eq!(parse_content_length(b"+1"), None);
        assert_eq!(parse_content_length(b"1, 1"), None);
        assert_eq!(parse_content_length(b""), None);
        assert_eq!(parse_content_length(b"99999999999999999999999"), None);
    }

    #[test]
    fn uri_references() {
        for ok in [
            "/",
            "/a/b?c=d#e",
            "https://example.com/x",
            "../up",
            "?q=1",
            "//cdn.example/x",
            "/caf%C3%A9",
            "",
        ] {
            assert!(uri_reference_ok(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "/with space",
            "/bad%zz",
            "/%4",
            "1http://x",
            "/a#b#c",
            "/caf\u{e9}",
            "/<script>",
        ] {
            assert!(!uri_reference_ok(bad.as_bytes()), "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        #[test]
        fn uri_reference_check_is_total(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..24)) {
            let _ = uri_reference_ok(&bytes);
            let _ = parse_content_length(&bytes);
        }

        #[test]
        fn origin_form_paths_are_valid_references(path in "(/[a-zA-Z0-9._~-]{0,6}){1,4}") {
            proptest::prop_assert!(uri_reference_ok(path.as_bytes()));
        }
    }
}
