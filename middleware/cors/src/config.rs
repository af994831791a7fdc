//! The settings of a [`CorsLayer`](crate::CorsLayer) and the policy that
//! reads them: which origin, method and headers are allowed, and the
//! headers each answer carries. No `tower` types here.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, AUTHORIZATION, ORIGIN,
};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use pastry_core::header::merge_vary;
use pastry_core::parse_origin;

use crate::CorsError;

/// The request header of a Private Network Access preflight.
pub(crate) const REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");
/// The answer that allows it.
pub(crate) const ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");

/// A user's origin predicate.
pub(crate) type Predicate = Arc<dyn Fn(&HeaderValue, &Parts) -> bool + Send + Sync>;

/// The settings as the builder collected them, unchecked.
#[derive(Clone, Default)]
pub(crate) struct Config {
    pub(crate) origins: Vec<String>,
    pub(crate) predicate: Option<Predicate>,
    pub(crate) any_origin: bool,
    pub(crate) methods: Option<Vec<String>>,
    pub(crate) headers: Vec<String>,
    pub(crate) mirror_headers: bool,
    pub(crate) expose: Vec<String>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) credentials: bool,
    pub(crate) private_network: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("origins", &self.origins)
            .field("predicate", &self.predicate.is_some())
            .field("any_origin", &self.any_origin)
            .field("methods", &self.methods)
            .field("headers", &self.headers)
            .field("mirror_headers", &self.mirror_headers)
            .field("expose", &self.expose)
            .field("max_age", &self.max_age)
            .field("credentials", &self.credentials)
            .field("private_network", &self.private_network)
            .finish()
    }
}

/// The methods allowed when none are set: the CORS-safelisted ones.
pub(crate) const DEFAULT_METHODS: [Method; 3] = [Method::GET, Method::HEAD, Method::POST];

/// Which origins may read responses.
enum Origins {
    /// Every origin, answered with `*` (never with credentials).
    Any,
    /// Listed serialized origins (lower case, default port dropped), then
    /// the predicate.
    Listed {
        list: Vec<String>,
        predicate: Option<Predicate>,
    },
}

/// The checked settings, with the header values precomputed.
pub(crate) struct Policy {
    origins: Origins,
    methods: Vec<Method>,
    any_method: bool,
    allow_methods: HeaderValue,
    headers: Vec<HeaderName>,
    any_header: bool,
    mirror_headers: bool,
    allow_headers: Option<HeaderValue>,
    expose: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
    credentials: bool,
    private_network: bool,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origins: &dyn fmt::Debug = match &self.origins {
            Origins::Any => &"*",
            Origins::Listed { list, .. } => list,
        };
        f.debug_struct("Policy")
            .field("origins", origins)
            .field("allow_methods", &self.allow_methods)
            .field("allow_headers", &self.allow_headers)
            .field("mirror_headers", &self.mirror_headers)
            .field("expose", &self.expose)
            .field("max_age", &self.max_age)
            .field("credentials", &self.credentials)
            .field("private_network", &self.private_network)
            .finish_non_exhaustive()
    }
}

/// Why a preflight was refused (logged, never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Origin,
    Method,
    Header,
    PrivateNetwork,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Origin => "origin not allowed",
            Refusal::Method => "method not allowed",
            Refusal::Header => "a requested header is not allowed",
            Refusal::PrivateNetwork => "private network access not enabled",
        })
    }
}

/// `origin` as a browser serializes it, or `None`: lower case, no path,
/// and without the scheme's default port (`https://a.example:443` is sent
/// as `https://a.example`).
pub(crate) fn serialized_origin(origin: &str) -> Option<String> {
    let origin = parse_origin(origin)?;
    if origin.contains('@') || origin.contains('?') || origin.contains('#') {
        return None;
    }
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        if origin.starts_with(scheme)
            && let Some(bare) = origin.strip_suffix(port)
        {
            return Some(bare.to_owned());
        }
    }
    Some(origin)
}

/// Whether an `Origin` value could be one a browser sends: `null`, or
/// `scheme://host[:port]` made of visible ASCII without `*`, `,` or a
/// space. Anything else (`*` above all) is never mirrored, whatever a
/// predicate says: mirroring `Origin: *` would answer `*` with
/// credentials.
fn is_origin_like(origin: &HeaderValue) -> bool {
    let bytes = origin.as_bytes();
    bytes == b"null"
        || (bytes.windows(3).any(|w| w == b"://")
            && bytes
                .iter()
                .all(|&b| b.is_ascii_graphic() && !matches!(b, b'*' | b',')))
}

/// `names` as one comma-separated header value, `None` when empty.
fn joined<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<HeaderValue> {
    let text = names.into_iter().collect::<Vec<_>>().join(", ");
    if text.is_empty() {
        return None;
    }
    HeaderValue::from_str(&text).ok()
}

/// Header names (or `*`) checked and lower-cased.
fn header_names(names: &[String]) -> Result<(Vec<HeaderName>, bool), CorsError> {
    let mut out = Vec::new();
    let mut any = false;
    for name in names {
        let name = name.trim();
        if name == "*" {
            any = true;
            continue;
        }
        out.push(
            HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| CorsError::InvalidHeaderName(name.to_owned()))?,
        );
    }
    Ok((out, any))
}

impl Config {
    /// Checks the settings: every cross-field rule is here.
    pub(crate) fn policy(self) -> Result<Policy, CorsError> {
        // Origins.
        let origins = if self.any_origin {
            if !self.origins.is_empty() || self.predicate.is_some() {
                return Err(CorsError::ConflictingOrigins);
            }
            if self.credentials {
                return Err(CorsError::CredentialsWithWildcard("allowed origins"));
            }
            Origins::Any
        } else {
            let mut list = Vec::with_capacity(self.origins.len());
            for origin in &self.origins {
                if origin.trim() == "*" {
                    return Err(CorsError::WildcardInOriginList);
                }
                let serialized = serialized_origin(origin)
                    .ok_or_else(|| CorsError::InvalidOrigin(origin.clone()))?;
                if !list.contains(&serialized) {
                    list.push(serialized);
                }
            }
            if list.is_empty() && self.predicate.is_none() {
                return Err(CorsError::NoOrigin);
            }
            Origins::Listed {
                list,
                predicate: self.predicate,
            }
        };

        // Methods.
        let configured = self
            .methods
            .unwrap_or_else(|| DEFAULT_METHODS.iter().map(|m| m.to_string()).collect());
        let mut methods = Vec::new();
        let mut any_method = false;
        for method in &configured {
            let method = method.trim();
            if method == "*" {
                any_method = true;
                continue;
            }
            let parsed = Method::from_bytes(method.as_bytes())
                .map_err(|_| CorsError::InvalidMethod(method.to_owned()))?;
            if !methods.contains(&parsed) {
                methods.push(parsed);
            }
        }
        if any_method && self.credentials {
            return Err(CorsError::CredentialsWithWildcard("allowed methods"));
        }
        let mut method_names: Vec<&str> = methods.iter().map(Method::as_str).collect();
        if any_method {
            method_names.insert(0, "*");
        }
        let allow_methods =
            joined(method_names).unwrap_or_else(|| HeaderValue::from_static("GET, HEAD, POST"));

        // Request headers.
        let (headers, any_header) = header_names(&self.headers)?;
        if any_header && self.credentials {
            return Err(CorsError::CredentialsWithWildcard("allowed headers"));
        }
        let mut header_list: Vec<&str> = headers.iter().map(HeaderName::as_str).collect();
        if any_header {
            header_list.insert(0, "*");
        }
        let allow_headers = joined(header_list);

        // Exposed headers.
        let (exposed, any_exposed) = header_names(&self.expose)?;
        if any_exposed && self.credentials {
            return Err(CorsError::CredentialsWithWildcard("exposed headers"));
        }
        let mut expose_list: Vec<&str> = exposed.iter().map(HeaderName::as_str).collect();
        if any_exposed {
            expose_list.insert(0, "*");
        }
        let expose = joined(expose_list);

        Ok(Policy {
            origins,
            methods,
            any_method,
            allow_methods,
            headers,
            any_header,
            mirror_headers: self.mirror_headers,
            allow_headers,
            expose,
            max_age: self.max_age.map(|age| HeaderValue::from(age.as_secs())),
            credentials: self.credentials,
            private_network: self.private_network,
        })
    }
}

/// Whether a request is a CORS preflight: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`.
pub(crate) fn is_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(ORIGIN)
        && parts.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

impl Policy {
    /// Whether the answers depend on the request's `Origin` (they do unless
    /// every origin gets `*`).
    pub(crate) fn varies_on_origin(&self) -> bool {
        !matches!(self.origins, Origins::Any)
    }

    /// The `Access-Control-Allow-Origin` value for this request, or `None`
    /// when its origin may not read the response.
    pub(crate) fn allowed_origin(&self, parts: &Parts) -> Option<HeaderValue> {
        match &self.origins {
            Origins::Any => Some(HeaderValue::from_static("*")),
            Origins::Listed { list, predicate } => {
                let origin = parts.headers.get(ORIGIN).filter(|o| is_origin_like(o))?;
                let listed = list
                    .iter()
                    .any(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin.as_bytes()));
                (listed || predicate.as_ref().is_some_and(|allow| allow(origin, parts)))
                    .then(|| origin.clone())
            }
        }
    }

    /// The CORS headers of an allowed preflight, or why it is refused.
    pub(crate) fn preflight(&self, parts: &Parts) -> Result<HeaderMap, Refusal> {
        let origin = self.allowed_origin(parts).ok_or(Refusal::Origin)?;

        let method = parts
            .headers
            .get(ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .ok_or(Refusal::Method)?;
        let safelisted = DEFAULT_METHODS.contains(&method);
        if !(safelisted || self.any_method || self.methods.contains(&method)) {
            return Err(Refusal::Method);
        }

        let requested = parts.headers.get_all(ACCESS_CONTROL_REQUEST_HEADERS);
        let mut mirrored = Vec::new();
        for value in requested.iter() {
            let text = value.to_str().map_err(|_| Refusal::Header)?;
            for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| Refusal::Header)?;
                // `*` never covers `Authorization` (Fetch): it must be listed.
                let allowed = self.mirror_headers
                    || self.headers.contains(&name)
                    || (self.any_header && name != AUTHORIZATION);
                if !allowed {
                    return Err(Refusal::Header);
                }
                mirrored.push(name);
            }
        }

        let private_network = parts
            .headers
            .get(REQUEST_PRIVATE_NETWORK)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        if private_network && !self.private_network {
            return Err(Refusal::PrivateNetwork);
        }

        let mut headers = HeaderMap::new();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if self.credentials {
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, self.allow_methods.clone());
        let allow_headers = if self.mirror_headers {
            joined(mirrored.iter().map(HeaderName::as_str))
        } else {
            self.allow_headers.clone()
        };
        if let Some(value) = allow_headers {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, value);
        }
        if let Some(age) = &self.max_age {
            headers.insert(ACCESS_CONTROL_MAX_AGE, age.clone());
        }
        if private_network {
            headers.insert(ALLOW_PRIVATE_NETWORK, HeaderValue::from_static("true"));
        }
        Ok(headers)
    }

    /// Adds `Vary` for a preflight answer, allowed or refused: it depends on
    /// the origin, the method, the headers and the private-network ask.
    pub(crate) fn vary_preflight(&self, headers: &mut HeaderMap) {
        merge_vary(headers, &ORIGIN);
        merge_vary(headers, &ACCESS_CONTROL_REQUEST_METHOD);
        merge_vary(headers, &ACCESS_CONTROL_REQUEST_HEADERS);
        if self.private_network {
            merge_vary(headers, &REQUEST_PRIVATE_NETWORK);
        }
    }

    /// Adds the CORS headers to the app's answer to an actual request:
    /// `Vary: Origin` merged when the answer depends on it, and for an
    /// allowed origin `Access-Control-Allow-Origin`, `-Allow-Credentials`
    /// and `-Expose-Headers`.
    pub(crate) fn decorate(&self, headers: &mut HeaderMap, origin: Option<HeaderValue>) {
        if self.varies_on_origin() {
            merge_vary(headers, &ORIGIN);
        }
        let Some(origin) = origin else {
            return;
        };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if self.credentials {
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(expose) = &self.expose {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_serialized_like_a_browser_sends_them() {
        assert_eq!(
            serialized_origin("HTTPS://App.Example").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            serialized_origin("https://app.example:443").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            serialized_origin("http://app.example:80").as_deref(),
            Some("http://app.example")
        );
        assert_eq!(
            serialized_origin("http://app.example:8080").as_deref(),
            Some("http://app.example:8080")
        );
        for bad in [
            "https://app.example/",
            "https://app.example/x",
            "https://app.example?q",
            "https://user@app.example",
            "app.example",
            "null",
            "",
        ] {
            assert_eq!(serialized_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_origin_like_values_are_mirrored() {
        for good in ["https://a.example", "http://127.0.0.1:8080", "null"] {
            assert!(is_origin_like(&HeaderValue::from_static(good)), "{good}");
        }
        for bad in [
            "*",
            "https://*.example",
            "a.example",
            "https://a, https://b",
            "",
        ] {
            assert!(!is_origin_like(&HeaderValue::from_static(bad)), "{bad}");
        }
    }

    #[test]
    fn wildcards_with_credentials_are_refused() {
        let base = || Config {
            origins: vec!["https://a.example".into()],
            credentials: true,
            ..Config::default()
        };
        let any = Config {
            origins: vec![],
            any_origin: true,
            ..base()
        };
        assert_eq!(
            any.policy().unwrap_err(),
            CorsError::CredentialsWithWildcard("allowed origins")
        );
        let methods = Config {
            methods: Some(vec!["*".into()]),
            ..base()
        };
        assert_eq!(
            methods.policy().unwrap_err(),
            CorsError::CredentialsWithWildcard("allowed methods")
        );
        let headers = Config {
            headers: vec!["*".into()],
            ..base()
        };
        assert_eq!(
            headers.policy().unwrap_err(),
            CorsError::CredentialsWithWildcard("allowed headers")
        );
        let expose = Config {
            expose: vec!["*".into()],
            ..base()
        };
        assert_eq!(
            expose.policy().unwrap_err(),
            CorsError::CredentialsWithWildcard("exposed headers")
        );
        assert!(base().policy().is_ok());
    }

    #[test]
    fn bad_names_are_refused() {
        let config = Config {
            origins: vec!["https://a.example".into()],
            headers: vec!["x token".into()],
            ..Config::default()
        };
        assert_eq!(
            config.policy().unwrap_err(),
            CorsError::InvalidHeaderName("x token".into())
        );
        let config = Config {
            origins: vec!["https://a.example".into()],
            methods: Some(vec!["GE T".into()]),
            ..Config::default()
        };
        assert_eq!(
            config.policy().unwrap_err(),
            CorsError::InvalidMethod("GE T".into())
        );
    }
}
