//! Where a request goes: scheme, host and origin-form path, and how a
//! `Location` reference resolves against it (RFC 3986 section 5).

use std::fmt;

use http::Uri;
use pastry_core::UrlScheme;

/// The host a relative URI is sent to.
pub(crate) const DEFAULT_HOST: &str = "localhost";

/// A request target split the way the kit needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) scheme: UrlScheme,
    /// `host[:port]`, lowercase.
    pub(crate) authority: String,
    /// Origin form: `/path?query`.
    pub(crate) path_and_query: String,
}

/// Where origin-form URIs (`/path`) go: a scheme and an authority, set
/// client-wide with `TestClient::base_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Base {
    pub(crate) scheme: UrlScheme,
    pub(crate) authority: String,
}

impl Default for Base {
    fn default() -> Self {
        Self {
            scheme: UrlScheme::Http,
            authority: DEFAULT_HOST.to_owned(),
        }
    }
}

impl Base {
    /// Parses `http://host[:port]` or `https://host[:port]` (a trailing `/`
    /// allowed, nothing more).
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with('/') {
            return Err(format!(
                "base URL {url:?} must be absolute: `http://host` or `https://host`"
            ));
        }
        let target = Target::parse(url)?;
        if target.path_and_query != "/" {
            return Err(format!(
                "base URL {url:?} must have no path or query (only `scheme://host[:port]`)"
            ));
        }
        Ok(Self {
            scheme: target.scheme,
            authority: target.authority,
        })
    }
}

impl Target {
    /// Parses what the user passed to `client.get(...)`, sending an
    /// origin-form URI to `http://localhost`.
    pub(crate) fn parse(uri: &str) -> Result<Self, String> {
        Self::parse_from(uri, &Base::default())
    }

    /// Parses what the user passed to `client.get(...)`, sending an
    /// origin-form URI to `base`.
    pub(crate) fn parse_from(uri: &str, base: &Base) -> Result<Self, String> {
        if uri.starts_with('/') || uri == "*" {
            return Ok(Self {
                scheme: base.scheme,
                authority: base.authority.clone(),
                path_and_query: uri.to_owned(),
            });
        }
        let parsed: Uri = uri
            .parse()
            .map_err(|e| format!("invalid request URI {uri:?}: {e}"))?;
        let (Some(scheme), Some(authority)) = (parsed.scheme_str(), parsed.authority()) else {
            return Err(format!(
                "request URI {uri:?} is neither origin-form (`/path`) nor absolute (`http://host/path`)"
            ));
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => UrlScheme::Http,
            "https" => UrlScheme::Https,
            other => return Err(format!("unsupported scheme {other:?} in {uri:?}")),
        };
        let path_and_query = parsed
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let path_and_query = if path_and_query.starts_with('/') {
            path_and_query
        } else {
            format!("/{path_and_query}")
        };
        Ok(Self {
            scheme,
            authority: authority.as_str().to_ascii_lowercase(),
            path_and_query,
        })
    }

    /// `scheme://authority`, for messages.
    pub(crate) fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The host without the port (brackets kept off IPv6 literals).
    pub(crate) fn host(&self) -> &str {
        host_of(&self.authority)
    }

    /// The path without the query.
    pub(crate) fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// Appends encoded query pairs.
    pub(crate) fn append_query(&mut self, encoded: &str) {
        if encoded.is_empty() {
            return;
        }
        if self.path_and_query.contains('?') {
            if !self.path_and_query.ends_with('?') && !self.path_and_query.ends_with('&') {
                self.path_and_query.push('&');
            }
        } else {
            self.path_and_query.push('?');
        }
        self.path_and_query.push_str(encoded);
    }

    /// Resolves a `Location` value against this target.
    pub(crate) fn resolve(&self, reference: &str) -> Result<Self, String> {
        let reference = reference.split('#').next().unwrap_or("");
        if reference.starts_with("//") {
            let scheme = self.scheme.as_str();
            return Self::parse(&format!("{scheme}:{reference}"));
        }
        if has_scheme(reference) {
            return Self::parse(reference);
        }
        let (ref_path, ref_query) = match reference.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (reference, None),
        };
        let (base_path, base_query) = match self.path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (self.path_and_query.as_str(), None),
        };
        let (path, query) = if ref_path.is_empty() {
            (base_path.to_owned(), ref_query.or(base_query))
        } else if ref_path.starts_with('/') {
            (remove_dot_segments(ref_path), ref_query)
        } else {
            let dir = base_path.rfind('/').map_or("/", |i| &base_path[..=i]);
            (remove_dot_segments(&format!("{dir}{ref_path}")), ref_query)
        };
        let mut path_and_query = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        if let Some(q) = query {
            path_and_query.push('?');
            path_and_query.push_str(q);
        }
        Ok(Self {
            scheme: self.scheme,
            authority: self.authority.clone(),
            path_and_query,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme, self.authority, self.path_and_query
        )
    }
}

/// `host` from `host[:port]`, also for `[v6]:port`.
pub(crate) fn host_of(authority: &str) -> &str {
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !scheme.contains('/')
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Target {
        Target::parse("http://a.example/b/c/d;p?q").unwrap()
    }

    #[test]
    fn relative_uri_goes_to_localhost() {
        let t = Target::parse("/x?y=1").unwrap();
        assert_eq!(t.authority, "localhost");
        assert_eq!(t.path(), "/x");
        assert_eq!(t.to_string(), "http://localhost/x?y=1");
    }

    #[test]
    fn absolute_uri_is_split() {
        let t = Target::parse("HTTPS://Api.Example.com:8443").unwrap();
        assert_eq!(t.scheme, UrlScheme::Https);
        assert_eq!(t.authority, "api.example.com:8443");
        assert_eq!(t.host(), "api.example.com");
        assert_eq!(t.path_and_query, "/");
    }

    #[test]
    fn non_http_scheme_is_refused() {
        assert!(Target::parse("ftp://x/").is_err());
        assert!(Target::parse("x").is_err());
    }

    #[test]
    fn references_resolve_per_rfc3986() {
        let cases = [
            ("g", "/b/c/g"),
            ("./g", "/b/c/g"),
            ("g/", "/b/c/g/"),
            ("/g", "/g"),
            ("?y", "/b/c/d;p?y"),
            ("g?y", "/b/c/g?y"),
            ("", "/b/c/d;p?q"),
            (".", "/b/c/"),
            ("..", "/b/"),
            ("../g", "/b/g"),
            ("../..", "/"),
            ("../../../g", "/g"),
            ("/./g", "/g"),
            ("g#frag", "/b/c/g"),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                base().resolve(reference).unwrap().path_and_query,
                expected,
                "{reference}"
            );
        }
    }

    #[test]
    fn absolute_and_network_path_references_change_host() {
        let other = base().resolve("//other.example/x").unwrap();
        assert_eq!(other.to_string(), "http://other.example/x");
        let https = base().resolve("https://a.example/y").unwrap();
        assert_eq!(https.scheme, UrlScheme::Https);
    }

    #[test]
    fn query_is_appended() {
        let mut t = Target::parse("/x?a=1").unwrap();
        t.append_query("b=2");
        assert_eq!(t.path_and_query, "/x?a=1&b=2");
        let mut t = Target::parse("/x").unwrap();
        t.append_query("b=2");
        assert_eq!(t.path_and_query, "/x?b=2");
    }

    #[test]
    fn base_urls_are_scheme_and_authority_only() {
        let base = Base::parse("https://App.Example:8443/").unwrap();
        assert_eq!(base.scheme, UrlScheme::Https);
        assert_eq!(base.authority, "app.example:8443");
        let t = Target::parse_from("/x?y", &base).unwrap();
        assert_eq!(t.to_string(), "https://app.example:8443/x?y");
        let absolute = Target::parse_from("http://other/z", &base).unwrap();
        assert_eq!(absolute.to_string(), "http://other/z");
        assert!(Base::parse("https://a.example/app").is_err());
        assert!(Base::parse("https://a.example/?q").is_err());
        assert!(Base::parse("/x").is_err());
        assert!(Base::parse("ftp://a.example").is_err());
    }

    #[test]
    fn host_of_handles_ports_and_ipv6() {
        assert_eq!(host_of("example.com:80"), "example.com");
        assert_eq!(host_of("[::1]:80"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn resolving_any_reference_gives_an_origin_form_path(reference in "[a-z./?#%:]{0,16}") {
            if let Ok(next) = base().resolve(&reference) {
                proptest::prop_assert!(next.path_and_query.starts_with('/'));
                proptest::prop_assert!(!next.path().contains("/../"));
            }
        }
    }
}
