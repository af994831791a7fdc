//! The cookie jar: storage and sending rules of RFC 6265 section 5.3-5.4.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cookie::Cookie;
use http::HeaderMap;
use http::header::SET_COOKIE;
use pastry_core::UrlScheme;

use crate::target::Target;

/// One stored cookie.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    value: String,
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
        let name = &self.name;
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
            let text = String::from_utf8_lossy(value.as_bytes());
            let Ok(cookie) = Cookie::parse(&*text) else {
                refused.push(format!("Set-Cookie `{text}` does not parse"));
                continue;
            };
            let host = target.host().to_ascii_lowercase();
            self.refused
                .retain(|r| !(r.name == cookie.name() && r.host == host));
            match self.entry_from(&cookie, target, now) {
                Ok(entry) => self.insert(entry, now),
                Err(why) => {
                    refused.push(format!("Set-Cookie `{text}` was refused: {why}"));
                    if self.refused.len() >= REMEMBER_REFUSED {
                        self.refused.remove(0);
                    }
                    self.refused.push(Refused {
                        name: cookie.name().to_owned(),
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
        cookie: &Cookie<'_>,
        target: &Target,
        now: SystemTime,
    ) -> Result<Entry, String> {
        let host = target.host().to_ascii_lowercase();
        let secure = cookie.secure().unwrap_or(false);
        // RFC 6265bis section 5.7: a Secure cookie from a page that is not a
        // secure context is ignored, as browsers do.
        if secure && !secure_context(target) {
            return Err(format!(
                "it is Secure and {} is neither https nor a loopback host",
                target.origin()
            ));
        }
        let (domain, host_only) = match cookie.domain().map(str::to_ascii_lowercase) {
            Some(domain) if !domain.is_empty() => {
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
            _ => (host, true),
        };
        let path = match cookie.path() {
            Some(p) if p.starts_with('/') => p.to_owned(),
            _ => default_path(target.path()),
        };
        let expires = if let Some(max_age) = cookie.max_age() {
            let secs = max_age.whole_seconds();
            if secs <= 0 {
                Some(UNIX_EPOCH)
            } else {
                Some(
                    now.checked_add(Duration::from_secs(secs.unsigned_abs()))
                        .unwrap_or(now + Duration::from_secs(u32::MAX.into())),
                )
            }
        } else {
            cookie.expires_datetime().map(|at| {
                let ts = at.unix_timestamp();
                if ts <= 0 {
                    UNIX_EPOCH
                } else {
                    UNIX_EPOCH + Duration::from_secs(ts.unsigned_abs())
                }
            })
        };
        self.counter += 1;
        Ok(Entry {
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
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
            name: name.to_owned(),
            value: value.to_owned(),
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
    /// applies (longer paths first, then older cookies first), and why each
    /// other cookie in the jar stays behind.
    ///
    /// Cookies that expired by the clock stay in the jar (to be reported
    /// here) until replaced or cleared; a cookie the app deletes with
    /// `Max-Age=0` or a past `Expires` is removed at once.
    pub(crate) fn header_for(
        &mut self,
        target: &Target,
        now: SystemTime,
    ) -> (Option<String>, Vec<String>) {
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
        let pairs: Vec<String> = matching
            .iter()
            .map(|e| format!("{}={}", e.name, e.value))
            .collect();
        (Some(pairs.join("; ")), held_back)
    }

    /// The value of a live cookie called `name`.
    pub(crate) fn get(&self, name: &str, now: SystemTime) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.name == name && !e.expired(now))
            .map(|e| e.value.as_str())
    }

    /// Every live cookie as `(name, value)`.
    pub(crate) fn all(&self, now: SystemTime) -> Vec<(String, String)> {
        self.entries
            .iter()
            .filter(|e| !e.expired(now))
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect()
    }

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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
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
