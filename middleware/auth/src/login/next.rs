use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// `next` if it is a path on this site that is safe to redirect to after
/// login, else `None`.
///
/// Accepted: a path starting with a single `/`. Refused: anything else,
/// including scheme-relative `//host`, absolute `https://host`, `/\host`
/// (browsers read `\` as `/`), control characters and whitespace (which
/// browsers strip), and the same spellings hidden behind percent-encoding
/// (decoded repeatedly).
///
/// ```
/// use pastry_auth::safe_next;
///
/// assert_eq!(safe_next("/account?tab=1"), Some("/account?tab=1"));
/// for evil in ["//evil.example", "https://evil.example", "/\\evil.example",
///              "%2F%2Fevil.example", "/%2Fevil.example", "/%5Cevil.example",
///              "/%252F/evil.example", "/\t/evil.example", "evil.example", ""] {
///     assert_eq!(safe_next(evil), None, "{evil}");
/// }
/// ```
pub fn safe_next(next: &str) -> Option<&str> {
    if !next.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut current: Cow<'_, str> = Cow::Borrowed(next);
    for _ in 0..4 {
        if !is_local_path(&current) {
            return None;
        }
        let decoded = percent_decode_str(&current).decode_utf8().ok()?;
        if decoded == current {
            return Some(next);
        }
        current = Cow::Owned(decoded.into_owned());
    }
    None
}

/// Whether `path` (raw, or one of its decodings) stays on this site:
/// browsers drop tabs and newlines from URLs and read `\` as `/`, so those
/// are removed first and a backslash anywhere is refused.
fn is_local_path(path: &str) -> bool {
    if path.contains('\\') {
        return false;
    }
    let mut chars = path.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    chars.next() == Some('/')
        && chars.next() != Some('/')
        && !path
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn local_paths_pass_unchanged() {
        for ok in [
            "/",
            "/a/b",
            "/a?next=/b",
            "/search?q=a%20b",
            "/x#frag",
            "/redirect?to=https://x",
        ] {
            assert_eq!(safe_next(ok), Some(ok), "{ok}");
        }
    }

    #[test]
    fn open_redirect_spellings_are_refused() {
        for evil in [
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "%2F%2Fevil.example",
            "%2f%2fevil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%252F%252Fevil.example",
            "%252F%252Fevil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
            "/ /evil.example",
            "/é",
            "/%FF",
        ] {
            assert_eq!(safe_next(evil), None, "{evil}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn accepted_values_never_leave_the_site(next in "[/\\\\%a-zA-Z0-9:.?=&#]{0,16}") {
            if let Some(ok) = safe_next(&next) {
                prop_assert!(ok.starts_with('/'));
                let decoded = percent_decode_str(ok).decode_utf8_lossy();
                prop_assert!(!decoded.starts_with("//"));
                prop_assert!(!decoded.contains('\\'));
            }
        }
    }
}
