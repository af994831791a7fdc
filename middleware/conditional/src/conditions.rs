//! The preconditions of a `GET` or `HEAD` (RFC 9110 §13.1) and their
//! evaluation in the order of §13.2.2, and the heads of the answers they
//! lead to.

use std::time::SystemTime;

use http::header::{
    CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE, LAST_MODIFIED, SET_COOKIE,
    TRANSFER_ENCODING, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, response};

use crate::etag::{Comparison, EntityTag, list_matches};

/// `Content-Digest` (RFC 9530): a digest of the content, which a 304 does
/// not carry.
const CONTENT_DIGEST: HeaderName = HeaderName::from_static("content-digest");

/// What the response future needs to know about a `GET` or `HEAD`.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    pub(crate) head: bool,
    if_match: Vec<HeaderValue>,
    if_none_match: Vec<HeaderValue>,
    if_modified_since: Option<SystemTime>,
    if_unmodified_since: Option<SystemTime>,
}

/// What the preconditions decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Send the response as it is.
    Send,
    /// `304 Not Modified`.
    NotModified,
    /// `412 Precondition Failed`.
    PreconditionFailed,
}

impl Conditions {
    /// The conditions of `req`, or `None` when the layer leaves the request
    /// alone: any method but `GET` and `HEAD`.
    pub(crate) fn of<B>(req: &Request<B>) -> Option<Self> {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => return None,
        };
        let headers = req.headers();
        let lines = |name| headers.get_all(name).iter().cloned().collect::<Vec<_>>();
        Some(Conditions {
            head,
            if_match: lines(IF_MATCH),
            if_none_match: lines(IF_NONE_MATCH),
            if_modified_since: http_date(headers, IF_MODIFIED_SINCE),
            if_unmodified_since: http_date(headers, IF_UNMODIFIED_SINCE),
        })
    }

    /// Whether the request carries any precondition the layer evaluates.
    pub(crate) fn any(&self) -> bool {
        !self.if_match.is_empty()
            || !self.if_none_match.is_empty()
            || self.if_modified_since.is_some()
            || self.if_unmodified_since.is_some()
    }

    /// RFC 9110 §13.2.2 for a `200` to a `GET` or `HEAD` whose validators
    /// are in `headers`: `If-Match`, else `If-Unmodified-Since` (a failure
    /// is a 412); then `If-None-Match`, else `If-Modified-Since` (a match
    /// is a 304). A malformed field counts as absent; a date condition
    /// needs a valid `Last-Modified`.
    pub(crate) fn evaluate(&self, headers: &HeaderMap) -> Outcome {
        if !self.any() {
            return Outcome::Send;
        }
        let etag = single(headers, &ETAG).and_then(EntityTag::parse);
        let last_modified = http_date(headers, LAST_MODIFIED);

        // Step 1 and 2.
        match list_matches(&self.if_match, etag, Comparison::Strong) {
            Some(false) => return Outcome::PreconditionFailed,
            Some(true) => {}
            None => {
                if let (Some(since), Some(modified)) = (self.if_unmodified_since, last_modified)
                    && modified > since
                {
                    return Outcome::PreconditionFailed;
                }
            }
        }
        // Step 3 and 4.
        match list_matches(&self.if_none_match, etag, Comparison::Weak) {
            Some(true) => Outcome::NotModified,
            Some(false) => Outcome::Send,
            None => match (self.if_modified_since, last_modified) {
                (Some(since), Some(modified)) if modified <= since => Outcome::NotModified,
                _ => Outcome::Send,
            },
        }
    }
}

/// The only line of `name`, if there is exactly one.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a HeaderValue> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// A header holding one HTTP-date (any of the three formats recipients
/// must accept, RFC 9110 §5.6.7); `None` when absent, repeated or invalid.
fn http_date(headers: &HeaderMap, name: HeaderName) -> Option<SystemTime> {
    let text = single(headers, &name)?.to_str().ok()?;
    httpdate::parse_http_date(text.trim()).ok()
}

/// Turns the head of a `200` into its `304`: the fields RFC 9110 §15.4.5
/// requires stay (`ETag`, `Cache-Control`, `Content-Location`, `Date`,
/// `Expires`, `Vary`) and so does everything that is not about the content
/// (`Set-Cookie`, CORS headers…); the content's metadata and framing go
/// (`Content-Type`, `-Length`, `-Encoding`, `-Language`, `-Range`,
/// `-Digest`, `Transfer-Encoding`), and `Last-Modified` too when an `ETag`
/// is there to guide the cache (§15.4.5 allows it only for that).
pub(crate) fn not_modified(parts: &mut response::Parts) {
    parts.status = StatusCode::NOT_MODIFIED;
    let headers = &mut parts.headers;
    for name in [
        CONTENT_TYPE,
        CONTENT_LENGTH,
        CONTENT_ENCODING,
        CONTENT_LANGUAGE,
        CONTENT_RANGE,
        CONTENT_DIGEST,
        TRANSFER_ENCODING,
    ] {
        headers.remove(name);
    }
    if headers.contains_key(ETAG) {
        headers.remove(LAST_MODIFIED);
    }
}

/// The `412` answering a `GET` or `HEAD` whose `If-Match` or
/// `If-Unmodified-Since` failed: a short text answer of its own, which
/// keeps only the app's `Set-Cookie` and `Vary` (so a session committed
/// inside is not lost). It carries none of the representation's caching
/// headers: a 412 with the page's `max-age` could be stored by a shared
/// cache and served to others.
pub(crate) fn precondition_failed(parts: &mut response::Parts) {
    let mut headers = HeaderMap::new();
    for name in [SET_COOKIE, VARY] {
        for value in parts.headers.get_all(&name) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(PRECONDITION_FAILED.len()));
    parts.headers = headers;
    parts.status = StatusCode::PRECONDITION_FAILED;
}

/// The body of the 412.
pub(crate) const PRECONDITION_FAILED: &str = "412 Precondition Failed\n";

#[cfg(test)]
mod tests {
    use http::Response;

    use super::*;

    const OLD: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const NEW: &str = "Mon, 07 Nov 1994 08:49:37 GMT";

    fn conditions(headers: &[(&'static str, &'static str)]) -> Conditions {
        let mut builder = Request::get("/");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        Conditions::of(&builder.body(()).unwrap()).unwrap()
    }

    fn validators(headers: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_get_and_head_are_evaluated() {
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::CONNECT] {
            let req = Request::builder()
                .method(method)
                .header("if-match", "\"x\"")
                .body(())
                .unwrap();
            assert!(Conditions::of(&req).is_none());
        }
        let head = Request::head("/").body(()).unwrap();
        assert!(Conditions::of(&head).unwrap().head);
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let v = validators(&[("etag", "\"a\""), ("last-modified", OLD)]);
        let c = conditions(&[("if-none-match", "\"b\""), ("if-modified-since", NEW)]);
        assert_eq!(c.evaluate(&v), Outcome::Send);
        let c = conditions(&[("if-none-match", "W/\"a\""), ("if-modified-since", OLD)]);
        assert_eq!(c.evaluate(&v), Outcome::NotModified);
        // A malformed If-None-Match is absent: If-Modified-Since decides.
        let c = conditions(&[("if-none-match", "a"), ("if-modified-since", NEW)]);
        assert_eq!(c.evaluate(&v), Outcome::NotModified);
    }

    #[test]
    fn if_modified_since_compares_dates() {
        let v = validators(&[("last-modified", NEW)]);
        assert_eq!(
            conditions(&[("if-modified-since", NEW)]).evaluate(&v),
            Outcome::NotModified
        );
        assert_eq!(
            conditions(&[("if-modified-since", OLD)]).evaluate(&v),
            Outcome::Send
        );
        // The obsolete formats too.
        let rfc850 = "Monday, 07-Nov-94 08:49:37 GMT";
        let asctime = "Mon Nov  7 08:49:37 1994";
        assert_eq!(
            conditions(&[("if-modified-since", rfc850)]).evaluate(&v),
            Outcome::NotModified
        );
        assert_eq!(
            conditions(&[("if-modified-since", asctime)]).evaluate(&v),
            Outcome::NotModified
        );
        // Invalid, repeated, or nothing to compare with: ignored.
        assert_eq!(
            conditions(&[("if-modified-since", "yesterday")]).evaluate(&v),
            Outcome::Send
        );
        let twice = [("if-modified-since", NEW), ("if-modified-since", NEW)];
        assert_eq!(conditions(&twice).evaluate(&v), Outcome::Send);
        assert_eq!(
            conditions(&[("if-modified-since", NEW)]).evaluate(&HeaderMap::new()),
            Outcome::Send
        );
    }

    #[test]
    fn if_match_is_strong_and_comes_first() {
        let v = validators(&[("etag", "\"a\""), ("last-modified", NEW)]);
        assert_eq!(
            conditions(&[("if-match", "\"a\"")]).evaluate(&v),
            Outcome::Send
        );
        assert_eq!(conditions(&[("if-match", "*")]).evaluate(&v), Outcome::Send);
        assert_eq!(
            conditions(&[("if-match", "W/\"a\"")]).evaluate(&v),
            Outcome::PreconditionFailed
        );
        // If-Match beats If-None-Match.
        let both = [("if-match", "\"b\""), ("if-none-match", "\"a\"")];
        assert_eq!(conditions(&both).evaluate(&v), Outcome::PreconditionFailed);
        // If-Match present: If-Unmodified-Since is not looked at.
        let both = [("if-match", "\"a\""), ("if-unmodified-since", OLD)];
        assert_eq!(conditions(&both).evaluate(&v), Outcome::Send);
        // Without a tag to match, a list fails.
        let no_tag = validators(&[("last-modified", NEW)]);
        assert_eq!(
            conditions(&[("if-match", "\"a\"")]).evaluate(&no_tag),
            Outcome::PreconditionFailed
        );
    }

    #[test]
    fn if_unmodified_since_fails_on_a_later_modification() {
        let v = validators(&[("last-modified", NEW)]);
        assert_eq!(
            conditions(&[("if-unmodified-since", OLD)]).evaluate(&v),
            Outcome::PreconditionFailed
        );
        assert_eq!(
            conditions(&[("if-unmodified-since", NEW)]).evaluate(&v),
            Outcome::Send
        );
        assert_eq!(
            conditions(&[("if-unmodified-since", OLD)]).evaluate(&HeaderMap::new()),
            Outcome::Send
        );
    }

    #[test]
    fn a_304_keeps_the_cache_fields_and_drops_the_content_fields() {
        let (mut parts, ()) = Response::builder()
            .header("etag", "\"a\"")
            .header("cache-control", "max-age=60")
            .header("content-location", "/a.html")
            .header("date", NEW)
            .header("expires", NEW)
            .header("vary", "accept-encoding")
            .header("set-cookie", "id=1")
            .header("last-modified", OLD)
            .header("content-type", "text/html")
            .header("content-length", "5")
            .header("content-encoding", "gzip")
            .header("content-language", "en")
            .body(())
            .unwrap()
            .into_parts();
        not_modified(&mut parts);
        assert_eq!(parts.status, StatusCode::NOT_MODIFIED);
        let names: Vec<_> = parts.headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "etag",
                "cache-control",
                "content-location",
                "date",
                "expires",
                "vary",
                "set-cookie"
            ]
        );
        // Without an ETag, Last-Modified guides the cache and stays.
        let (mut parts, ()) = Response::builder()
            .header("last-modified", OLD)
            .body(())
            .unwrap()
            .into_parts();
        not_modified(&mut parts);
        assert_eq!(parts.headers["last-modified"], OLD);
    }
}
