//! Parsers for what proxies write: RFC 7239 `Forwarded` elements and the
//! nodes (`for=` values, `X-Forwarded-For` entries) they name.

use std::net::{IpAddr, SocketAddr};

use pastry_core::UrlScheme;
use pastry_core::host::is_reg_name_byte;

/// A hop in a forwarding chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// An address, with port 0 when the proxy gave none.
    Addr(SocketAddr),
    /// `unknown` or an obfuscated identifier (`_hidden`): the hop is not
    /// identified, so a walk through the chain stops here.
    Hidden,
}

/// Parses a node: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:8080`, a port may be obfuscated
/// (`192.0.2.1:_p`), and `unknown` or `_id` name a hidden hop.
pub(crate) fn parse_node(text: &str) -> Option<Node> {
    let text = text.trim_matches([' ', '\t']);
    if text.eq_ignore_ascii_case("unknown") {
        return Some(Node::Hidden);
    }
    if let Some(id) = text.strip_prefix('_') {
        return obfuscated(id).then_some(Node::Hidden);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(Node::Addr(SocketAddr::new(ip.to_canonical(), 0)));
    }
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest.split_once(']')?;
            let ip: std::net::Ipv6Addr = v6.parse().ok()?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':')?),
            };
            (IpAddr::V6(ip), port)
        }
        None => {
            let (v4, port) = text.split_once(':')?;
            (IpAddr::V4(v4.parse().ok()?), Some(port))
        }
    };
    let port = match port {
        None => 0,
        Some(obf) if obf.starts_with('_') => {
            if !obfuscated(&obf[1..]) {
                return None;
            }
            0
        }
        Some(digits) => parse_port(digits)?,
    };
    Some(Node::Addr(SocketAddr::new(host.to_canonical(), port)))
}

/// RFC 7239 §6.3: `_` then ALPHA / DIGIT / "." / "_" / "-".
fn obfuscated(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A port: 1 to 5 digits, 0 to 65535.
pub(crate) fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `http` or `https`, any case.
pub(crate) fn parse_scheme(text: &str) -> Option<UrlScheme> {
    let text = text.trim_matches([' ', '\t']);
    if text.eq_ignore_ascii_case("https") {
        Some(UrlScheme::Https)
    } else if text.eq_ignore_ascii_case("http") {
        Some(UrlScheme::Http)
    } else {
        None
    }
}

/// A `host[:port]` as a `Host` header carries it (RFC 9112 §3.2): a
/// reg-name, an IPv4 address or a bracketed IPv6 address, no user info.
/// Returns the host and the port, if any.
pub(crate) fn parse_host(text: &str) -> Option<(&str, Option<u16>)> {
    let text = text.trim_matches([' ', '\t']);
    if text.is_empty() || text.len() > 255 {
        return None;
    }
    let (host, port) = if text.starts_with('[') {
        let end = text.find(']')?;
        text[1..end].parse::<std::net::Ipv6Addr>().ok()?;
        let after = &text[end + 1..];
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (&text[..=end], port)
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if !host.starts_with('[')
        && (host.is_empty() || !host.bytes().all(|b| is_reg_name_byte(b) || b == b'%'))
    {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(digits) => Some(parse_port(digits)?),
    };
    Some((host, port))
}

/// One element of a `Forwarded` header: what one proxy says about the
/// connection it received. Values are kept as text and checked by the
/// walk, which reads only the elements it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) for_: Option<String>,
    pub(crate) proto: Option<String>,
    pub(crate) host: Option<String>,
}

/// Parses a whole `Forwarded` field value (several lines joined with `,`)
/// into its elements, left to right. Empty elements are skipped; a
/// parameter given twice in one element, a missing `=`, a bad token or an
/// unterminated quoted string make the whole value malformed.
pub(crate) fn parse_forwarded(text: &str) -> Result<Vec<Element>, &'static str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut elements = Vec::new();
    let mut element = Element::default();
    let mut pairs = 0;
    loop {
        at = skip_ows(bytes, at);
        match bytes.get(at) {
            None | Some(b',') => {
                if pairs > 0 {
                    elements.push(std::mem::take(&mut element));
                    pairs = 0;
                }
                if at >= bytes.len() {
                    return Ok(elements);
                }
                at += 1;
                continue;
            }
            Some(b';') => {
                at += 1;
                continue;
            }
            Some(_) => {}
        }
        let start = at;
        while bytes.get(at).is_some_and(|&b| is_tchar(b)) {
            at += 1;
        }
        if at == start {
            return Err("expected a parameter name");
        }
        let name = &text[start..at];
        if bytes.get(at) != Some(&b'=') {
            return Err("expected '=' after a parameter name");
        }
        at += 1;
        let value = if bytes.get(at) == Some(&b'"') {
            at += 1;
            let mut value = String::new();
            loop {
                match bytes.get(at) {
                    None => return Err("unterminated quoted string"),
                    Some(b'"') => {
                        at += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let &escaped = bytes.get(at + 1).ok_or("unterminated quoted string")?;
                        if !(escaped == b'\t' || (0x20..0x7f).contains(&escaped)) {
                            return Err("bad escape in a quoted string");
                        }
                        value.push(char::from(escaped));
                        at += 2;
                    }
                    Some(&b) if b == b'\t' || (0x20..0x7f).contains(&b) => {
                        value.push(char::from(b));
                        at += 1;
                    }
                    Some(_) => return Err("bad character in a quoted string"),
                }
            }
            value
        } else {
            let start = at;
            while bytes.get(at).is_some_and(|&b| is_tchar(b)) {
                at += 1;
            }
            if at == start {
                return Err("empty parameter value");
            }
            text[start..at].to_owned()
        };
        let slot = if name.eq_ignore_ascii_case("for") {
            Some(&mut element.for_)
        } else if name.eq_ignore_ascii_case("proto") {
            Some(&mut element.proto)
        } else if name.eq_ignore_ascii_case("host") {
            Some(&mut element.host)
        } else {
            // `by` and extensions: checked for syntax, otherwise unused.
            None
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                return Err("a parameter appears twice in one element");
            }
            *slot = Some(value);
        }
        pairs += 1;
        at = skip_ows(bytes, at);
        if !matches!(bytes.get(at), None | Some(b',' | b';')) {
            return Err("expected ';' or ',' after a parameter");
        }
    }
}

fn skip_ows(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// RFC 9110 §5.6.2 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Option<Node> {
        Some(Node::Addr(s.parse().unwrap()))
    }

    #[test]
    fn nodes_in_every_spelling() {
        assert_eq!(parse_node("192.0.2.60"), addr("192.0.2.60:0"));
        assert_eq!(parse_node(" 192.0.2.60:4711 "), addr("192.0.2.60:4711"));
        assert_eq!(parse_node("2001:db8::17"), addr("[2001:db8::17]:0"));
        assert_eq!(parse_node("[2001:db8::17]"), addr("[2001:db8::17]:0"));
        assert_eq!(
            parse_node("[2001:db8::17]:4711"),
            addr("[2001:db8::17]:4711")
        );
        assert_eq!(parse_node("::ffff:10.0.0.1"), addr("10.0.0.1:0"));
        assert_eq!(parse_node("192.0.2.60:_port"), addr("192.0.2.60:0"));
        assert_eq!(parse_node("unknown"), Some(Node::Hidden));
        assert_eq!(parse_node("_hidden.1"), Some(Node::Hidden));
    }

    #[test]
    fn bad_nodes_are_refused() {
        for bad in [
            "",
            "_",
            "_a b",
            "example.com",
            "1.2.3",
            "1.2.3.4:",
            "1.2.3.4:99999",
            "[::1",
            "[::1]x",
            "[1.2.3.4]",
            "1.2.3.4:80:80",
            "1.2.3.4:+80",
        ] {
            assert_eq!(parse_node(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hosts_are_host_and_optional_port() {
        assert_eq!(parse_host("eggs"), Some(("eggs", None)));
        assert_eq!(parse_host("eggs:8080"), Some(("eggs", Some(8080))));
        assert_eq!(
            parse_host("[2001:db8::a]:9000"),
            Some(("[2001:db8::a]", Some(9000)))
        );
        assert_eq!(parse_host("[2001:db8::a]"), Some(("[2001:db8::a]", None)));
        for bad in [
            "",
            "a b",
            "user@host",
            "host/x",
            "host:port",
            "[zz]",
            "[::1]x",
            "a:1:2",
        ] {
            assert_eq!(parse_host(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn forwarded_elements_with_quotes_and_case() {
        let els = parse_forwarded(
            r#"for="_gazonk", For="[2001:db8:cafe::17]:4711";proto=https , for=192.0.2.60;proto=http;by=203.0.113.43;host="a\,b""#,
        )
        .unwrap();
        assert_eq!(els.len(), 3);
        assert_eq!(els[0].for_.as_deref(), Some("_gazonk"));
        assert_eq!(els[1].for_.as_deref(), Some("[2001:db8:cafe::17]:4711"));
        assert_eq!(els[1].proto.as_deref(), Some("https"));
        assert_eq!(els[2].host.as_deref(), Some("a,b"));
    }

    #[test]
    fn commas_inside_quotes_do_not_split_elements() {
        let els = parse_forwarded(r#"for="1.2.3.4, 5.6.7.8""#).unwrap();
        assert_eq!(els.len(), 1);
        assert_eq!(els[0].for_.as_deref(), Some("1.2.3.4, 5.6.7.8"));
    }

    #[test]
    fn malformed_forwarded_values_are_refused() {
        for bad in [
            "for",
            "for=",
            "for=\"1.2.3.4",
            "for=1.2.3.4 x",
            "for=a;for=b",
            "=x",
            "for=\"a\u{7f}\"",
        ] {
            assert!(parse_forwarded(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_forwarded(" , ,").unwrap(), Vec::new());
    }
}
