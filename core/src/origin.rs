//! Cross-origin request checks from the Fetch metadata and `Origin` headers,
//! and the request extensions a cross-origin protection layer leaves for the
//! services behind it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::{HeaderMap, Method, StatusCode, Uri, header};

use crate::html_escape;

/// Why [`check_cross_origin`] refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrossOrigin {
    /// `Sec-Fetch-Site` says the request came from another site or origin
    /// (any value but `same-origin` and `none`, and `same-site` when
    /// [allowed](CrossOriginRules::allow_same_site)), and its `Origin` is
    /// not trusted.
    SecFetchSite,
    /// No `Sec-Fetch-Site`, and `Origin` names another host (or port) than
    /// the request's `Host`, or is `null` or malformed, and is not trusted.
    Origin,
}

impl fmt::Display for CrossOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CrossOrigin::SecFetchSite => "cross-origin request (Sec-Fetch-Site)",
            CrossOrigin::Origin => "cross-origin request (Origin does not match Host)",
        })
    }
}

impl std::error::Error for CrossOrigin {}

/// The rules of [`check_cross_origin`], with the settings a cross-origin
/// protection layer offers: origins to trust, and whether `same-site`
/// requests pass.
///
/// [`CrossOriginRules::new`] is the default rule: no trusted origin,
/// `same-site` refused (as in Go 1.25).
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, Uri};
/// use pastry_core::{CrossOrigin, CrossOriginRules};
///
/// let rules = CrossOriginRules::new().trust("https://app.example");
/// let uri = Uri::from_static("/api");
/// let mut headers = HeaderMap::new();
/// headers.insert("host", HeaderValue::from_static("api.example"));
/// headers.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
/// headers.insert("origin", HeaderValue::from_static("https://app.example"));
/// assert_eq!(rules.check(&Method::POST, &uri, &headers), Ok(()));
///
/// headers.insert("origin", HeaderValue::from_static("https://www.example"));
/// assert_eq!(rules.check(&Method::POST, &uri, &headers), Err(CrossOrigin::SecFetchSite));
/// assert_eq!(rules.clone().allow_same_site(true).check(&Method::POST, &uri, &headers), Ok(()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrossOriginRules {
    trusted: Vec<String>,
    allow_same_site: bool,
}

impl CrossOriginRules {
    /// The default rules: no trusted origin, `same-site` refused.
    pub const fn new() -> Self {
        Self {
            trusted: Vec::new(),
            allow_same_site: false,
        }
    }

    /// Trusts requests whose `Origin` header is exactly `origin`
    /// (`scheme://host[:port]`, compared ignoring ASCII case), whatever
    /// `Sec-Fetch-Site` says. A value that is not an origin never matches;
    /// a layer checks its settings with [`parse_origin`] when it is built.
    pub fn trust(mut self, origin: impl Into<String>) -> Self {
        self.trusted.push(origin.into());
        self
    }

    /// Whether `Sec-Fetch-Site: same-site` passes (default `false`):
    /// same-site covers sibling subdomains and, for the same host, other
    /// ports and `http` vs `https`, so it is refused unless asked for.
    pub fn allow_same_site(mut self, allow: bool) -> Self {
        self.allow_same_site = allow;
        self
    }

    /// The trusted origins, in the order given.
    pub fn trusted_origins(&self) -> &[String] {
        &self.trusted
    }

    /// Whether `same-site` requests pass.
    pub fn allows_same_site(&self) -> bool {
        self.allow_same_site
    }

    /// Checks a request by these rules; see [`check_cross_origin`] for the
    /// steps. Pure: it reads the method, URI and headers only.
    pub fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CrossOrigin> {
        if is_safe(method) && !is_upgrade(method, headers) {
            return Ok(());
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            return match site.as_bytes() {
                b"same-origin" | b"none" => Ok(()),
                b"same-site" if self.allow_same_site => Ok(()),
                _ if self.is_trusted(headers) => Ok(()),
                _ => Err(CrossOrigin::SecFetchSite),
            };
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin_host = origin.to_str().ok().and_then(origin_authority);
        let host = match headers.get(header::HOST) {
            Some(host) => host.to_str().ok(),
            None => uri.authority().map(|a| a.as_str()),
        };
        match (origin_host, host) {
            (Some(origin), Some(host))
                if !origin.is_empty() && origin.eq_ignore_ascii_case(host) =>
            {
                Ok(())
            }
            _ if self.is_trusted(headers) => Ok(()),
            _ => Err(CrossOrigin::Origin),
        }
    }

    fn is_trusted(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
            return false;
        };
        self.trusted
            .iter()
            .any(|trusted| trusted.eq_ignore_ascii_case(origin))
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a request asks to switch protocols: an HTTP/1.1 request with an
/// `Upgrade` header (a WebSocket handshake is a `GET` with
/// `Upgrade: websocket`), or a `CONNECT` (HTTP/2's extended `CONNECT` with
/// `:protocol`, RFC 8441, is how WebSockets open over HTTP/2).
///
/// Every `CONNECT` counts, with or without the `:protocol` pseudo-header
/// (which hyper hands over as the `hyper::ext::Protocol` request
/// extension): a 2xx answer to a plain `CONNECT` opens a tunnel too, so the
/// method alone decides, and no layer needs hyper to tell. The answer that
/// completes the switch is told by [`is_upgrade_response`].
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method};
///
/// let mut headers = HeaderMap::new();
/// assert!(!pastry_core::is_upgrade(&Method::GET, &headers));
/// assert!(pastry_core::is_upgrade(&Method::CONNECT, &headers));
/// headers.insert("upgrade", HeaderValue::from_static("websocket"));
/// assert!(pastry_core::is_upgrade(&Method::GET, &headers));
/// ```
pub fn is_upgrade(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::CONNECT || headers.contains_key(header::UPGRADE)
}

/// Whether a response with `status`, answering a request with `method`,
/// switches the connection to another protocol: `101 Switching Protocols`
/// (the answer to an HTTP/1.1 `Upgrade`, as a WebSocket handshake), or any
/// 2xx answering `CONNECT` (a tunnel: over HTTP/2, the extended `CONNECT`
/// of RFC 8441 that opens a WebSocket is answered `200`).
///
/// Such a response has no content (RFC 9110 §9.3.6, §15.2.2): what follows
/// its head are the bytes of the other protocol, which never pass through
/// the middleware, and a server ignores (hyper over HTTP/2: refuses, when
/// `Content-Length` is not 0) any body or framing header on it. So a layer
/// leaves its head and body alone, and does what it must before it
/// answers.
///
/// ```
/// use http::{Method, StatusCode};
/// use pastry_core::is_upgrade_response;
///
/// assert!(is_upgrade_response(&Method::GET, StatusCode::SWITCHING_PROTOCOLS));
/// assert!(is_upgrade_response(&Method::CONNECT, StatusCode::OK));
/// assert!(!is_upgrade_response(&Method::CONNECT, StatusCode::UNAUTHORIZED));
/// assert!(!is_upgrade_response(&Method::GET, StatusCode::OK));
/// ```
pub fn is_upgrade_response(method: &Method, status: StatusCode) -> bool {
    status == StatusCode::SWITCHING_PROTOCOLS || (method == Method::CONNECT && status.is_success())
}

/// `origin` in the form a browser sends in `Origin` (`scheme://host[:port]`,
/// lower case, no path), or `None` when it is not one: what a layer checks
/// its trusted origins with when it is built.
///
/// ```
/// use pastry_core::parse_origin;
///
/// assert_eq!(parse_origin("https://App.Example:8443").as_deref(), Some("https://app.example:8443"));
/// assert_eq!(parse_origin("https://app.example/"), None);
/// assert_eq!(parse_origin("app.example"), None);
/// ```
pub fn parse_origin(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.split_once("://")?;
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let authority = origin_authority(origin)?;
    if !scheme_ok || authority.is_empty() || authority.len() != rest.len() {
        return None;
    }
    authority.parse::<http::uri::Authority>().ok()?;
    Some(origin.to_ascii_lowercase())
}

/// Whether a request may be a cross-origin forgery (CSRF) or a cross-site
/// WebSocket hijacking, by the rule of Go 1.25's
/// `http.CrossOriginProtection`, without tokens, extended to upgrades:
///
/// 1. `GET`, `HEAD` and `OPTIONS` are always allowed (they must not change
///    anything), unless they ask for an upgrade (see [`is_upgrade`]: a
///    WebSocket handshake is a `GET` that carries the user's cookies);
/// 2. if `Sec-Fetch-Site` is present (every browser since 2023 sends it),
///    `same-origin` and `none` (typed in, a bookmark) are allowed and
///    anything else is refused;
/// 3. otherwise, without an `Origin` header the request is allowed (same
///    origin from an older browser, or not a browser at all);
/// 4. otherwise it is allowed only when the `host[:port]` of `Origin`
///    equals the request's `Host` header (or, without one, the authority of
///    its URI, as in HTTP/2), compared ignoring ASCII case.
///
/// As in Go, the scheme is not compared (`Host` carries none); HSTS closes
/// the http-to-https gap. Pure: it reads the method, URI and headers only.
/// [`CrossOriginRules`] adds trusted origins and lets `same-site` pass.
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, Uri};
/// use pastry_core::{CrossOrigin, check_cross_origin};
///
/// let uri = Uri::from_static("/logout");
/// let mut headers = HeaderMap::new();
/// headers.insert("host", HeaderValue::from_static("example.com"));
/// assert_eq!(check_cross_origin(&Method::POST, &uri, &headers), Ok(()));
///
/// headers.insert("origin", HeaderValue::from_static("https://evil.example"));
/// assert_eq!(check_cross_origin(&Method::POST, &uri, &headers), Err(CrossOrigin::Origin));
/// assert_eq!(check_cross_origin(&Method::GET, &uri, &headers), Ok(()));
///
/// // A WebSocket handshake from another site is refused.
/// headers.insert("upgrade", HeaderValue::from_static("websocket"));
/// assert_eq!(check_cross_origin(&Method::GET, &uri, &headers), Err(CrossOrigin::Origin));
///
/// headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
/// assert_eq!(check_cross_origin(&Method::POST, &uri, &headers), Err(CrossOrigin::SecFetchSite));
/// ```
pub fn check_cross_origin(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), CrossOrigin> {
    const DEFAULT: CrossOriginRules = CrossOriginRules::new();
    DEFAULT.check(method, uri, headers)
}

/// A marker a cross-origin protection layer (`pastry_origin`'s
/// `CrossOriginLayer`) puts in the extensions of each request it lets
/// through: services that check on their own (`pastry_auth`'s `LoginForm`
/// and `Logout`) then go by the layer's rules (its trusted origins and
/// exempt paths) instead of the default ones of [`check_cross_origin`].
///
/// ```
/// use http::Request;
/// use pastry_core::CrossOriginChecked;
///
/// let mut req = Request::new(());
/// req.extensions_mut().insert(CrossOriginChecked);
/// assert!(req.extensions().get::<CrossOriginChecked>().is_some());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrossOriginChecked;

/// The form field a synchronizer token travels in: `csrf_token`.
pub const CSRF_FIELD: &str = "csrf_token";

/// The request header a synchronizer token travels in (for scripts):
/// `X-CSRF-Token`.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session key holding the session's synchronizer token. Logging in
/// (`pastry_auth::login`) removes it, so a fresh token is made after login.
pub const CSRF_SESSION_KEY: &str = "pastry_origin.csrf_token";

/// The synchronizer (CSRF) token of the request's session, put in the
/// request extensions by `pastry_origin`'s `CsrfTokenLayer` for the app to
/// render in its forms ([`hidden_input`](Self::hidden_input)) or hand to
/// its scripts ([`value`](Self::value), sent back in `X-CSRF-Token`).
///
/// A fresh token is stored in the session only when the app read it, so
/// pages without forms do not make sessions. `Debug` does not show the
/// value.
///
/// ```
/// use pastry_core::CsrfToken;
///
/// let token = CsrfToken::new("a\"b");
/// assert!(!token.is_used());
/// assert_eq!(token.hidden_input(), r#"<input type="hidden" name="csrf_token" value="a&quot;b">"#);
/// assert!(token.is_used());
/// ```
#[derive(Clone)]
pub struct CsrfToken {
    inner: Arc<TokenInner>,
}

struct TokenInner {
    value: String,
    used: AtomicBool,
}

impl CsrfToken {
    /// A token with `value` (for layers and tests).
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(TokenInner {
                value: value.into(),
                used: AtomicBool::new(false),
            }),
        }
    }

    /// The token, to send back in the `X-CSRF-Token` header or the
    /// `csrf_token` form field.
    pub fn value(&self) -> &str {
        self.inner.used.store(true, Ordering::Relaxed);
        &self.inner.value
    }

    /// `<input type="hidden" name="csrf_token" value="…">`, the value
    /// HTML-escaped: put it inside each `<form method="post">`.
    pub fn hidden_input(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
            html_escape(self.value())
        )
    }

    /// Whether the value was read (by [`value`](Self::value) or
    /// [`hidden_input`](Self::hidden_input)) through this token or a clone.
    pub fn is_used(&self) -> bool {
        self.inner.used.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfToken")
            .field("used", &self.is_used())
            .finish_non_exhaustive()
    }
}

/// The `host[:port]` of an origin `scheme://host[:port]`, or `None` when it
/// has no `://` (as `null`). Anything after the authority is cut off, as a
/// URL parser would.
fn origin_authority(origin: &str) -> Option<&str> {
    let (_, rest) = origin.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // userinfo never appears in an Origin; treat it as malformed.
    (!authority.contains('@')).then_some(authority)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn check(method: Method, pairs: &[(&'static str, &'static str)]) -> Result<(), CrossOrigin> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        check_cross_origin(&method, &Uri::from_static("/x"), &headers)
    }

    #[test]
    fn safe_methods_always_pass() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(check(method, &[("sec-fetch-site", "cross-site")]), Ok(()));
        }
    }

    #[test]
    fn sec_fetch_site_decides_when_present() {
        for ok in ["same-origin", "none"] {
            let headers = [
                ("sec-fetch-site", ok),
                ("origin", "https://evil.example"),
                ("host", "a"),
            ];
            assert_eq!(check(Method::POST, &headers), Ok(()), "{ok}");
        }
        for bad in ["cross-site", "same-site", "", "bogus"] {
            let headers = [
                ("sec-fetch-site", bad),
                ("origin", "http://a"),
                ("host", "a"),
            ];
            assert_eq!(
                check(Method::POST, &headers),
                Err(CrossOrigin::SecFetchSite),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn no_headers_is_allowed() {
        assert_eq!(check(Method::POST, &[]), Ok(()));
        assert_eq!(check(Method::DELETE, &[("host", "example.com")]), Ok(()));
    }

    #[test]
    fn origin_must_match_host_and_port() {
        let ok = [
            ("https://example.com", "example.com"),
            ("http://Example.COM", "example.com"),
            ("http://127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://[::1]:8080", "[::1]:8080"),
        ];
        for (origin, host) in ok {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            assert_eq!(
                check_cross_origin(&Method::POST, &Uri::from_static("/"), &headers),
                Ok(()),
                "{origin}"
            );
        }
        let bad = [
            ("https://evil.example", "example.com"),
            ("https://example.com:8443", "example.com"),
            ("http://127.0.0.1:8081", "127.0.0.1:8080"),
            ("null", "example.com"),
            ("example.com", "example.com"),
            ("https://user@example.com", "example.com"),
            ("https://", ""),
        ];
        for (origin, host) in bad {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            assert_eq!(
                check_cross_origin(&Method::POST, &Uri::from_static("/"), &headers),
                Err(CrossOrigin::Origin),
                "{origin} vs {host}"
            );
        }
    }

    #[test]
    fn without_host_the_uri_authority_counts() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://example.com"),
        );
        let h2 = Uri::from_static("https://example.com/logout");
        assert_eq!(check_cross_origin(&Method::POST, &h2, &headers), Ok(()));
        let other = Uri::from_static("https://other.example/logout");
        assert_eq!(
            check_cross_origin(&Method::POST, &other, &headers),
            Err(CrossOrigin::Origin)
        );
        let relative = Uri::from_static("/logout");
        assert_eq!(
            check_cross_origin(&Method::POST, &relative, &headers),
            Err(CrossOrigin::Origin)
        );
    }

    #[test]
    fn upgrades_are_checked_even_when_safe() {
        let foreign = [
            ("upgrade", "websocket"),
            ("origin", "http://evil.example"),
            ("host", "a"),
        ];
        assert_eq!(check(Method::GET, &foreign), Err(CrossOrigin::Origin));
        let own = [
            ("upgrade", "websocket"),
            ("origin", "http://a"),
            ("host", "a"),
        ];
        assert_eq!(check(Method::GET, &own), Ok(()));
        let site = [("upgrade", "websocket"), ("sec-fetch-site", "cross-site")];
        assert_eq!(check(Method::GET, &site), Err(CrossOrigin::SecFetchSite));
        // Not a browser: no Origin, no Fetch metadata.
        assert_eq!(check(Method::GET, &[("upgrade", "websocket")]), Ok(()));
        // HTTP/2 extended CONNECT carries its authority in the URI.
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        let uri = Uri::from_static("https://a.example/chat");
        assert_eq!(
            check_cross_origin(&Method::CONNECT, &uri, &headers),
            Err(CrossOrigin::Origin)
        );
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://a.example"),
        );
        assert_eq!(check_cross_origin(&Method::CONNECT, &uri, &headers), Ok(()));
    }

    #[test]
    fn only_101_and_a_2xx_to_connect_switch_protocols() {
        for method in [Method::GET, Method::CONNECT, Method::POST] {
            assert!(is_upgrade_response(
                &method,
                StatusCode::SWITCHING_PROTOCOLS
            ));
        }
        for status in [200, 204, 299] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(is_upgrade_response(&Method::CONNECT, status));
            assert!(!is_upgrade_response(&Method::GET, status));
        }
        for status in [
            StatusCode::CONTINUE,
            StatusCode::SEE_OTHER,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::INTERNAL_SERVER_ERROR,
        ] {
            assert!(!is_upgrade_response(&Method::CONNECT, status), "{status}");
        }
    }

    #[test]
    fn trusted_origins_pass_both_checks() {
        let rules = CrossOriginRules::new().trust("https://App.example");
        let uri = Uri::from_static("/x");
        for pairs in [
            [
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://app.example"),
                ("host", "b"),
            ],
            [
                ("x-none", "1"),
                ("origin", "https://app.example"),
                ("host", "b"),
            ],
        ] {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(name, HeaderValue::from_static(value));
            }
            assert_eq!(rules.check(&Method::POST, &uri, &headers), Ok(()));
            assert!(check_cross_origin(&Method::POST, &uri, &headers).is_err());
            headers.insert(
                header::ORIGIN,
                HeaderValue::from_static("https://app.example:1"),
            );
            assert!(rules.check(&Method::POST, &uri, &headers).is_err());
        }
    }

    #[test]
    fn same_site_passes_only_when_allowed() {
        let mut headers = HeaderMap::new();
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        let uri = Uri::from_static("/x");
        let rules = CrossOriginRules::new();
        assert_eq!(
            rules.check(&Method::POST, &uri, &headers),
            Err(CrossOrigin::SecFetchSite)
        );
        let rules = rules.allow_same_site(true);
        assert_eq!(rules.check(&Method::POST, &uri, &headers), Ok(()));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert_eq!(
            rules.check(&Method::POST, &uri, &headers),
            Err(CrossOrigin::SecFetchSite)
        );
    }

    #[test]
    fn parse_origin_takes_origins_only() {
        assert_eq!(
            parse_origin("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            parse_origin("https://[::1]").as_deref(),
            Some("https://[::1]")
        );
        for bad in [
            "null",
            "",
            "https://",
            "https://a/b",
            "https://u@a",
            "1ttp://a",
            "https://a b",
            "https://a?x",
        ] {
            assert_eq!(parse_origin(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn csrf_token_marks_use_through_clones_and_hides_its_value() {
        let token = CsrfToken::new("secret<>");
        let clone = token.clone();
        assert!(!format!("{token:?}").contains("secret"));
        assert!(clone.hidden_input().contains("secret&lt;&gt;"));
        assert!(token.is_used());
    }
}
