use std::borrow::Cow;

/// Escapes text for use in HTML element content and quoted attribute values.
///
/// Replaces `&`, `<`, `>`, `"` and `'`; borrows the input when nothing needs
/// escaping.
///
/// ```
/// use pastry_core::html_escape;
///
/// assert_eq!(html_escape("<b>\"Tom\" & 'Jerry'</b>"),
///            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
/// assert!(matches!(html_escape("plain"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn html_escape(text: &str) -> Cow<'_, str> {
    let needs = |b: u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    let Some(first) = text.bytes().position(needs) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn escaped_text_has_no_markup_characters(s in any::<String>()) {
            let escaped = html_escape(&s);
            prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
        }

        #[test]
        fn unescaping_gives_the_input_back(s in any::<String>()) {
            let escaped = html_escape(&s);
            let back = escaped
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            prop_assert_eq!(back, s);
        }
    }
}
