//! Header helpers shared by several middleware: quality-value lists
//! (`Accept`, `Accept-Encoding`) and `Vary` merging.
//!
//! Every parser here is total: malformed items are skipped, never a panic.

use http::header::{HeaderMap, HeaderName, HeaderValue, VARY};

/// A quality value (RFC 9110 section 12.4.2), kept in thousandths: `q=0.5`
/// is 500. `q=0` means "not acceptable".
///
/// ```
/// use pastry_core::header::Quality;
///
/// assert_eq!(Quality::parse("0.25"), Some(Quality::from_thousandths(250).unwrap()));
/// assert_eq!(Quality::parse("1.000"), Some(Quality::ONE));
/// assert!(Quality::parse("0").unwrap().is_refused());
/// assert_eq!(Quality::parse("1.5"), None);
/// assert_eq!(Quality::parse("0.1234"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quality(u16);

impl Quality {
    /// `q=1`, the default when an item names no quality.
    pub const ONE: Quality = Quality(1000);
    /// `q=0`: refused.
    pub const ZERO: Quality = Quality(0);

    /// A quality from thousandths; `None` above 1000.
    pub fn from_thousandths(thousandths: u16) -> Option<Self> {
        (thousandths <= 1000).then_some(Quality(thousandths))
    }

    /// The quality in thousandths, 0 to 1000.
    pub fn thousandths(self) -> u16 {
        self.0
    }

    /// Whether this quality refuses the item (`q=0`).
    pub fn is_refused(self) -> bool {
        self.0 == 0
    }

    /// Parses the text after `q=`: `0`, `1`, or either with up to three
    /// decimals (`1` may only be followed by zeros).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let (&lead, rest) = bytes.split_first()?;
        if lead != b'0' && lead != b'1' {
            return None;
        }
        let decimals = match rest {
            [] => &[][..],
            [b'.', decimals @ ..] if decimals.len() <= 3 => decimals,
            _ => return None,
        };
        let mut value = u16::from(lead - b'0') * 1000;
        let mut scale = 100;
        for &digit in decimals {
            if !digit.is_ascii_digit() {
                return None;
            }
            value += u16::from(digit - b'0') * scale;
            scale /= 10;
        }
        Quality::from_thousandths(value)
    }
}

/// One item of a quality list: the value (a coding such as `gzip`, or a
/// media range such as `text/*`) and its quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QualityItem<'a> {
    /// The item's value, trimmed, in the case the client sent it.
    pub value: &'a str,
    /// Its quality; [`Quality::ONE`] when the item names none.
    pub quality: Quality,
}

/// The items of every given header value (all `Accept-Encoding` lines of a
/// request, say), in order, skipping malformed ones. Allocates nothing.
///
/// Parameters other than `q` are ignored; an item with a malformed `q`, an
/// empty value or characters outside a token is skipped, and so is a header
/// value that is not visible ASCII.
///
/// A weight is `OWS ";" OWS "q=" qvalue` (RFC 9110 section 12.4.2), so
/// whitespace around its `=` (`gzip;q =0.5`, `gzip;q= 0.5`) makes it an
/// invalid weight. RFC 9110 gives no way to recover the intended quality
/// from one, and guessing could turn a refusal into an acceptance, so an
/// item with an invalid weight is skipped like any other malformed item:
/// it neither accepts nor refuses its value, and a `*` item or the
/// absence of the value decides instead. Whitespace before `;` and `q`,
/// and after the qvalue, is allowed (`gzip ; q=0.5 , br`).
///
/// ```
/// use http::HeaderValue;
/// use pastry_core::header::{quality_items, Quality};
///
/// let headers = [HeaderValue::from_static("gzip;q=0.5, br;q=bogus, , *;q=0")];
/// let items: Vec<_> = quality_items(&headers).map(|i| (i.value, i.quality.thousandths())).collect();
/// assert_eq!(items, [("gzip", 500), ("*", 0)]);
/// ```
pub fn quality_items<'a, I>(values: I) -> impl Iterator<Item = QualityItem<'a>>
where
    I: IntoIterator<Item = &'a HeaderValue>,
{
    values
        .into_iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| text.split(','))
        .filter_map(parse_item)
}

fn parse_item(item: &str) -> Option<QualityItem<'_>> {
    let mut parts = item.split(';');
    let value = parts.next()?.trim();
    if value.is_empty() || !value.bytes().all(|b| is_tchar(b) || b == b'/') {
        return None;
    }
    let mut quality = Quality::ONE;
    for param in parts {
        let (name, param_value) = param.split_once('=')?;
        // `weight = OWS ";" OWS "q=" qvalue`: whitespace may come before
        // the `q` and after the qvalue (list OWS), never around the `=`.
        let name = name.trim_start();
        if name.trim_end().eq_ignore_ascii_case("q") {
            if name.len() != 1 || param_value.starts_with([' ', '\t']) {
                return None;
            }
            quality = Quality::parse(param_value.trim_end())?;
        }
    }
    Some(QualityItem { value, quality })
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The quality a client gives a content coding (`Accept-Encoding`): the
/// item naming it (case-insensitively), else the `*` item, else `None`.
///
/// ```
/// use http::HeaderValue;
/// use pastry_core::header::{coding_quality, Quality};
///
/// let headers = [HeaderValue::from_static("br, *;q=0.2")];
/// assert_eq!(coding_quality(&headers, "br"), Some(Quality::ONE));
/// assert_eq!(coding_quality(&headers, "gzip").unwrap().thousandths(), 200);
/// assert_eq!(coding_quality(&[HeaderValue::from_static("br")], "gzip"), None);
/// ```
pub fn coding_quality<'a, I>(values: I, coding: &str) -> Option<Quality>
where
    I: IntoIterator<Item = &'a HeaderValue>,
{
    let mut wildcard = None;
    for item in quality_items(values) {
        if item.value.eq_ignore_ascii_case(coding) {
            return Some(item.quality);
        }
        if item.value == "*" && wildcard.is_none() {
            wildcard = Some(item.quality);
        }
    }
    wildcard
}

/// The quality a client gives a media type (`Accept`): the most specific
/// matching range wins (`type/subtype`, then `type/*`, then `*/*`).
///
/// ```
/// use http::HeaderValue;
/// use pastry_core::header::media_quality;
///
/// let accept = [HeaderValue::from_static("text/html, application/*;q=0.8, */*;q=0.1")];
/// assert_eq!(media_quality(&accept, "text/html").unwrap().thousandths(), 1000);
/// assert_eq!(media_quality(&accept, "application/json").unwrap().thousandths(), 800);
/// assert_eq!(media_quality(&accept, "image/png").unwrap().thousandths(), 100);
/// ```
pub fn media_quality<'a, I>(values: I, media_type: &str) -> Option<Quality>
where
    I: IntoIterator<Item = &'a HeaderValue>,
{
    let (wanted_type, wanted_subtype) = media_type.split_once('/')?;
    let mut best: Option<(u8, Quality)> = None;
    for item in quality_items(values) {
        let Some((range_type, range_subtype)) = item.value.split_once('/') else {
            continue;
        };
        let specificity = if range_type == "*" && range_subtype == "*" {
            1
        } else if range_type.eq_ignore_ascii_case(wanted_type) && range_subtype == "*" {
            2
        } else if range_type.eq_ignore_ascii_case(wanted_type)
            && range_subtype.eq_ignore_ascii_case(wanted_subtype)
        {
            3
        } else {
            continue;
        };
        if best.is_none_or(|(seen, _)| specificity > seen) {
            best = Some((specificity, item.quality));
        }
    }
    best.map(|(_, quality)| quality)
}

/// Adds `name` to the response's `Vary` unless it is already listed
/// (case-insensitively) or `Vary: *` is present.
///
/// ```
/// use http::header::{HeaderMap, HeaderValue, ACCEPT_ENCODING, VARY};
/// use pastry_core::header::merge_vary;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(VARY, HeaderValue::from_static("Cookie"));
/// merge_vary(&mut headers, &ACCEPT_ENCODING);
/// merge_vary(&mut headers, &ACCEPT_ENCODING);
/// let vary: Vec<_> = headers.get_all(VARY).iter().collect();
/// assert_eq!(vary, ["Cookie", "accept-encoding"]);
///
/// let mut star = HeaderMap::new();
/// star.insert(VARY, HeaderValue::from_static("*"));
/// merge_vary(&mut star, &ACCEPT_ENCODING);
/// assert_eq!(star.get_all(VARY).iter().count(), 1);
/// ```
pub fn merge_vary(headers: &mut HeaderMap, name: &HeaderName) {
    let listed = headers
        .get_all(VARY)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| text.split(','))
        .map(str::trim)
        .any(|field| field == "*" || field.eq_ignore_ascii_case(name.as_str()));
    if !listed {
        headers.append(VARY, HeaderValue::from(name.clone()));
    }
}

/// A `Content-Length` value for `len` bytes, in one exactly sized
/// allocation (`HeaderValue::from(len)` makes two: a buffer, then the
/// shared handle that freezing a partly filled buffer needs).
///
/// ```
/// use pastry_core::header::content_length;
///
/// assert_eq!(content_length(0), "0");
/// assert_eq!(content_length(2048), "2048");
/// assert_eq!(content_length(1_000_001), "1000001");
/// ```
pub fn content_length(len: usize) -> HeaderValue {
    let mut len = len as u64;
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (len % 10) as u8;
        len /= 10;
        if len == 0 {
            break;
        }
    }
    HeaderValue::from_maybe_shared(bytes::Bytes::copy_from_slice(&digits[start..]))
        .expect("ASCII digits are a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::ACCEPT_ENCODING;
    use proptest::prelude::*;

    fn hv(s: &'static str) -> HeaderValue {
        HeaderValue::from_static(s)
    }

    #[test]
    fn content_length_writes_every_digit() {
        for len in [0, 7, 10, 99, 100, 65_535, 1 << 40, usize::MAX] {
            assert_eq!(content_length(len), HeaderValue::from(len));
        }
    }

    #[test]
    fn q_zero_refuses() {
        let q = coding_quality(&[hv("gzip;q=0")], "gzip").unwrap();
        assert!(q.is_refused());
    }

    #[test]
    fn explicit_item_beats_wildcard_in_any_order() {
        let q = coding_quality(&[hv("*;q=0.5, GZIP;q=0")], "gzip").unwrap();
        assert!(q.is_refused());
    }

    #[test]
    fn several_header_lines_are_combined() {
        let q = coding_quality(&[hv("br"), hv("gzip;q=0.3")], "gzip").unwrap();
        assert_eq!(q.thousandths(), 300);
    }

    #[test]
    fn q_is_case_insensitive_and_other_params_are_ignored() {
        let header = [hv("text/html;level=1;Q=0.7")];
        let items: Vec<_> = quality_items(&header).collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].value, "text/html");
        assert_eq!(items[0].quality.thousandths(), 700);
    }

    #[test]
    fn malformed_items_are_skipped() {
        for bad in [
            "gzip;q=2",
            "gzip;q=",
            "gzip;q=0.1234",
            "gzip;q",
            "g zip",
            "gzip;q=-1",
            "gzip;q=1.001",
        ] {
            let header = HeaderValue::from_str(bad).unwrap();
            assert_eq!(quality_items([&header]).count(), 0, "{bad}");
        }
    }

    #[test]
    fn whitespace_around_the_weights_equals_sign_is_an_invalid_weight() {
        for bad in [
            "gzip;q =0.5",
            "gzip;q= 0.5",
            "gzip;q = 0.5",
            "gzip;q\t=0.5",
            "gzip;q=\t0",
        ] {
            let header = HeaderValue::from_str(bad).unwrap();
            assert_eq!(quality_items([&header]).count(), 0, "{bad:?}");
        }
        // The item is skipped, so a wildcard decides instead of it.
        let q = coding_quality(&[hv("gzip;q= 0, *;q=0.3")], "gzip").unwrap();
        assert_eq!(q.thousandths(), 300);
        assert_eq!(coding_quality(&[hv("gzip;q =0.5")], "gzip"), None);
    }

    #[test]
    fn whitespace_allowed_by_the_grammar_is_accepted() {
        for good in [
            "gzip;q=0.5",
            "gzip ;q=0.5",
            "gzip; q=0.5",
            "gzip \t;\t Q=0.5",
            "gzip;q=0.5 , br",
        ] {
            let header = HeaderValue::from_str(good).unwrap();
            let first = quality_items([&header]).next().unwrap();
            assert_eq!(
                (first.value, first.quality.thousandths()),
                ("gzip", 500),
                "{good:?}"
            );
        }
    }

    #[test]
    fn vary_match_is_case_insensitive_across_lines() {
        let mut headers = HeaderMap::new();
        headers.append(VARY, hv("Origin"));
        headers.append(VARY, hv("Cookie, Accept-Encoding"));
        merge_vary(&mut headers, &ACCEPT_ENCODING);
        assert_eq!(headers.get_all(VARY).iter().count(), 2);
    }

    #[test]
    fn vary_is_added_when_absent() {
        let mut headers = HeaderMap::new();
        merge_vary(&mut headers, &ACCEPT_ENCODING);
        assert_eq!(headers[VARY], "accept-encoding");
    }

    proptest! {
        #[test]
        fn quality_list_parser_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                for item in quality_items([&value]) {
                    prop_assert!(item.quality.thousandths() <= 1000);
                    prop_assert!(!item.value.is_empty());
                }
                let _ = coding_quality([&value], "gzip");
                let _ = media_quality([&value], "text/html");
            }
        }

        #[test]
        fn quality_round_trips(thousandths in 0u16..=1000) {
            let text = format!("{}.{:03}", thousandths / 1000, thousandths % 1000);
            prop_assert_eq!(Quality::parse(&text).map(Quality::thousandths), Some(thousandths));
            let header = HeaderValue::from_str(&format!("gzip;q={text}")).unwrap();
            prop_assert_eq!(coding_quality([&header], "gzip").map(Quality::thousandths), Some(thousandths));
        }

        #[test]
        fn vary_merge_is_idempotent(existing in "[A-Za-z-]{1,10}(, ?[A-Za-z-]{1,10}){0,3}") {
            let mut headers = HeaderMap::new();
            headers.insert(VARY, HeaderValue::from_str(&existing).unwrap());
            merge_vary(&mut headers, &ACCEPT_ENCODING);
            let once = headers.clone();
            merge_vary(&mut headers, &ACCEPT_ENCODING);
            prop_assert_eq!(once, headers);
        }
    }
}
