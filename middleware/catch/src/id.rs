//! The id every caught failure gets.

use std::fmt;

use uuid::Uuid;

/// A caught failure's random id: the `x-error-id` header, the page and the
/// log event all carry it, so a user's report finds the log line.
///
/// It prints as a random (version 4) UUID in its hyphenated lowercase form,
/// `67e55044-10b1-426f-9247-bb680e5fe0c8`; compare ids by that text.
///
/// ```
/// use pastry_catch::CatchLayer;
///
/// let layer = CatchLayer::new().handler(|failure: &pastry_catch::Failure| {
///     let id: pastry_catch::ErrorId = failure.id();
///     http::Response::new(format!("ticket {id}"))
/// });
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorId(Uuid);

impl ErrorId {
    /// A fresh id from the operating system's randomness.
    pub(crate) fn random() -> Self {
        ErrorId(Uuid::new_v4())
    }
}

impl fmt::Display for ErrorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for ErrorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_a_hyphenated_v4_uuid() {
        let id = ErrorId::random();
        let text = id.to_string();
        let parsed = Uuid::parse_str(&text).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(text, parsed.hyphenated().to_string());
        assert_eq!(format!("{id:?}"), text);
    }
}
