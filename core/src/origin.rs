//! Cross-origin request checks from the Fetch metadata and `Origin` headers.

use std::fmt;

use http::{HeaderMap, Method, Uri, header};

/// Why [`check_cross_origin`] refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrossOrigin {
    /// `Sec-Fetch-Site` says the request came from another site or origin
    /// (any value but `same-origin` and `none`).
    SecFetchSite,
    /// No `Sec-Fetch-Site`, and `Origin` names another host (or port) than
    /// the request's `Host`, or is `null` or malformed.
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

/// Whether a request may be a cross-origin forgery (CSRF), by the rule of
/// Go 1.25's `http.CrossOriginProtection`, without tokens:
///
/// 1. `GET`, `HEAD` and `OPTIONS` are always allowed (they must not change
///    anything);
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
/// headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
/// assert_eq!(check_cross_origin(&Method::POST, &uri, &headers), Err(CrossOrigin::SecFetchSite));
/// ```
pub fn check_cross_origin(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), CrossOrigin> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
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
        (Some(origin), Some(host)) if !origin.is_empty() && origin.eq_ignore_ascii_case(host) => {
            Ok(())
        }
        _ => Err(CrossOrigin::Origin),
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
}
