//! The cookie's `SameSite` attribute.

use std::fmt;

/// When the browser sends the session cookie with a request another site
/// started (RFC 6265bis, section 4.1.2.7).
///
/// ```
/// use pastry_sessions::SameSite;
///
/// assert_eq!(SameSite::default(), SameSite::Lax);
/// assert_eq!(SameSite::Strict.to_string(), "Strict");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Only with requests this site started.
    Strict,
    /// Also with top-level navigations from other sites (the default).
    #[default]
    Lax,
    /// With every request; browsers require the cookie to be `Secure`.
    None,
}

impl SameSite {
    /// The attribute's value: `Strict`, `Lax` or `None`.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
