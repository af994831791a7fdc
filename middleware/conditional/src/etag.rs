//! Entity tags (RFC 9110 §8.8.3): parsing, the two comparisons, and the
//! strong tag the layer computes from a body.

use bytes::Bytes;
use http::HeaderValue;
use xxhash_rust::xxh3::{Xxh3Default, xxh3_128};

/// One entity tag: `"opaque"` or `W/"opaque"`; `opaque` holds the bytes
/// between the quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntityTag<'a> {
    pub(crate) weak: bool,
    pub(crate) opaque: &'a [u8],
}

impl<'a> EntityTag<'a> {
    /// The field value of an `ETag`: exactly one entity tag, with optional
    /// whitespace around it; `None` when it is not one.
    pub(crate) fn parse(value: &'a HeaderValue) -> Option<Self> {
        let (tag, rest) = parse_tag(trim_start(value.as_bytes()))?;
        trim_start(rest).is_empty().then_some(tag)
    }

    /// Weak comparison: the opaque tags are equal, either may be weak.
    pub(crate) fn weak_eq(self, other: EntityTag<'_>) -> bool {
        self.opaque == other.opaque
    }

    /// Strong comparison: neither is weak and the opaque tags are equal.
    pub(crate) fn strong_eq(self, other: EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }
}

/// Whether `b` may appear between an entity tag's quotes (`etagc`).
fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// One entity tag at the start of `bytes`, and what follows it.
fn parse_tag(bytes: &[u8]) -> Option<(EntityTag<'_>, &[u8])> {
    let (weak, rest) = match bytes.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let rest = rest.strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let opaque = &rest[..end];
    if !opaque.iter().all(|&b| is_etagc(b)) {
        return None;
    }
    Some((EntityTag { weak, opaque }, &rest[end + 1..]))
}

/// How an `If-Match` or `If-None-Match` field compares its tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// `If-Match`.
    Strong,
    /// `If-None-Match`.
    Weak,
}

/// Whether an `If-Match` / `If-None-Match` field (all its lines) matches
/// the current representation, whose tag is `current`: `*` matches any
/// representation (the layer only asks when there is one), a list matches
/// when one of its tags compares equal. `None` when the field is absent or
/// malformed (an item that is not an entity tag, `*` beside tags, nothing
/// but commas), which the layer treats as absent.
///
/// Commas may appear inside an entity tag, so the list is scanned tag by
/// tag rather than split on commas; empty list elements are skipped
/// (RFC 9110 §5.6.1).
pub(crate) fn list_matches(
    values: &[HeaderValue],
    current: Option<EntityTag<'_>>,
    comparison: Comparison,
) -> Option<bool> {
    let mut star = false;
    let mut tags = 0usize;
    let mut matched = false;
    for value in values {
        let mut rest = value.as_bytes();
        loop {
            rest = trim_start(rest);
            match rest.first() {
                None => break,
                Some(b',') => {
                    rest = &rest[1..];
                    continue;
                }
                Some(b'*') => {
                    if star {
                        return None;
                    }
                    star = true;
                    rest = &rest[1..];
                }
                Some(_) => {
                    let (tag, after) = parse_tag(rest)?;
                    tags += 1;
                    matched |= current.is_some_and(|current| match comparison {
                        Comparison::Strong => tag.strong_eq(current),
                        Comparison::Weak => tag.weak_eq(current),
                    });
                    rest = after;
                }
            }
            // After an item: the end of the line, or a comma.
            rest = trim_start(rest);
            match rest.first() {
                None => break,
                Some(b',') => rest = &rest[1..],
                Some(_) => return None,
            }
        }
    }
    match (star, tags) {
        (true, 0) => Some(true),
        (false, 1..) => Some(matched),
        _ => None,
    }
}

/// The strong ETag of a body made of `frames`: the xxh3 128-bit hash, as
/// 32 lower-case hex digits in quotes.
pub(crate) fn compute<'a>(frames: impl IntoIterator<Item = &'a Bytes>) -> HeaderValue {
    let mut frames = frames.into_iter();
    let hash = match (frames.next(), frames.next()) {
        (None, _) => xxh3_128(b""),
        (Some(only), None) => xxh3_128(only),
        (Some(first), Some(second)) => {
            let mut hasher = Xxh3Default::new();
            hasher.update(first);
            hasher.update(second);
            for frame in frames {
                hasher.update(frame);
            }
            hasher.digest128()
        }
    };
    let mut text = [b'"'; 34];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in hash.to_be_bytes().iter().enumerate() {
        text[1 + 2 * i] = HEX[usize::from(byte >> 4)];
        text[2 + 2 * i] = HEX[usize::from(byte & 0xf)];
    }
    HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hv(s: &'static str) -> HeaderValue {
        HeaderValue::from_static(s)
    }

    fn tag(s: &'static str) -> EntityTag<'static> {
        let value: &'static HeaderValue = Box::leak(Box::new(hv(s)));
        EntityTag::parse(value).unwrap()
    }

    #[test]
    fn etags_parse_strong_and_weak() {
        assert_eq!(
            tag("\"xyzzy\""),
            EntityTag {
                weak: false,
                opaque: b"xyzzy"
            }
        );
        assert_eq!(
            tag(" W/\"xyzzy\" "),
            EntityTag {
                weak: true,
                opaque: b"xyzzy"
            }
        );
        assert_eq!(
            tag("\"\""),
            EntityTag {
                weak: false,
                opaque: b""
            }
        );
        for bad in [
            "xyzzy",
            "\"a\" \"b\"",
            "w/\"a\"",
            "\"a",
            "\"a\"b",
            "W/ \"a\"",
            "\"a b\"",
        ] {
            assert_eq!(EntityTag::parse(&hv(bad)), None, "{bad}");
        }
    }

    #[test]
    fn the_comparison_table_of_rfc_9110() {
        // RFC 9110 §8.8.3.2, example table.
        let rows = [
            ("W/\"1\"", "W/\"1\"", false, true),
            ("W/\"1\"", "W/\"2\"", false, false),
            ("W/\"1\"", "\"1\"", false, true),
            ("\"1\"", "\"1\"", true, true),
        ];
        for (a, b, strong, weak) in rows {
            assert_eq!(tag(a).strong_eq(tag(b)), strong, "{a} {b}");
            assert_eq!(tag(a).weak_eq(tag(b)), weak, "{a} {b}");
        }
    }

    #[test]
    fn lists_are_scanned_tag_by_tag() {
        let current = Some(tag("\"b,c\""));
        let field = [hv("\"a\", W/\"b,c\"")];
        assert_eq!(list_matches(&field, current, Comparison::Weak), Some(true));
        assert_eq!(
            list_matches(&field, current, Comparison::Strong),
            Some(false)
        );
        let lines = [hv("\"a\""), hv(" , \"b,c\",")];
        assert_eq!(
            list_matches(&lines, current, Comparison::Strong),
            Some(true)
        );
        assert_eq!(
            list_matches(&[hv("*")], current, Comparison::Weak),
            Some(true)
        );
        assert_eq!(
            list_matches(&[hv("*")], None, Comparison::Strong),
            Some(true)
        );
        assert_eq!(
            list_matches(&[hv("\"a\"")], None, Comparison::Weak),
            Some(false)
        );
        assert_eq!(list_matches(&[], current, Comparison::Weak), None);
    }

    #[test]
    fn malformed_lists_count_as_absent() {
        for bad in [
            "",
            " , ",
            "*, \"a\"",
            "*, *",
            "\"a\" \"b\"",
            "a",
            "\"a\"; x",
            "W/a",
            "\"a",
        ] {
            assert_eq!(
                list_matches(&[hv(bad)], Some(tag("\"a\"")), Comparison::Weak),
                None,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn computed_etags_are_strong_and_do_not_depend_on_framing() {
        let whole = compute([&Bytes::from_static(b"hello world")]);
        let split = compute(&[
            Bytes::from_static(b"hel"),
            Bytes::from_static(b"lo "),
            Bytes::from_static(b"world"),
        ]);
        assert_eq!(whole, split);
        assert_eq!(whole.len(), 34);
        assert!(!EntityTag::parse(&whole).unwrap().weak);
        assert_ne!(whole, compute([&Bytes::from_static(b"hello world!")]));
        assert_eq!(compute(&[] as &[Bytes]), compute([&Bytes::new()]));
    }

    proptest! {
        #[test]
        fn list_parsing_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                let current = EntityTag::parse(&value);
                let _ = list_matches(std::slice::from_ref(&value), current, Comparison::Weak);
                let _ = list_matches(std::slice::from_ref(&value), current, Comparison::Strong);
            }
        }
    }
}
