//! Host keys (`api.example.com`, `*.example.com:8443`) and the host a
//! request names.

use std::borrow::Cow;

use http::Request;
use http::header::HOST;
use pastry_core::host::single_host;
use pastry_core::{Environ, UrlScheme};

/// A parsed, lowercased host key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostKey {
    /// The host (for a wildcard, the suffix after `*.`), lowercase, without
    /// a trailing dot; IPv6 literals keep their brackets.
    pub(crate) name: String,
    /// The port the key names, if any.
    pub(crate) port: Option<u16>,
    /// `*.name`: any subdomain of `name`, at any depth.
    pub(crate) wildcard: bool,
}

impl HostKey {
    /// Parses a key as given to `Mount::host`; `None` when malformed.
    pub(crate) fn parse(key: &str) -> Option<Self> {
        let (wildcard, rest) = match key.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, key),
        };
        let (name, port) = split_port(rest)?;
        let name = clean_name(name)?;
        if name.contains('*') || (wildcard && name.starts_with('[')) {
            return None;
        }
        Some(Self {
            name: name.into_owned(),
            port,
            wildcard,
        })
    }
}

/// Why a request's `Host` header was refused.
pub(crate) type BadHost = &'static str;

/// RFC 9112 §3.2: a request with several `Host` headers, or one that is not
/// `host[:port]`, is answered `400` (as `pastry::serve` does). A missing
/// `Host` is the server's to judge (HTTP/1.0 and HTTP/2 may omit it).
pub(crate) fn check_host_header<B>(req: &Request<B>) -> Result<(), BadHost> {
    single_host(req.headers()).map(drop)
}

/// The host a request names: its URI authority (HTTP/2, absolute-form) or
/// else its `Host` header, lowercased, with the effective port (the
/// explicit one, else the scheme's default). `None` when absent, or a name
/// no host key can match (`%`-escapes, sub-delims): such a request only
/// matches host-less mounts. A malformed `Host` never gets here: the map
/// answers it `400` first ([`check_host_header`]).
pub(crate) fn request_host<B>(req: &Request<B>) -> Option<(Cow<'_, str>, u16)> {
    let authority = match req.uri().authority() {
        Some(authority) => authority.as_str(),
        None => req.headers().get(HOST)?.to_str().ok()?,
    };
    // Userinfo is not part of the host.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    // `host:` names the default port (RFC 3986 §3.2.3).
    let authority = authority.strip_suffix(':').unwrap_or(authority);
    let (name, port) = split_port(authority)?;
    let name = clean_name(name)?;
    let port = port.unwrap_or(match req.url_scheme() {
        UrlScheme::Http => 80,
        UrlScheme::Https => 443,
    });
    Some((name, port))
}

/// Splits `host[:port]`; `None` for a malformed port.
fn split_port(text: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = if text.starts_with('[') {
        let end = text.find(']')?;
        let (name, after) = text.split_at(end + 1);
        match after {
            "" => (name, None),
            _ => (name, Some(after.strip_prefix(':')?)),
        }
    } else {
        match text.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        None => None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse().ok()?)
        }
        Some(_) => return None,
    };
    Some((name, port))
}

/// Lowercases and drops one trailing dot; `None` when empty, longer than a
/// DNS name may be, or holding characters no host name has.
fn clean_name(name: &str) -> Option<Cow<'_, str>> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return None;
    }
    let ok = if name.starts_with('[') {
        name.ends_with(']')
            && name[1..name.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*'))
    };
    if !ok {
        return None;
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(name.to_ascii_lowercase()))
    } else {
        Some(Cow::Borrowed(name))
    }
}

/// The suffixes a wildcard key may name for `host`, most specific first:
/// `a.b.example.com` gives `b.example.com`, `example.com`, `com`.
pub(crate) fn wildcard_suffixes(host: &str) -> impl Iterator<Item = &str> {
    host.match_indices('.').map(move |(i, _)| &host[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Option<(String, Option<u16>, bool)> {
        HostKey::parse(text).map(|k| (k.name, k.port, k.wildcard))
    }

    #[test]
    fn keys_are_lowercased_and_ports_parsed() {
        assert_eq!(
            key("API.Example.com"),
            Some(("api.example.com".into(), None, false))
        );
        assert_eq!(
            key("api.example.com:8080"),
            Some(("api.example.com".into(), Some(8080), false))
        );
        assert_eq!(
            key("*.example.com."),
            Some(("example.com".into(), None, true))
        );
        assert_eq!(key("[::1]:8443"), Some(("[::1]".into(), Some(8443), false)));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            ":80",
            "a b",
            "a.*.com",
            "example.com:x",
            "example.com:99999",
            "*",
            "*.",
            "*.[::1]",
            "a/b",
        ] {
            assert_eq!(key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn request_host_prefers_the_authority_and_defaults_the_port() {
        let req = Request::get("http://Api.Example.com./x")
            .header(HOST, "other.example")
            .body(())
            .unwrap();
        assert_eq!(
            request_host(&req),
            Some((Cow::Owned("api.example.com".into()), 80))
        );

        let req = Request::get("/x")
            .header(HOST, "example.com:8080")
            .body(())
            .unwrap();
        assert_eq!(
            request_host(&req),
            Some((Cow::Borrowed("example.com"), 8080))
        );

        let mut req = Request::get("/x")
            .header(HOST, "example.com")
            .body(())
            .unwrap();
        req.extensions_mut().insert(UrlScheme::Https);
        assert_eq!(request_host(&req).map(|(_, port)| port), Some(443));
    }

    #[test]
    fn malformed_or_repeated_host_headers_are_refused() {
        for bad in [
            "",
            "exa mple.com",
            "example.com:abc",
            "example.com:99999",
            "[::1",
            "[::1]x",
            "a@",
            "a/b",
            "a.example, b.example",
        ] {
            let req = Request::get("/x").header(HOST, bad).body(()).unwrap();
            assert_eq!(
                check_host_header(&req),
                Err("malformed Host header"),
                "{bad:?}"
            );
        }
        let req = Request::get("/x")
            .header(HOST, "a.example")
            .header(HOST, "a.example")
            .body(())
            .unwrap();
        assert_eq!(check_host_header(&req), Err("several Host headers"));
        for good in ["example.com", "example.com:", "[::1]:8080", "a%41b", "a~b"] {
            let req = Request::get("/x").header(HOST, good).body(()).unwrap();
            assert_eq!(check_host_header(&req), Ok(()), "{good:?}");
        }
        let req = Request::get("/x").body(()).unwrap();
        assert_eq!(check_host_header(&req), Ok(()));
    }

    #[test]
    fn hosts_no_key_can_name_are_absent() {
        for odd in ["a%41b", "a~b", "a!b"] {
            let req = Request::get("/x").header(HOST, odd).body(()).unwrap();
            assert_eq!(request_host(&req), None, "{odd:?}");
        }
        let req = Request::get("/x").body(()).unwrap();
        assert_eq!(request_host(&req), None);
        // An empty port is the scheme's default.
        let req = Request::get("/x")
            .header(HOST, "example.com:")
            .body(())
            .unwrap();
        assert_eq!(request_host(&req), Some((Cow::Borrowed("example.com"), 80)));
    }

    #[test]
    fn wildcard_suffixes_run_most_specific_first() {
        let suffixes: Vec<_> = wildcard_suffixes("a.b.example.com").collect();
        assert_eq!(suffixes, ["b.example.com", "example.com", "com"]);
        assert_eq!(wildcard_suffixes("localhost").count(), 0);
    }
}
