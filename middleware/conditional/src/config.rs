//! The settings of a [`ConditionalLayer`](crate::ConditionalLayer) and the
//! rule that reads them: which responses are hashed. No `tower` types here.

use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use http::{HeaderMap, StatusCode, response};

use crate::ConditionalError;

/// The largest body hashed by default: 1 MiB.
///
/// A body is hashed only when its size is known up front (an exact
/// `size_hint`, as `Full`, `String` or `Bytes` bodies have) and at most
/// this; every other body passes through frame by frame.
///
/// ```
/// assert_eq!(pastry_conditional::DEFAULT_BUFFER_LIMIT, 1024 * 1024);
/// ```
pub const DEFAULT_BUFFER_LIMIT: u64 = 1024 * 1024;

/// The settings, as the builder collected them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) buffer_limit: u64,
    pub(crate) compute_etags: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            buffer_limit: DEFAULT_BUFFER_LIMIT,
            compute_etags: true,
        }
    }
}

impl Config {
    /// Checks the rules between the settings.
    pub(crate) fn check(self) -> Result<Self, ConditionalError> {
        if self.compute_etags && self.buffer_limit == 0 {
            return Err(ConditionalError::ZeroBufferLimit);
        }
        Ok(self)
    }

    /// How many bytes to hash for this `200` response, or `None` when the
    /// layer must not buffer it: ETags off, an ETag the app set, `no-store`,
    /// an event stream, a body of unknown or too large size. `exact` is the
    /// body's exact size hint.
    ///
    /// For `HEAD` the body counts only when it is the whole content: its
    /// size equals the `Content-Length` the app declared, or it is not
    /// empty and no length was declared. An app that already emptied its
    /// `HEAD` body gets no computed ETag (RFC 9110 §9.3.2 lets a `HEAD`
    /// answer omit fields computed from the content).
    pub(crate) fn hash_len(
        &self,
        parts: &response::Parts,
        exact: Option<u64>,
        head: bool,
    ) -> Option<u64> {
        if !self.compute_etags || parts.status != StatusCode::OK {
            return None;
        }
        let headers = &parts.headers;
        if headers.contains_key(ETAG) || no_store(headers) || is_event_stream(headers) {
            return None;
        }
        let len = exact.filter(|&len| len <= self.buffer_limit)?;
        match declared_length(headers) {
            Declared::Length(declared) if declared != len => None,
            Declared::Invalid => None,
            Declared::Absent if head && len == 0 => None,
            _ => Some(len),
        }
    }
}

/// The `Content-Length` an app declared.
enum Declared {
    Absent,
    Length(u64),
    /// Several values, or not a number: the layer stays out of it.
    Invalid,
}

fn declared_length(headers: &HeaderMap) -> Declared {
    let mut values = headers.get_all(CONTENT_LENGTH).iter();
    let Some(first) = values.next() else {
        return Declared::Absent;
    };
    if values.next().is_some() {
        return Declared::Invalid;
    }
    first
        .to_str()
        .ok()
        .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|text| text.parse().ok())
        .map_or(Declared::Invalid, Declared::Length)
}

/// Whether any `Cache-Control` directive is `no-store`: the client keeps no
/// copy to revalidate, so a computed ETag would never be used.
pub(crate) fn no_store(headers: &HeaderMap) -> bool {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| text.split(','))
        .map(|directive| directive.split('=').next().unwrap_or("").trim())
        .any(|name| name.eq_ignore_ascii_case("no-store"))
}

/// Whether the response is a `text/event-stream`: never buffered, never
/// answered with a 304.
pub(crate) fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/event-stream"))
}

#[cfg(test)]
mod tests {
    use http::Response;

    use super::*;

    fn parts(status: u16, headers: &[(&'static str, &'static str)]) -> response::Parts {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_known_bounded_bodies_of_a_200_are_hashed() {
        let config = Config {
            buffer_limit: 100,
            compute_etags: true,
        };
        assert_eq!(
            config.hash_len(&parts(200, &[]), Some(100), false),
            Some(100)
        );
        assert_eq!(config.hash_len(&parts(200, &[]), Some(101), false), None);
        assert_eq!(config.hash_len(&parts(200, &[]), None, false), None);
        assert_eq!(config.hash_len(&parts(201, &[]), Some(10), false), None);
        assert_eq!(
            config.hash_len(&parts(200, &[("etag", "\"a\"")]), Some(10), false),
            None
        );
        let off = Config {
            compute_etags: false,
            ..config
        };
        assert_eq!(off.hash_len(&parts(200, &[]), Some(10), false), None);
    }

    #[test]
    fn no_store_and_event_streams_are_not_hashed() {
        let config = Config::default();
        for headers in [
            &[("cache-control", "private, No-Store")][..],
            &[
                ("cache-control", "max-age=0"),
                ("cache-control", "no-store"),
            ][..],
            &[("content-type", "Text/Event-Stream; charset=utf-8")][..],
        ] {
            assert_eq!(
                config.hash_len(&parts(200, headers), Some(10), false),
                None,
                "{headers:?}"
            );
        }
        let fine = [("cache-control", "no-cache, max-age=60")];
        assert_eq!(
            config.hash_len(&parts(200, &fine), Some(10), false),
            Some(10)
        );
    }

    #[test]
    fn a_declared_length_must_agree_with_the_body() {
        let config = Config::default();
        let p = |len| parts(200, &[("content-length", len)]);
        assert_eq!(config.hash_len(&p("10"), Some(10), false), Some(10));
        assert_eq!(config.hash_len(&p("11"), Some(10), false), None);
        assert_eq!(config.hash_len(&p("+10"), Some(10), false), None);
        // HEAD: an empty body is the content only when the app says so.
        assert_eq!(config.hash_len(&p("10"), Some(0), true), None);
        assert_eq!(config.hash_len(&p("0"), Some(0), true), Some(0));
        assert_eq!(config.hash_len(&parts(200, &[]), Some(0), true), None);
        assert_eq!(config.hash_len(&parts(200, &[]), Some(7), true), Some(7));
    }

    #[test]
    fn a_zero_limit_with_etags_is_refused() {
        let zero = Config {
            buffer_limit: 0,
            compute_etags: true,
        };
        assert_eq!(zero.check(), Err(ConditionalError::ZeroBufferLimit));
        let off = Config {
            compute_etags: false,
            ..zero
        };
        assert!(off.check().is_ok());
    }
}
