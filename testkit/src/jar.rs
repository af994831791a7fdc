//! The cookie jar: the `Set-Cookie` parser of RFC 6265 section 5.2 (on
//! octets) and the storage and sending rules of sections 5.3-5.4.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue};
use pastry_core::UrlScheme;

use crate::cookie_date::parse_cookie_date;
use crate::target::Target;

/// A `Set-Cookie` value parsed per RFC 6265 section 5.2: name and value as
/// octets, the attributes the jar uses (the last of each name wins; one
/// whose value does not parse is ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SetCookie {
    pub(crate) name: Vec<u8>,
    pub(crate) value: Vec<u8>,
    pub(crate) expires: Option<SystemTime>,
    /// Seconds; zero or less means "expire now".
    pub(crate) max_age: Option<i64>,
    /// Lowercase, without a leading dot; `None` for an absent or empty
    /// `Domain`.
    pub(crate) domain: Option<String>,
    /// `None` when absent or not starting with `/` (the default path).
    pub(crate) path: Option<String>,
    pub(crate) secure: bool,
}

/// SP and HTAB, what section 5.2 trims.
fn trim_wsp(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &bytes[start..end.max(start)]
}

impl SetCookie {
    /// Parses a `Set-Cookie` value; `Err` says why the whole header is
    /// ignored (no `=` in the name-value pair, or an empty name).
    pub(crate) fn parse(header: &[u8]) -> Result<Self, &'static str> {
        let (pair, attributes) = match header.iter().position(|&b| b == b';') {
            Some(i) => (&header[..i], &header[i..]),
            None => (header, &[][..]),
        };
        let Some(eq) = pair.iter().position(|&b| b == b'=') else {
            return Err("it has no `=` between a name and a value");
        };
        let name = trim_wsp(&pair[..eq]);
        let value = trim_wsp(&pair[eq + 1..]);
        if name.is_empty() {
            return Err("its cookie name is empty");
        }
        let mut cookie = SetCookie {
            name: name.to_vec(),
            value: value.to_vec(),
            ..SetCookie::default()
        };
        for av in attributes.split(|&b| b == b';').skip(1) {
            let (key, val) = match av.iter().position(|&b| b == b'=') {
                Some(i) => (trim_wsp(&av[..i]), trim_wsp(&av[i + 1..])),
                None => (trim_wsp(av), &[][..]),
            };
            if key.eq_ignore_ascii_case(b"expires") {
                if let Some(at) = parse_cookie_date(val) {
                    cookie.expires = Some(at);
                }
            } else if key.eq_ignore_ascii_case(b"max-age") {
                if let Some(secs) = parse_max_age(val) {
                    cookie.max_age = Some(secs);
                }
            } else if key.eq_ignore_ascii_case(b"domain") {
                let domain = val.strip_prefix(b".").unwrap_or(val);
                cookie.domain = (!domain.is_empty())
                    .then(|| String::from_utf8_lossy(domain).to_ascii_lowercase());
            } else if key.eq_ignore_ascii_case(b"path") {
                cookie.path =
                    (val.first() == Some(&b'/')).then(|| String::from_utf8_lossy(val).into_owned());
            } else if key.eq_ignore_ascii_case(b"secure") {
                cookie.secure = true;
            }
        }
        Ok(cookie)
    }
}

/// Section 5.2.2: an optional `-` then digits, else the attribute is
/// ignored; values past `i64` saturate.
fn parse_max_age(value: &[u8]) -> Option<i64> {
    let (negative, digits) = match value.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |n, &d| {
        n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// Bytes as text for messages and the text accessors.
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// One stored cookie.
#[derive(Clone, Debug)]
struct Entry {
    /// Octets, as the `Set-Cookie` sent them (RFC 6265 section 5.2).
    name: Vec<u8>,
    value: Vec<u8>,
    /// Lowercase host or domain; `None` for a user-set cookie sent anywhere.
    domain: Option<String>,
    host_only: bool,
    path: String,
    secure: bool,
    expires: Option<SystemTime>,
    /// Insertion order, for the "earlier created first" sending rule.
    created: u64,
}

impl Entry {
    fn expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }

    fn same_slot(&self, other: &Entry) -> bool {
        self.name == other.name && self.domain == other.domain && self.path == other.path
    }

    /// Why this cookie does not go with a request to `target`, if it does
    /// not.
    fn held_back(&self, target: &Target, now: SystemTime) -> Option<String> {
        let name = lossy(&self.name);
        if self.expired(now) {
            return Some(format!(
                "`{name}` expired (its Max-Age or Expires has passed on the jar's clock)"
            ));
        }
        if self.secure && !secure_context(target) {
            return Some(format!(
                "`{name}` is Secure and {} is neither https nor a loopback host; \
                 send the request to an https:// URL or set TestClient::base_url(\"https://...\")",
                target.origin()
            ));
        }
        let host = target.host();
        let domain_ok = match &self.domain {
            None => true,
            Some(domain) if self.host_only => host == domain,
            Some(domain) => domain_matches(host, domain),
        };
        if !domain_ok {
            let scope = match &self.domain {
                Some(domain) if self.host_only => format!("host {domain} only"),
                Some(domain) => format!("Domain={domain}"),
                None => "any host".to_owned(),
            };
            return Some(format!("`{name}` is for {scope}, not {host}"));
        }
        if !path_matches(target.path(), &self.path) {
            return Some(format!(
                "`{name}` has Path={}, which does not match {}",
                self.path,
                target.path()
            ));
        }
        None
    }
}

/// Whether `target` is a secure context, as browsers decide: `https`, or
/// a loopback host (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`)
/// over plain `http`. `Secure` cookies are kept from and sent to these.
pub(crate) fn secure_context(target: &Target) -> bool {
    target.scheme == UrlScheme::Https || is_loopback(target.host())
}

/// `localhost`, `*.localhost`, `127.0.0.0/8` or `::1`.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Cookies kept across requests.
#[derive(Debug, Default)]
pub(crate) struct CookieJar {
    entries: Vec<Entry>,
    counter: u64,
    /// Recently refused cookies, reported on later requests to their host
    /// until one of the same name is stored there.
    refused: Vec<Refused>,
}

/// How many refused cookies the jar remembers for its reports.
const REMEMBER_REFUSED: usize = 32;

/// A `Set-Cookie` the jar did not store.
#[derive(Clone, Debug)]
struct Refused {
    name: String,
    host: String,
    why: String,
}

impl CookieJar {
    /// Stores (or removes) the cookies of every `Set-Cookie` in `headers`,
    /// received from `target`; returns why any of them was refused.
    pub(crate) fn store(
        &mut self,
        headers: &HeaderMap,
        target: &Target,
        now: SystemTime,
    ) -> Vec<String> {
        let mut refused = Vec::new();
        for value in headers.get_all(SET_COOKIE) {
            let text = lossy(value.as_bytes());
            let cookie = match SetCookie::parse(value.as_bytes()) {
                Ok(cookie) => cookie,
                Err(why) => {
                    refused.push(format!("Set-Cookie `{text}` was ignored: {why}"));
                    continue;
                }
            };
            let host = target.host().to_ascii_lowercase();
            let name = lossy(&cookie.name).into_owned();
            self.refused.retain(|r| !(r.name == name && r.host == host));
            match self.entry_from(&cookie, target, now) {
                Ok(entry) => self.insert(entry, now),
                Err(why) => {
                    refused.push(format!("Set-Cookie `{text}` was refused: {why}"));
                    if self.refused.len() >= REMEMBER_REFUSED {
                        self.refused.remove(0);
                    }
                    self.refused.push(Refused {
                        name,
                        host,
                        why: format!("{why} (from {target})"),
                    });
                }
            }
        }
        refused
    }

    fn entry_from(
        &mut self,
        cookie: &SetCookie,
        target: &Target,
        now: SystemTime,
    ) -> Result<Entry, String> {
        let host = target.host().to_ascii_lowercase();
        let secure = cookie.secure;
        // RFC 6265bis section 5.7: a Secure cookie from a page that is not a
        // secure context is ignored, as browsers do.
        if secure && !secure_context(target) {
            return Err(format!(
                "it is Secure and {} is neither https nor a loopback host",
                target.origin()
            ));
        }
        let (domain, host_only) = match cookie.domain.clone() {
            Some(domain) => {
                // A single-label Domain (`com`) other than the host itself
                // would reach every site under it: refused, as browsers
                // refuse public suffixes.
                if !domain_matches(&host, &domain) {
                    return Err(format!("Domain={domain} does not cover the host {host}"));
                }
                if !domain.contains('.') && domain != host {
                    return Err(format!("Domain={domain} is a top-level domain"));
                }
                (domain, false)
            }
            None => (host, true),
        };
        let path = match &cookie.path {
            Some(p) => p.clone(),
            None => default_path(target.path()),
        };
        // Section 5.3 step 3: Max-Age wins over Expires.
        let expires = if let Some(secs) = cookie.max_age {
            if secs <= 0 {
                Some(UNIX_EPOCH)
            } else {
                Some(
                    now.checked_add(Duration::from_secs(secs.unsigned_abs()))
                        .unwrap_or(now + Duration::from_secs(u32::MAX.into())),
                )
            }
        } else {
            cookie.expires
        };
        self.counter += 1;
        Ok(Entry {
            name: cookie.name.clone(),
            value: cookie.value.clone(),
            domain: Some(domain),
            host_only,
            path,
            secure,
            expires,
            created: self.counter,
        })
    }

    fn insert(&mut self, mut entry: Entry, now: SystemTime) {
        if let Some(pos) = self.entries.iter().position(|e| e.same_slot(&entry)) {
            let old = self.entries.remove(pos);
            entry.created = old.created;
        }
        if !entry.expired(now) {
            self.entries.push(entry);
        }
    }

    /// A user-set cookie, sent to every host and path.
    pub(crate) fn set_user(&mut self, name: &str, value: &str, now: SystemTime) {
        self.counter += 1;
        let entry = Entry {
            name: name.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
            domain: None,
            host_only: false,
            path: "/".to_owned(),
            secure: false,
            expires: None,
            created: self.counter,
        };
        self.insert(entry, now);
    }

    /// The `Cookie` header value for a request to `target`, if any cookie
    /// applies (longer paths first, then older cookies first), as octets
    /// (RFC 6265 section 5.4: bytes above 0x7F go back as they came), and
    /// why each other cookie in the jar stays behind.
    ///
    /// Cookies that expired by the clock stay in the jar (to be reported
    /// here) until replaced or cleared; a cookie the app deletes with
    /// `Max-Age=0` or a past `Expires` is removed at once.
    pub(crate) fn header_for(
        &mut self,
        target: &Target,
        now: SystemTime,
    ) -> (Option<Vec<u8>>, Vec<String>) {
        let mut matching: Vec<&Entry> = Vec::new();
        let host = target.host().to_ascii_lowercase();
        let mut held_back: Vec<String> = self
            .refused
            .iter()
            .filter(|r| r.host == host)
            .map(|r| format!("`{}` was refused when set: {}", r.name, r.why))
            .collect();
        for entry in &self.entries {
            match entry.held_back(target, now) {
                None => matching.push(entry),
                Some(why) => held_back.push(why),
            }
        }
        if matching.is_empty() {
            return (None, held_back);
        }
        matching.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then(a.created.cmp(&b.created))
        });
        let mut header = Vec::new();
        for (i, e) in matching.iter().enumerate() {
            if i > 0 {
                header.extend_from_slice(b"; ");
            }
            header.extend_from_slice(&e.name);
            header.push(b'=');
            header.extend_from_slice(&e.value);
        }
        (Some(header), held_back)
    }

    /// The value of a live cookie called `name` (bytes that are not UTF-8
    /// shown as U+FFFD).
    pub(crate) fn get(&self, name: &str, now: SystemTime) -> Option<String> {
        self.entries
            .iter()
            .find(|e| e.name == name.as_bytes() && !e.expired(now))
            .map(|e| lossy(&e.value).into_owned())
    }

    /// Every live cookie as `(name, value)`.
    pub(crate) fn all(&self, now: SystemTime) -> Vec<(String, String)> {
        self.entries
            .iter()
            .filter(|e| !e.expired(now))
            .map(|e| (lossy(&e.name).into_owned(), lossy(&e.value).into_owned()))
            .collect()
    }

    /// The raw value of a live cookie called `name`.
    pub(crate) fn get_bytes(&self, name: &str, now: SystemTime) -> Option<Vec<u8>> {
        self.entries
            .iter()
            .find(|e| e.name == name.as_bytes() && !e.expired(now))
            .map(|e| e.value.clone())
    }
}

/// Joins the request's own `Cookie` header with the jar's, as octets.
pub(crate) fn merge_cookie_header(own: Option<&HeaderValue>, jar: &[u8]) -> Option<HeaderValue> {
    let mut bytes = Vec::new();
    if let Some(own) = own {
        bytes.extend_from_slice(own.as_bytes());
        bytes.extend_from_slice(b"; ");
    }
    bytes.extend_from_slice(jar);
    HeaderValue::from_bytes(&bytes).ok()
}

impl CookieJar {
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.refused.clear();
    }
}

/// RFC 6265 section 5.1.3.
fn domain_matches(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    let is_ip = host.parse::<std::net::IpAddr>().is_ok();
    !is_ip
        && host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// RFC 6265 section 5.1.4.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => request_path[..i].to_owned(),
    }
}

/// RFC 6265 section 5.1.4: a cookie path matches on segment boundaries.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    if request_path == cookie_path {
        return true;
    }
    request_path.starts_with(cookie_path)
        && (cookie_path.ends_with('/')
            || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_match_is_on_segment_boundaries() {
        assert!(path_matches("/admin", "/admin"));
        assert!(path_matches("/admin/users", "/admin"));
        assert!(path_matches("/admin/users", "/admin/"));
        assert!(!path_matches("/administrator", "/admin"));
        assert!(!path_matches("/", "/admin"));
        assert!(path_matches("/anything", "/"));
    }

    #[test]
    fn domain_match_needs_a_dot_boundary() {
        assert!(domain_matches("example.com", "example.com"));
        assert!(domain_matches("www.example.com", "example.com"));
        assert!(!domain_matches("badexample.com", "example.com"));
        assert!(!domain_matches("example.com", "www.example.com"));
        assert!(!domain_matches("10.0.0.1", "0.0.1"));
    }

    #[test]
    fn loopback_hosts_are_the_browsers_secure_contexts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "app.localhost",
            "127.0.0.1",
            "127.255.0.9",
            "::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "example.com",
            "localhost.example.com",
            "mylocalhost",
            "127.0.0.1.example",
            "128.0.0.1",
            "::2",
            "10.0.0.1",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn default_path_is_the_directory() {
        assert_eq!(default_path("/"), "/");
        assert_eq!(default_path("/login"), "/");
        assert_eq!(default_path("/a/b/c"), "/a/b");
        assert_eq!(default_path("/a/b/"), "/a/b");
    }

    #[test]
    fn set_cookie_attributes_last_valid_one_wins() {
        let c = SetCookie::parse(b"a=b; Path=/x; Path=rel; Domain=.Example.COM; Domain=; secure")
            .unwrap();
        assert_eq!(c.path, None, "a Path not starting with / means the default");
        assert_eq!(c.domain, None, "an empty Domain means none");
        assert!(c.secure);
        let c = SetCookie::parse(b"a=b; Domain=.Example.COM; Max-Age=5; Max-Age=x").unwrap();
        assert_eq!(c.domain.as_deref(), Some("example.com"));
        assert_eq!(c.max_age, Some(5));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        #[test]
        fn set_cookie_parser_is_total(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            let _ = SetCookie::parse(&bytes);
        }

        #[test]
        fn a_matching_cookie_path_is_a_segment_prefix(req in "(/[ab]{0,2}){1,3}", cookie in "(/[ab]{0,2}){1,2}") {
            if path_matches(&req, &cookie) {
                proptest::prop_assert!(req.starts_with(&cookie));
                let rest = &req[cookie.len()..];
                proptest::prop_assert!(rest.is_empty() || rest.starts_with('/') || cookie.ends_with('/'));
            }
            // A cookie always matches the directory it defaults to.
            proptest::prop_assert!(path_matches(&req, &default_path(&req)));
        }
    }
}
