//! Request path normalisation: the one spelling of a path that matching sees.

use std::borrow::Cow;

/// Why a request path was refused (answered with `400 Bad Request`).
///
/// ```
/// use pastry_urlmap::{normalise_path, InvalidPath};
///
/// assert_eq!(normalise_path("/a%zz"), Err(InvalidPath::BadEscape));
/// assert_eq!(normalise_path("/a%00b"), Err(InvalidPath::EncodedNul));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPath {
    /// A `%` not followed by two hexadecimal digits.
    #[error("`%` not followed by two hexadecimal digits")]
    BadEscape,
    /// A NUL byte, percent-encoded (`%00`) or raw.
    #[error("the path contains a NUL byte")]
    EncodedNul,
}

/// Normalises a request path the way a URL map matches it (RFC 3986
/// section 6.2.2, plus slash collapsing).
///
/// - percent-encoded unreserved characters are decoded (`%61` is `a`,
///   `%2E` is `.`), the remaining escapes are uppercased (`%2f` is `%2F`),
///   and bytes that may not appear raw in a path (non-ASCII, `"`, `\`,
///   controls …) are percent-encoded;
/// - dot segments are removed (`/a/./b` and `/a/x/../b` are `/a/b`; `..`
///   never climbs above the root);
/// - repeated slashes collapse (`//a///b` is `/a/b`); a trailing slash is
///   kept;
/// - `%2F` stays encoded, so it is part of a segment, never a separator;
/// - an invalid escape or a NUL is an error.
///
/// The result always starts with `/`, and normalising it again changes
/// nothing. It borrows the input when the input is already normal, which is
/// the common case.
///
/// ```
/// use pastry_urlmap::normalise_path;
///
/// assert_eq!(normalise_path("/blog/../%61dmin//x/.").unwrap(), "/admin/x/");
/// assert_eq!(normalise_path("/a%2fb/%7e").unwrap(), "/a%2Fb/~");
/// assert_eq!(normalise_path("/../../etc").unwrap(), "/etc");
/// assert!(matches!(normalise_path("/plain/path").unwrap(), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn normalise_path(path: &str) -> Result<Cow<'_, str>, InvalidPath> {
    let bytes = path.as_bytes();
    let mut rewrite_chars = false;
    // Whether a segment is empty (`//`), `.` or `..`, or the leading `/`
    // is missing; escaped dots are caught by `rewrite_chars`.
    let mut rewrite_segments = bytes.first() != Some(&b'/');
    let mut segment_start = 1;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if CLASSES[usize::from(b)] & PLAIN != 0 {
            i += 1;
            continue;
        }
        match b {
            b'/' => {
                if i > 0 && i - segment_start <= 2 && is_dot_or_empty(&bytes[segment_start..i]) {
                    rewrite_segments = true;
                }
                segment_start = i + 1;
                i += 1;
            }
            b'%' => {
                let (hi, lo) = escape_at(bytes, i)?;
                let value = hi << 4 | lo;
                if value == 0 {
                    return Err(InvalidPath::EncodedNul);
                }
                if is_unreserved(value)
                    || bytes[i + 1].is_ascii_lowercase()
                    || bytes[i + 2].is_ascii_lowercase()
                {
                    rewrite_chars = true;
                }
                i += 3;
            }
            0 => return Err(InvalidPath::EncodedNul),
            _ => {
                rewrite_chars = true;
                i += 1;
            }
        }
    }
    // The last segment may be empty (a trailing slash), not a dot segment.
    if let Some(last) = bytes.get(segment_start..)
        && matches!(last, b"." | b"..")
    {
        rewrite_segments = true;
    }
    if !rewrite_chars && !rewrite_segments {
        return Ok(Cow::Borrowed(path));
    }
    let chars: Cow<'_, str> = if rewrite_chars {
        Cow::Owned(normalise_chars(bytes))
    } else {
        Cow::Borrowed(path)
    };
    Ok(Cow::Owned(normalise_segments(&chars)))
}

/// The two hex digits of the escape starting at `bytes[i] == b'%'`.
fn escape_at(bytes: &[u8], i: usize) -> Result<(u8, u8), InvalidPath> {
    let hi = bytes.get(i + 1).copied().and_then(hex_value);
    let lo = bytes.get(i + 2).copied().and_then(hex_value);
    match (hi, lo) {
        (Some(hi), Some(lo)) => Ok((hi, lo)),
        _ => Err(InvalidPath::BadEscape),
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

const UNRESERVED: u8 = 1;
const PATH_CHAR: u8 = 2;
/// A path character other than `/`: nothing to check.
const PLAIN: u8 = 4;

/// Character classes: unreserved characters, and what may appear raw in a
/// normalised path (pchar and `/`).
const CLASSES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if pastry_core::host::is_unreserved(c) {
            table[b] = UNRESERVED | PATH_CHAR | PLAIN;
        } else if pastry_core::host::is_sub_delim(c) || matches!(c, b':' | b'@' | b'/') {
            table[b] = if c == b'/' {
                PATH_CHAR
            } else {
                PATH_CHAR | PLAIN
            };
        }
        b += 1;
    }
    table
};

fn is_unreserved(b: u8) -> bool {
    CLASSES[usize::from(b)] & UNRESERVED != 0
}

fn is_path_char(b: u8) -> bool {
    CLASSES[usize::from(b)] & PATH_CHAR != 0
}

fn is_dot_or_empty(segment: &[u8]) -> bool {
    matches!(segment, b"" | b"." | b"..")
}

/// Whether the path starts with `/` and has no empty (other than a
/// trailing one), `.` or `..` segment.
#[cfg(test)]
fn is_segment_normal(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if segment == "." || segment == ".." || (segment.is_empty() && !last) {
            return false;
        }
    }
    true
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Decodes unreserved escapes, uppercases the others and encodes bytes
/// that may not appear raw. Escapes were validated by the caller.
fn normalise_chars(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let value = match escape_at(bytes, i) {
                Ok((hi, lo)) => hi << 4 | lo,
                Err(_) => 0,
            };
            push_byte(&mut out, value, true);
            i += 3;
        } else {
            push_byte(&mut out, b, false);
            i += 1;
        }
    }
    out
}

fn push_byte(out: &mut String, b: u8, was_escaped: bool) {
    let raw_ok = if was_escaped {
        is_unreserved(b)
    } else {
        is_path_char(b)
    };
    if raw_ok {
        out.push(char::from(b));
    } else {
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
    }
}

/// Removes dot segments and empty segments; keeps a trailing slash.
fn normalise_segments(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    let mut trailing = false;
    for segment in path.split('/') {
        trailing = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                if let Some(cut) = out.rfind('/') {
                    out.truncate(cut);
                }
            }
            _ => {
                out.push('/');
                out.push_str(segment);
            }
        }
    }
    if trailing || out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(path: &str) -> String {
        normalise_path(path).unwrap().into_owned()
    }

    #[test]
    fn already_normal_paths_are_borrowed() {
        for path in ["/", "/a", "/a/", "/a/b.c/d~e", "/a%2Fb", "/%C3%A9"] {
            assert!(
                matches!(normalise_path(path), Ok(Cow::Borrowed(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn unreserved_escapes_are_decoded() {
        assert_eq!(norm("/%61%64%6D%69%6e"), "/admin");
        assert_eq!(norm("/%7E%2d%5F%2E"), "/~-_.");
    }

    #[test]
    fn reserved_escapes_are_uppercased_not_decoded() {
        assert_eq!(norm("/a%2fb%3f"), "/a%2Fb%3F");
        assert_eq!(norm("/%c3%a9"), "/%C3%A9");
    }

    #[test]
    fn raw_bytes_outside_pchar_are_encoded() {
        assert_eq!(norm("/caf\u{e9}"), "/caf%C3%A9");
        assert_eq!(norm("/a\\b\"c"), "/a%5Cb%22c");
    }

    #[test]
    fn dot_segments_are_removed() {
        assert_eq!(norm("/a/./b"), "/a/b");
        assert_eq!(norm("/a/x/../b"), "/a/b");
        assert_eq!(norm("/a/b/.."), "/a/");
        assert_eq!(norm("/a/b/."), "/a/b/");
        assert_eq!(norm("/.."), "/");
        assert_eq!(norm("/%2e%2E/x"), "/x");
        assert_eq!(norm("/a/.%2e/b"), "/b");
        assert_eq!(norm("/..."), "/...");
    }

    #[test]
    fn slashes_collapse_and_trailing_slash_stays() {
        assert_eq!(norm("//a///b//"), "/a/b/");
        assert_eq!(norm("//"), "/");
        assert_eq!(norm(""), "/");
        assert_eq!(norm("a/b"), "/a/b");
    }

    #[test]
    fn encoded_slash_is_not_a_separator() {
        assert_eq!(norm("/a/..%2Fadmin"), "/a/..%2Fadmin");
        assert_eq!(norm("/%2F/admin"), "/%2F/admin");
    }

    #[test]
    fn bad_escapes_and_nul_are_errors() {
        for bad in ["/%", "/%4", "/%g1", "/a%2", "/%%41"] {
            assert_eq!(normalise_path(bad), Err(InvalidPath::BadEscape), "{bad}");
        }
        assert_eq!(normalise_path("/a%00"), Err(InvalidPath::EncodedNul));
        assert_eq!(normalise_path("/a\0"), Err(InvalidPath::EncodedNul));
    }

    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "a", "admin", "blog", ".", "..", "%2E", "%2e%2E", ".%2e", "/", "//", "%2F", "%2f",
            "%41", "%61", "%7e", "~", "%C3%A9", "\u{e9}", "\\", ";x", "%25", "%",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn normalising_twice_changes_nothing(pieces in prop::collection::vec(piece(), 0..12)) {
            let path = pieces.concat();
            if let Ok(once) = normalise_path(&path) {
                let twice = normalise_path(&once);
                prop_assert_eq!(twice.as_deref(), Ok(&*once));
            }
        }

        #[test]
        fn normal_paths_have_no_dot_or_empty_segments(pieces in prop::collection::vec(piece(), 0..12)) {
            let path = format!("/{}", pieces.concat());
            if let Ok(normal) = normalise_path(&path) {
                prop_assert!(normal.starts_with('/'));
                prop_assert!(is_segment_normal(&normal));
                prop_assert!(normal.bytes().all(|b| is_path_char(b) || b == b'%'));
            }
        }

        #[test]
        fn dot_segments_never_climb_out_of_a_prefix(pieces in prop::collection::vec(piece(), 0..12)) {
            // A path that starts inside /blog and only climbs with `..` as
            // far as it went down stays inside /blog.
            let inner = pieces.concat();
            if let Ok(normal) = normalise_path(&format!("/{inner}")) {
                let depth = normal.trim_matches('/').split('/').filter(|s| !s.is_empty()).count();
                let sep = if normal.ends_with('/') { "" } else { "/" };
                let climbed = format!("/blog{normal}{sep}{}", "../".repeat(depth));
                let result = normalise_path(&climbed).unwrap();
                prop_assert!(result == "/blog/" || result.starts_with("/blog/"), "{} -> {}", climbed, result);
            }
        }
    }
}
