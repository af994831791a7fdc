//! What the client accepts and what is worth compressing.

use http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue};
use pastry_core::header::{Quality, coding_quality, quality_items};

/// Whether the request's `Accept-Encoding` headers (all of them, combined)
/// accept gzip: an item naming `gzip` or its alias `x-gzip` with a non-zero
/// quality, or, when neither is named, a `*` item with a non-zero quality.
///
/// A request without `Accept-Encoding`, or with an empty one, gets identity:
/// RFC 9110 allows any coding when the header is absent, but clients that
/// can decode gzip say so, and old ones that cannot often send nothing.
/// Malformed items are ignored.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::ACCEPT_ENCODING};
/// use pastry_gzip::accepts_gzip;
///
/// let mut headers = HeaderMap::new();
/// assert!(!accepts_gzip(&headers));
/// headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("br, gzip;q=0.5"));
/// assert!(accepts_gzip(&headers));
/// headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("*, gzip;q=0"));
/// assert!(!accepts_gzip(&headers));
/// headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("x-gzip"));
/// assert!(accepts_gzip(&headers));
/// ```
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let values = headers.get_all(ACCEPT_ENCODING);
    // `coding_quality` answers for the name or, failing that, `*`; the alias
    // only matters when `gzip` itself is not named.
    let gzip_named =
        quality_items(values.iter()).any(|item| item.value.eq_ignore_ascii_case("gzip"));
    let quality = if gzip_named {
        coding_quality(values.iter(), "gzip")
    } else {
        coding_quality(values.iter(), "x-gzip")
    };
    quality.is_some_and(|q: Quality| !q.is_refused())
}

/// The default compressible set, applied to a response's `Content-Type`.
///
/// Compressed: `text/*` (including `text/event-stream`, which is streamed
/// with a flush per frame), `application/json` and every `+json`,
/// `application/xml` and every `+xml` (so `image/svg+xml`),
/// `application/javascript` (and its old `x-` and `ecmascript` names),
/// `application/wasm`, `application/x-ndjson`, `application/yaml`,
/// `application/toml`, `application/graphql`, `application/rtf`,
/// `application/x-www-form-urlencoded`, and the uncompressed font formats
/// `font/ttf`, `font/otf`, `application/vnd.ms-fontobject`.
///
/// Everything else is left alone, including a missing or unparsable
/// `Content-Type`: other images, audio, video, WOFF fonts, archives, PDF and
/// `application/octet-stream` are already compressed or unknown.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::CONTENT_TYPE};
/// use pastry_gzip::compressible_content_type;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/problem+json; charset=utf-8"));
/// assert!(compressible_content_type(&headers));
/// headers.insert(CONTENT_TYPE, HeaderValue::from_static("image/png"));
/// assert!(!compressible_content_type(&headers));
/// headers.insert(CONTENT_TYPE, HeaderValue::from_static("Image/SVG+XML"));
/// assert!(compressible_content_type(&headers));
/// ```
pub fn compressible_content_type(headers: &HeaderMap) -> bool {
    let Some(essence) = headers.get(CONTENT_TYPE).and_then(essence) else {
        return false;
    };
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    if kind.eq_ignore_ascii_case("text") {
        return true;
    }
    let suffix = |s: &str| {
        subtype.len() > s.len()
            && subtype.is_char_boundary(subtype.len() - s.len())
            && subtype[subtype.len() - s.len()..].eq_ignore_ascii_case(s)
    };
    if suffix("+json") || suffix("+xml") {
        return true;
    }
    const APPLICATION: &[&str] = &[
        "json",
        "xml",
        "javascript",
        "x-javascript",
        "ecmascript",
        "wasm",
        "x-ndjson",
        "yaml",
        "x-yaml",
        "toml",
        "graphql",
        "rtf",
        "x-www-form-urlencoded",
        "vnd.ms-fontobject",
    ];
    const FONT: &[&str] = &["ttf", "otf"];
    let listed = |names: &[&str]| names.iter().any(|name| subtype.eq_ignore_ascii_case(name));
    (kind.eq_ignore_ascii_case("application") && listed(APPLICATION))
        || (kind.eq_ignore_ascii_case("font") && listed(FONT))
}

/// Whether the response is a server-sent event stream.
pub(crate) fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(essence)
        .is_some_and(|essence| essence.eq_ignore_ascii_case("text/event-stream"))
}

/// The `type/subtype` part of a media type, trimmed.
fn essence(value: &HeaderValue) -> Option<&str> {
    let text = value.to_str().ok()?;
    let essence = text.split(';').next()?.trim();
    (!essence.is_empty()).then_some(essence)
}

/// Whether any `Cache-Control` directive is `no-transform`.
pub(crate) fn no_transform(headers: &HeaderMap) -> bool {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| text.split(','))
        .any(|directive| directive.trim().eq_ignore_ascii_case("no-transform"))
}

/// Marks a response as a stream of events: the gzip stream is flushed after
/// every frame, so each frame reaches the client as soon as it is produced.
/// `text/event-stream` responses are treated this way without the marker.
///
/// ```
/// use bytes::Bytes;
/// use http::Response;
/// use http_body_util::Full;
/// use pastry_gzip::Streaming;
///
/// let mut res = Response::new(Full::new(Bytes::from("{\"tick\":1}\n")));
/// res.extensions_mut().insert(Streaming);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Streaming;

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&'static str]) -> bool {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ACCEPT_ENCODING, HeaderValue::from_static(value));
        }
        accepts_gzip(&headers)
    }

    fn compressible(content_type: &'static str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        compressible_content_type(&headers)
    }

    #[test]
    fn negotiation_cases() {
        assert!(accept(&["gzip"]));
        assert!(accept(&["GZip;q=0.001"]));
        assert!(!accept(&["gzip;q=0"]));
        assert!(
            !accept(&["gzip;q=0.000, *"]),
            "an explicit q=0 beats the wildcard"
        );
        assert!(accept(&["*"]));
        assert!(!accept(&["*;q=0"]));
        assert!(!accept(&["br, deflate"]));
        assert!(!accept(&[""]), "empty means identity only");
        assert!(accept(&["x-gzip"]));
        assert!(!accept(&["x-gzip;q=0"]));
        assert!(accept(&["br", "gzip"]), "several lines are combined");
        assert!(!accept(&["gzip;q=0", "*"]));
        assert!(
            accept(&["gzip;q=bogus, *"]),
            "a malformed gzip item is ignored, * applies"
        );
        assert!(!accept(&["identity"]));
    }

    #[test]
    fn default_compressible_set() {
        for yes in [
            "text/html; charset=utf-8",
            "TEXT/PLAIN",
            "text/event-stream",
            "application/json",
            "application/ld+json",
            "application/xml",
            "application/atom+xml",
            "image/svg+xml",
            "application/javascript",
            "application/wasm",
            "font/ttf",
        ] {
            assert!(compressible(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "audio/mpeg",
            "video/mp4",
            "font/woff2",
            "application/zip",
            "application/gzip",
            "application/octet-stream",
            "application/pdf",
            "+json",
            "application/+json",
            "garbage",
            "",
        ] {
            assert!(!compressible(no), "{no}");
        }
        assert!(!compressible_content_type(&HeaderMap::new()));
    }

    #[test]
    fn no_transform_is_found_among_directives() {
        let mut headers = HeaderMap::new();
        headers.append(CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        assert!(!no_transform(&headers));
        headers.append(
            CACHE_CONTROL,
            HeaderValue::from_static("public, No-Transform"),
        );
        assert!(no_transform(&headers));
    }
}
