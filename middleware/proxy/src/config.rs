//! The settings and the policy that reads a request's forwarding headers.

use std::net::SocketAddr;
use std::sync::Arc;

use http::HeaderMap;
use http::header::{FORWARDED, HeaderName};
use pastry_core::UrlScheme;

use crate::forwarded::{Node, parse_forwarded, parse_host, parse_node, parse_port, parse_scheme};
use crate::net::TrustedNet;

pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub(crate) const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
pub(crate) const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");

/// The most entries of one header read from the right, by default: a chain
/// of more trusted proxies than this is treated as malformed.
pub const DEFAULT_MAX_ENTRIES: usize = 16;

/// The longest value of one forwarding header read, in bytes (all its lines
/// together), by default; a longer one is treated as malformed.
pub const DEFAULT_MAX_HEADER_LEN: usize = 2048;

/// Which headers the proxy in front writes. Only that family is read; the
/// other is ignored entirely, so a client cannot add what the proxy passes
/// through untouched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `X-Forwarded-For`, `-Proto`, `-Host`, `-Port` and `-Prefix` (nginx,
    /// HAProxy, most load balancers). The default.
    #[default]
    XForwarded,
    /// RFC 7239 `Forwarded` (`for`, `proto`, `host`). `X-Forwarded-*`
    /// headers, including `X-Forwarded-Prefix`, are ignored.
    Forwarded,
}

/// Per-header hop counts, as Werkzeug's `ProxyFix` takes them: the value
/// used is the n-th from the right, and a header with fewer than n entries
/// is ignored. 0 ignores the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Hops {
    pub(crate) for_: usize,
    pub(crate) proto: usize,
    pub(crate) host: usize,
    pub(crate) port: usize,
    pub(crate) prefix: usize,
}

impl Hops {
    /// Werkzeug `ProxyFix`'s defaults: one proxy for `for` and `proto`.
    pub(crate) const PROXY_FIX: Hops = Hops {
        for_: 1,
        proto: 1,
        host: 0,
        port: 0,
        prefix: 0,
    };

    pub(crate) fn max(&self) -> usize {
        [self.for_, self.proto, self.host, self.port, self.prefix]
            .into_iter()
            .max()
            .unwrap_or(0)
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Trust {
    /// Trusted peers and proxies by address, and which headers are read
    /// (a field above 0 is on).
    Nets(Arc<[TrustedNet]>, Hops),
    /// A fixed number of proxies in front, whatever their addresses.
    Hops(Hops),
}

#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) trust: Trust,
    pub(crate) source: Source,
    pub(crate) max_entries: usize,
    pub(crate) max_header_len: usize,
}

/// What the trusted part of the chain says about the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) client: Option<SocketAddr>,
    pub(crate) scheme: Option<UrlScheme>,
    /// `host` or `host:port` as the client named it.
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    /// The normalised prefix, `""` or `/a/b`.
    pub(crate) prefix: Option<String>,
}

impl Resolved {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Why the forwarding headers of a request were ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub(crate) header: &'static str,
    pub(crate) reason: &'static str,
}

fn malformed(header: &'static str, reason: &'static str) -> Malformed {
    Malformed { header, reason }
}

/// The entries of one comma-separated header, rightmost first, at most
/// `max` of them; `more` says whether entries were left.
struct Entries<'a> {
    list: Vec<&'a str>,
    more: bool,
}

impl Config {
    fn trusted(&self, addr: SocketAddr) -> bool {
        match &self.trust {
            Trust::Nets(nets, _) => nets.iter().any(|net| net.contains(addr.ip())),
            Trust::Hops(_) => true,
        }
    }

    /// Reads the header `name` (every line of it) as a list: rightmost
    /// entries first.
    fn entries<'a>(
        &self,
        headers: &'a HeaderMap,
        name: &HeaderName,
        label: &'static str,
    ) -> Result<Entries<'a>, Malformed> {
        let mut total = 0;
        let mut list = Vec::new();
        let mut more = false;
        for value in headers.get_all(name).iter().rev() {
            total += value.len() + 1;
            if total > self.max_header_len + 1 {
                return Err(malformed(label, "longer than the limit"));
            }
            let text = value
                .to_str()
                .map_err(|_| malformed(label, "not visible ASCII"))?;
            for entry in text.rsplit(',') {
                if list.len() == self.max_entries {
                    more = true;
                    break;
                }
                let entry = entry.trim_matches([' ', '\t']);
                if entry.is_empty() {
                    // `, 192.0.2.3`: an empty entry is no entry.
                    continue;
                }
                list.push(entry);
            }
        }
        Ok(Entries { list, more })
    }

    /// Resolves the request's client, scheme, host, port and prefix from
    /// its forwarding headers. `Ok(None)`: nothing to apply (an untrusted
    /// peer, or no header); `Err`: a header the trusted part of the chain
    /// wrote is malformed, so nothing is applied.
    pub(crate) fn resolve(
        &self,
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
    ) -> Result<Option<Resolved>, Malformed> {
        if let Trust::Nets(..) = self.trust {
            match peer {
                Some(peer) if self.trusted(peer) => {}
                _ => return Ok(None),
            }
        }
        let resolved = match self.source {
            Source::XForwarded => self.resolve_x_forwarded(headers)?,
            Source::Forwarded => self.resolve_forwarded(headers)?,
        };
        Ok((!resolved.is_empty()).then_some(resolved))
    }

    fn resolve_x_forwarded(&self, headers: &HeaderMap) -> Result<Resolved, Malformed> {
        let mut resolved = Resolved::default();
        let fors = self.entries(headers, &X_FORWARDED_FOR, "x-forwarded-for")?;
        // The index (from the right, 1-based) of the entry the other
        // headers are read at, per header.
        let hops = match &self.trust {
            Trust::Hops(hops) => {
                if hops.for_ > 0
                    && fors.list.len() >= hops.for_
                    && let Node::Addr(addr) = node(fors.list[hops.for_ - 1], "x-forwarded-for")?
                {
                    resolved.client = Some(addr);
                }
                *hops
            }
            Trust::Nets(_, on) => {
                let (client, depth) = self.walk(
                    fors.list.iter().map(|e| node(e, "x-forwarded-for")),
                    fors.more,
                    "x-forwarded-for",
                )?;
                if on.for_ > 0 {
                    resolved.client = client;
                }
                // Without X-Forwarded-For the peer itself is the proxy
                // that wrote the other headers.
                let depth = depth.max(1);
                let at = |field: usize| if field > 0 { depth } else { 0 };
                Hops {
                    for_: at(on.for_),
                    proto: at(on.proto),
                    host: at(on.host),
                    port: at(on.port),
                    prefix: at(on.prefix),
                }
            }
        };
        let nets = matches!(self.trust, Trust::Nets(..));
        let pick =
            |name: &HeaderName, label: &'static str, n: usize| -> Result<Option<&str>, Malformed> {
                if n == 0 {
                    return Ok(None);
                }
                let entries = self.entries(headers, name, label)?;
                let len = entries.list.len();
                Ok(if len >= n {
                    Some(entries.list[n - 1])
                } else if nets && len > 0 {
                    // Fewer entries than trusted hops: proxies that set the
                    // header rather than append to it; the leftmost was still
                    // written by a trusted hop.
                    Some(entries.list[len - 1])
                } else {
                    None
                })
            };
        if let Some(proto) = pick(&X_FORWARDED_PROTO, "x-forwarded-proto", hops.proto)? {
            resolved.scheme = Some(
                parse_scheme(proto).ok_or(malformed("x-forwarded-proto", "not http or https"))?,
            );
        }
        if let Some(host) = pick(&X_FORWARDED_HOST, "x-forwarded-host", hops.host)? {
            parse_host(host).ok_or(malformed("x-forwarded-host", "not host[:port]"))?;
            resolved.host = Some(host.to_owned());
        }
        if let Some(port) = pick(&X_FORWARDED_PORT, "x-forwarded-port", hops.port)? {
            resolved.port = Some(
                parse_port(port)
                    .filter(|&p| p != 0)
                    .ok_or(malformed("x-forwarded-port", "not a port"))?,
            );
        }
        if let Some(prefix) = pick(&X_FORWARDED_PREFIX, "x-forwarded-prefix", hops.prefix)? {
            resolved.prefix = Some(
                normalise_prefix(prefix).ok_or(malformed("x-forwarded-prefix", "not a path"))?,
            );
        }
        Ok(resolved)
    }

    fn resolve_forwarded(&self, headers: &HeaderMap) -> Result<Resolved, Malformed> {
        let label = "forwarded";
        let mut total = 0;
        let mut joined = String::new();
        for value in headers.get_all(FORWARDED) {
            total += value.len() + 1;
            if total > self.max_header_len + 1 {
                return Err(malformed(label, "longer than the limit"));
            }
            let text = value
                .to_str()
                .map_err(|_| malformed(label, "not visible ASCII"))?;
            if !joined.is_empty() {
                joined.push(',');
            }
            joined.push_str(text);
        }
        if joined.is_empty() {
            return Ok(Resolved::default());
        }
        let mut elements = parse_forwarded(&joined).map_err(|reason| malformed(label, reason))?;
        elements.reverse();
        let more = elements.len() > self.max_entries;
        elements.truncate(self.max_entries);
        let mut resolved = Resolved::default();
        let chosen = match &self.trust {
            Trust::Hops(hops) => {
                let n = hops.for_.max(1);
                if elements.len() < n {
                    return Ok(resolved);
                }
                if let Some(Node::Addr(addr)) = elements[n - 1]
                    .for_
                    .as_deref()
                    .map(|f| node(f, label))
                    .transpose()?
                {
                    resolved.client = Some(addr);
                }
                n
            }
            Trust::Nets(..) => {
                let nodes = elements.iter().map(|el| match el.for_.as_deref() {
                    Some(f) => node(f, label),
                    None => Ok(Node::Hidden),
                });
                let (client, depth) = self.walk(nodes, more, label)?;
                resolved.client = client;
                depth
            }
        };
        if chosen == 0 {
            return Ok(resolved);
        }
        let element = &elements[chosen - 1];
        if let Some(proto) = &element.proto {
            resolved.scheme =
                Some(parse_scheme(proto).ok_or(malformed(label, "proto is not http or https"))?);
        }
        if let Some(host) = &element.host {
            parse_host(host).ok_or(malformed(label, "host is not host[:port]"))?;
            resolved.host = Some(host.clone());
        }
        Ok(resolved)
    }

    /// Walks the chain from the right: each entry is the hop before the
    /// last trusted one; the first untrusted entry (or the leftmost) is
    /// the client. A hidden hop ends the walk with the client unknown (the
    /// last trusted hop's address stays). Returns the client and the
    /// 1-based index of the entry the walk stopped at (0: no entries).
    fn walk(
        &self,
        nodes: impl ExactSizeIterator<Item = Result<Node, Malformed>>,
        more: bool,
        label: &'static str,
    ) -> Result<(Option<SocketAddr>, usize), Malformed> {
        let len = nodes.len();
        let mut client = None;
        for (i, node) in nodes.enumerate() {
            match node? {
                Node::Hidden => return Ok((client, i + 1)),
                Node::Addr(addr) => {
                    client = Some(addr);
                    if !self.trusted(addr) {
                        return Ok((client, i + 1));
                    }
                    if i + 1 == len {
                        if more {
                            return Err(malformed(label, "more trusted hops than the limit"));
                        }
                        return Ok((client, i + 1));
                    }
                }
            }
        }
        Ok((None, 0))
    }
}

fn node(text: &str, label: &'static str) -> Result<Node, Malformed> {
    parse_node(text).ok_or(malformed(label, "not an address"))
}

/// A forwarded prefix as a script name: starts with `/`; no segment that
/// is (or percent-decodes to) `.` or `..`, no encoded `/` or `\\`, no bad
/// `%` escape; no query, fragment, backslash, space, quote or control
/// character. Empty segments collapse and the trailing `/` goes. `None`
/// when it is not such a path.
pub(crate) fn normalise_prefix(prefix: &str) -> Option<String> {
    if !prefix.starts_with('/')
        || prefix
            .bytes()
            .any(|b| !b.is_ascii_graphic() || matches!(b, b'?' | b'#' | b'\\' | b'"'))
    {
        return None;
    }
    let mut out = String::with_capacity(prefix.len());
    for segment in prefix.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode(segment)?;
        if decoded == b"."
            || decoded == b".."
            || decoded
                .iter()
                .any(|&b| b == b'/' || b == b'\\' || b.is_ascii_control())
        {
            return None;
        }
        out.push('/');
        out.push_str(segment);
    }
    Some(out)
}

/// The bytes `text` percent-decodes to; `None` for a bad escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = bytes.get(at + 1..at + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalise_prefix("/").as_deref(), Some(""));
        assert_eq!(normalise_prefix("/ham/").as_deref(), Some("/ham"));
        assert_eq!(
            normalise_prefix("//ham//eggs/").as_deref(),
            Some("/ham/eggs")
        );
        for bad in [
            "ham",
            "",
            "/a/../b",
            "/./a",
            "/a?b",
            "/a#b",
            "/a\\b",
            "/%2e%2e/x",
            "/a%2Fb",
        ] {
            assert_eq!(normalise_prefix(bad), None, "{bad:?}");
        }
    }
}
