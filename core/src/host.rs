//! The `Host` rule shared by `pastry::serve` and the URL map: one field,
//! shaped `host[:port]` (RFC 9112 §3.2, RFC 3986 §3.2.2–3.2.3).

use http::HeaderMap;
use http::header::{HOST, HeaderValue};

/// The request's one `Host` field, `None` when it has none; an `Err` with
/// the reason to log when it has several or one that is not `host[:port]`
/// (both are answered `400`). Whether a missing `Host` is acceptable is
/// the caller's to judge: HTTP/1.0 may omit it, HTTP/2 names the host in
/// `:authority` instead, HTTP/1.1 must send it.
///
/// ```
/// use http::HeaderMap;
/// use http::header::{HOST, HeaderValue};
/// use pastry_core::host::single_host;
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(single_host(&headers), Ok(None));
/// headers.insert(HOST, HeaderValue::from_static("example.com:8080"));
/// assert_eq!(single_host(&headers).unwrap().unwrap(), "example.com:8080");
/// headers.append(HOST, HeaderValue::from_static("other.example"));
/// assert_eq!(single_host(&headers), Err("several Host headers"));
/// headers.insert(HOST, HeaderValue::from_static("exa mple.com"));
/// assert_eq!(single_host(&headers), Err("malformed Host header"));
/// ```
pub fn single_host(headers: &HeaderMap) -> Result<Option<&HeaderValue>, &'static str> {
    let mut hosts = headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err("several Host headers"),
        (Some(host), None) if is_host_and_port(host.as_bytes()) => Ok(Some(host)),
        (Some(_), None) => Err("malformed Host header"),
    }
}

/// Whether `text` is `uri-host [ ":" port ]`: an IP literal in brackets or
/// a registered name (percent-escapes allowed), not empty, with a port (if
/// any) that fits in 16 bits. An empty port (`example.com:`) is allowed, as
/// RFC 3986 allows it.
///
/// ```
/// use pastry_core::host::is_host_and_port;
///
/// assert!(is_host_and_port(b"example.com:8080"));
/// assert!(is_host_and_port(b"[::1]:8443"));
/// assert!(!is_host_and_port(b"example.com:65536"));
/// assert!(!is_host_and_port(b"user@example.com"));
/// ```
pub fn is_host_and_port(text: &[u8]) -> bool {
    let (host, port) = if text.first() == Some(&b'[') {
        let Some(end) = text.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &text[1..end];
        if literal.is_empty() || !literal.iter().all(|&b| is_reg_name_byte(b) || b == b':') {
            return false;
        }
        match &text[end + 1..] {
            [] => (&text[..=end], None),
            [b':', port @ ..] => (&text[..=end], Some(port)),
            _ => return false,
        }
    } else {
        let (host, port) = match text.iter().position(|&b| b == b':') {
            Some(colon) => (&text[..colon], Some(&text[colon + 1..])),
            None => (text, None),
        };
        if !is_reg_name(host) {
            return false;
        }
        (host, port)
    };
    !host.is_empty() && port.is_none_or(is_port)
}

/// Empty, or up to five digits whose value fits in 16 bits.
fn is_port(digits: &[u8]) -> bool {
    digits.is_empty()
        || (digits.len() <= 5
            && digits.iter().all(u8::is_ascii_digit)
            && digits
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
                <= u32::from(u16::MAX))
}

fn is_reg_name(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        let b = name[i];
        if b == b'%' {
            match name.get(i + 1..i + 3) {
                Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if is_reg_name_byte(b) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Whether `b` may stand for itself in a registered name (RFC 3986
/// §3.2.2): an unreserved character or a sub-delim; `%` starts an escape
/// and is not one of them. A table lookup, as every request's `Host` goes
/// through it byte by byte.
///
/// ```
/// use pastry_core::host::is_reg_name_byte;
///
/// assert!(is_reg_name_byte(b'a') && is_reg_name_byte(b'-') && is_reg_name_byte(b'!'));
/// assert!(!is_reg_name_byte(b'%') && !is_reg_name_byte(b'@') && !is_reg_name_byte(b':'));
/// ```
pub fn is_reg_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_unreserved(b as u8) || is_sub_delim(b as u8);
        b += 1;
    }
    table
};

/// Whether `b` is an unreserved character (RFC 3986 §2.3): a letter, a
/// digit, `-`, `.`, `_` or `~`. A `const fn`, for tables built at compile
/// time.
///
/// ```
/// use pastry_core::host::is_unreserved;
///
/// assert!(is_unreserved(b'a') && is_unreserved(b'~'));
/// assert!(!is_unreserved(b'!') && !is_unreserved(b'/'));
/// ```
pub const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Whether `b` is a sub-delim (RFC 3986 §2.2): one of `!$&'()*+,;=`. A
/// `const fn`, for tables built at compile time.
///
/// ```
/// use pastry_core::host::is_sub_delim;
///
/// assert!(is_sub_delim(b'!') && is_sub_delim(b'='));
/// assert!(!is_sub_delim(b':') && !is_sub_delim(b'a'));
/// ```
pub const fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_bytes_are_unreserved_and_sub_delims_only() {
        let listed = b"-._~!$&'()*+,;=";
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric() || listed.contains(&b);
            assert_eq!(is_reg_name_byte(b), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn hosts_that_are_host_and_port() {
        for good in [
            "example.com",
            "example.com:8080",
            "example.com:",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:8443",
            "xn--bcher-kva.example",
            "a%41b",
            "a~b",
            "localhost:65535",
        ] {
            assert!(is_host_and_port(good.as_bytes()), "{good:?}");
        }
    }

    #[test]
    fn hosts_that_are_not() {
        for bad in [
            "",
            ":80",
            "exa mple.com",
            "example.com:abc",
            "example.com:65536",
            "example.com:99999",
            "example.com:8080:1",
            "[::1",
            "[::1]x",
            "[]",
            "user@example.com",
            "example.com/path",
            "a.example, b.example",
            "a%4",
            "a\tb",
        ] {
            assert!(!is_host_and_port(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn one_host_field_at_most() {
        let mut headers = HeaderMap::new();
        assert_eq!(single_host(&headers), Ok(None));
        headers.append(HOST, HeaderValue::from_static("a.example"));
        assert!(single_host(&headers).unwrap().is_some());
        headers.append(HOST, HeaderValue::from_static("a.example"));
        assert_eq!(single_host(&headers), Err("several Host headers"));
    }
}
