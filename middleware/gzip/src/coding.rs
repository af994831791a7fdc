//! The content codings this crate speaks, and the choice among them.

use std::fmt;

use http::HeaderMap;
use http::header::{ACCEPT_ENCODING, HeaderValue};
use pastry_core::header::{Quality, quality_items};

/// A content coding (RFC 9110 section 8.4.1) the middleware can produce and
/// decode: `gzip` always, `br` with the cargo feature `br`, `zstd` with the
/// cargo feature `zstd`.
///
/// ```
/// use pastry_gzip::Coding;
///
/// assert_eq!(Coding::Gzip.as_str(), "gzip");
/// assert_eq!(Coding::from_name("X-GZIP"), Some(Coding::Gzip));
/// assert_eq!(Coding::from_name("compress"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Coding {
    /// `gzip` (RFC 1952), also accepted as `x-gzip`.
    Gzip,
    /// `br`, Brotli (RFC 7932); cargo feature `br`.
    #[cfg(feature = "br")]
    Br,
    /// `zstd`, Zstandard (RFC 8878, RFC 9659); cargo feature `zstd`.
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Coding {
    /// The server's order of preference when a client weighs several
    /// codings equally: `zstd`, then `br`, then `gzip` (see the crate docs).
    pub(crate) const PREFERENCE: &'static [Coding] = &[
        #[cfg(feature = "zstd")]
        Coding::Zstd,
        #[cfg(feature = "br")]
        Coding::Br,
        Coding::Gzip,
    ];

    /// The coding's name in `Content-Encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            #[cfg(feature = "br")]
            Coding::Br => "br",
            #[cfg(feature = "zstd")]
            Coding::Zstd => "zstd",
        }
    }

    /// The coding a `Content-Encoding` or `Accept-Encoding` name stands for
    /// (case-insensitive; `x-gzip` is `gzip`), if this build speaks it.
    pub fn from_name(name: &str) -> Option<Coding> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            return Some(Coding::Gzip);
        }
        #[cfg(feature = "br")]
        if name.eq_ignore_ascii_case("br") {
            return Some(Coding::Br);
        }
        #[cfg(feature = "zstd")]
        if name.eq_ignore_ascii_case("zstd") {
            return Some(Coding::Zstd);
        }
        None
    }

    pub(crate) fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(self.as_str())
    }

    fn bit(self) -> u8 {
        match self {
            Coding::Gzip => 1,
            #[cfg(feature = "br")]
            Coding::Br => 2,
            #[cfg(feature = "zstd")]
            Coding::Zstd => 4,
        }
    }
}

impl fmt::Display for Coding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of codings: the ones a layer offers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Codings(u8);

impl Codings {
    /// gzip alone: what a layer offers unless told otherwise.
    pub(crate) fn gzip() -> Self {
        Codings(Coding::Gzip.bit())
    }

    /// Every coding this build speaks.
    #[cfg(test)]
    pub(crate) fn all() -> Self {
        Codings(Coding::PREFERENCE.iter().fold(0, |set, c| set | c.bit()))
    }

    pub(crate) fn set(&mut self, coding: Coding, on: bool) {
        if on {
            self.0 |= coding.bit();
        } else {
            self.0 &= !coding.bit();
        }
    }

    pub(crate) fn contains(self, coding: Coding) -> bool {
        self.0 & coding.bit() != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Coding> {
        Coding::PREFERENCE
            .iter()
            .copied()
            .filter(move |c| self.contains(*c))
    }
}

impl fmt::Debug for Codings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The coding to answer with: among `offered`, the one the request's
/// `Accept-Encoding` (all its lines) weighs highest, ties going to the
/// server's preference (`zstd`, `br`, `gzip`); `None` for identity.
///
/// A coding's weight is that of the item naming it (for gzip: `gzip`, or
/// `x-gzip` when `gzip` is not named), else that of `*`; a coding with no
/// weight, or weight 0, is not acceptable. No header, or an empty one,
/// means identity. `identity;q=0` with nothing acceptable still gets
/// identity, never a 406: the representation is better than an error.
pub(crate) fn negotiate(headers: &HeaderMap, offered: Codings) -> Option<Coding> {
    if offered.is_empty() {
        return None;
    }
    let mut gzip = None;
    let mut x_gzip = None;
    #[cfg(feature = "br")]
    let mut br = None;
    #[cfg(feature = "zstd")]
    let mut zstd = None;
    let mut star = None;
    for item in quality_items(headers.get_all(ACCEPT_ENCODING)) {
        let value = item.value;
        // The first item naming a coding counts, as in `coding_quality`.
        let slot = if value.eq_ignore_ascii_case("gzip") {
            &mut gzip
        } else if value.eq_ignore_ascii_case("x-gzip") {
            &mut x_gzip
        } else if value == "*" {
            &mut star
        } else {
            #[cfg(feature = "br")]
            if value.eq_ignore_ascii_case("br") {
                br.get_or_insert(item.quality);
                continue;
            }
            #[cfg(feature = "zstd")]
            if value.eq_ignore_ascii_case("zstd") {
                zstd.get_or_insert(item.quality);
                continue;
            }
            continue;
        };
        slot.get_or_insert(item.quality);
    }
    let weight = |coding: Coding| -> Option<Quality> {
        let named = match coding {
            Coding::Gzip => gzip.or(x_gzip),
            #[cfg(feature = "br")]
            Coding::Br => br,
            #[cfg(feature = "zstd")]
            Coding::Zstd => zstd,
        };
        named.or(star)
    };
    let mut best: Option<(Coding, Quality)> = None;
    for coding in offered.iter() {
        let Some(q) = weight(coding).filter(|q| !q.is_refused()) else {
            continue;
        };
        // Strictly greater: an equal weight keeps the earlier, preferred one.
        if best.is_none_or(|(_, seen)| q > seen) {
            best = Some((coding, q));
        }
    }
    best.map(|(coding, _)| coding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(values: &[&'static str]) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ACCEPT_ENCODING, HeaderValue::from_static(value));
        }
        negotiate(&headers, Codings::all()).map(Coding::as_str)
    }

    #[test]
    fn gzip_only_cases() {
        assert_eq!(choose(&["gzip"]), Some("gzip"));
        assert_eq!(choose(&["x-gzip"]), Some("gzip"));
        assert_eq!(choose(&["gzip;q=0, x-gzip"]), None, "gzip named wins");
        assert_eq!(choose(&[""]), None);
        assert_eq!(choose(&[]), None);
        assert_eq!(choose(&["identity"]), None);
        assert_eq!(choose(&["*;q=0"]), None);
    }

    #[cfg(all(feature = "br", feature = "zstd"))]
    #[test]
    fn weights_then_preference() {
        assert_eq!(choose(&["gzip, br, zstd"]), Some("zstd"));
        assert_eq!(choose(&["gzip, deflate, br"]), Some("br"));
        assert_eq!(choose(&["zstd;q=0.5, br;q=0.8, gzip"]), Some("gzip"));
        assert_eq!(choose(&["*"]), Some("zstd"));
        assert_eq!(choose(&["*, zstd;q=0"]), Some("br"));
        assert_eq!(choose(&["br;q=0.9, *;q=0.1"]), Some("br"));
    }

    #[test]
    fn an_empty_offer_is_identity() {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let mut none = Codings::all();
        for coding in Coding::PREFERENCE {
            none.set(*coding, false);
        }
        assert!(none.is_empty());
        assert_eq!(negotiate(&headers, none), None);
    }
}
