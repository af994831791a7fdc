use std::fmt;

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A session id as the client holds it: 128 random bits (UUID v4) in the
/// compact 32-hex-digit form. Only ever created by the server.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SessionId(Uuid);

impl SessionId {
    /// A fresh id from the operating system's random generator.
    pub(crate) fn random() -> Self {
        Self(Uuid::new_v4())
    }

    /// Parses a cookie value; only the exact compact form this crate writes
    /// is accepted (32 lowercase hex digits).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 || !bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        Uuid::try_parse_ascii(bytes).ok().map(Self)
    }

    /// The id's 16 raw bytes (sealed into a cookie by the cookie store).
    #[cfg(feature = "cookie-store")]
    pub(crate) fn to_bytes(self) -> [u8; 16] {
        *self.0.as_bytes()
    }

    /// The id whose raw bytes are `bytes`.
    #[cfg(feature = "cookie-store")]
    pub(crate) fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The text form sent in the cookie.
    pub(crate) fn encode(&self) -> String {
        self.0.simple().to_string()
    }

    /// The key the store sees: SHA-256 of the id's text form.
    pub(crate) fn key(&self) -> SessionKey {
        let mut buf = [0u8; 32];
        self.0.simple().encode_lower(&mut buf);
        SessionKey(Sha256::digest(buf).into())
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a live id: its hash prefix is enough to correlate.
        write!(f, "SessionId({})", self.key().short())
    }
}

/// The key a session is stored under: the SHA-256 hash of its id.
///
/// Stores only ever see this key, never the id the client holds, so a leaked
/// store file or database hands out no live session. [`to_hex`](Self::to_hex)
/// is safe to use as a file name or database key.
///
/// ```
/// use pastry_sessions::SessionKey;
///
/// let key = SessionKey::from_bytes([0xab; 32]);
/// assert_eq!(key.to_hex().len(), 64);
/// assert_eq!(key.short(), "abababab");
/// assert_eq!(SessionKey::from_hex(&key.to_hex()), Some(key));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    /// A key from raw hash bytes (stores reading keys back use this).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for b in self.0 {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }

    /// Parses the 64-digit form written by [`to_hex`](Self::to_hex).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            out[i] = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(Self(out))
    }

    /// The first 8 hex digits: enough to correlate log lines, useless to an
    /// attacker.
    pub fn short(&self) -> String {
        let mut hex = self.to_hex();
        hex.truncate(8);
        hex
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey({}…)", self.short())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn random_ids_round_trip_through_their_text() {
        let id = SessionId::random();
        let text = id.encode();
        assert_eq!(text.len(), 32);
        assert_eq!(SessionId::parse(&text), Some(id));
        assert_eq!(SessionId::parse(&text).map(|i| i.key()), Some(id.key()));
    }

    #[test]
    fn only_the_compact_lowercase_form_parses() {
        let id = SessionId::random();
        let text = id.encode();
        assert_eq!(SessionId::parse(&text.to_uppercase()), None);
        assert_eq!(SessionId::parse(&id.0.hyphenated().to_string()), None);
        assert_eq!(SessionId::parse(&format!("{text} ")), None);
        assert_eq!(SessionId::parse("../../etc/passwd"), None);
        assert_eq!(SessionId::parse(""), None);
    }

    #[test]
    fn key_is_sha256_of_the_text() {
        let id = SessionId::parse("0123456789abcdef0123456789abcdef").unwrap();
        let expected: [u8; 32] = Sha256::digest(b"0123456789abcdef0123456789abcdef").into();
        assert_eq!(id.key().as_bytes(), &expected);
    }

    #[test]
    fn debug_never_shows_the_id() {
        let id = SessionId::random();
        assert!(!format!("{id:?}").contains(&id.encode()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn parse_never_panics(text in ".{0,80}") {
            let _ = SessionId::parse(&text);
        }

        #[test]
        fn key_hex_round_trips(bytes in proptest::array::uniform32(any::<u8>())) {
            let key = SessionKey::from_bytes(bytes);
            prop_assert_eq!(SessionKey::from_hex(&key.to_hex()), Some(key));
        }
    }
}
