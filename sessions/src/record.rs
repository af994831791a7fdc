use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SessionError;
use crate::expiry::{Expiry, from_millis, to_millis};

/// One stored session: its values, when it ends, and its version.
///
/// Times are kept to the millisecond by the bundled stores.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use pastry_sessions::Record;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_000);
/// let mut record = Record::new(now, now + Duration::from_secs(60));
/// record.data.insert("user".into(), "alice".into());
/// assert_eq!(record.version, 0);
/// assert!(!record.is_expired(now));
/// assert!(record.is_expired(now + Duration::from_secs(60)));
///
/// let bytes = record.to_json();
/// assert_eq!(pastry_sessions::Record::from_json(&bytes).unwrap(), record);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The session's values: string keys, JSON values.
    pub data: Map<String, Value>,
    /// The expiry this session chose with
    /// [`Session::set_expiry`](crate::Session::set_expiry), if any; `None`
    /// follows the layer's default.
    pub expiry: Option<Expiry>,
    /// When the session was first saved (the absolute lifetime counts from it).
    pub created_at: SystemTime,
    /// When the record stops being valid: a store treats a record with
    /// `expires_at <= now` as absent.
    pub expires_at: SystemTime,
    /// The stored version this record was read at: `0` for a record never
    /// saved. See [`SessionStore::save`](crate::SessionStore::save).
    pub version: u64,
}

impl Record {
    /// The version this record gets when saved over itself. A record whose
    /// counter is exhausted can only come from a tampered or foreign store,
    /// so it is reported as corrupt rather than wrapped back to 0. Store
    /// implementations call it when they write a record back.
    pub fn next_version(&self) -> Result<u64, SessionError> {
        self.version
            .checked_add(1)
            .ok_or_else(|| SessionError::Corrupt("version counter exhausted".into()))
    }

    /// An empty, never-saved record.
    pub fn new(created_at: SystemTime, expires_at: SystemTime) -> Self {
        Self {
            data: Map::new(),
            expiry: None,
            created_at,
            expires_at,
            version: 0,
        }
    }

    /// Whether the record has expired at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at <= now
    }

    /// The record as JSON bytes: a format for stores that keep records as
    /// one blob (the file store uses it).
    pub fn to_json(&self) -> Vec<u8> {
        let repr = Repr {
            format: 1,
            version: self.version,
            created_at: to_millis(self.created_at),
            expires_at: to_millis(self.expires_at),
            expiry: self.expiry.map(|e| e.encode()),
            data: self.data.clone(),
        };
        // A map of strings to JSON values always serializes.
        serde_json::to_vec(&repr).unwrap_or_default()
    }

    /// Reads what [`to_json`](Self::to_json) wrote; anything else (truncated,
    /// foreign, garbage) is [`SessionError::Corrupt`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, SessionError> {
        let repr: Repr =
            serde_json::from_slice(bytes).map_err(|e| SessionError::Corrupt(e.to_string()))?;
        if repr.format != 1 {
            return Err(SessionError::Corrupt(format!(
                "unknown format {}",
                repr.format
            )));
        }
        let expiry = match repr.expiry {
            Some(text) => Some(
                Expiry::decode(&text)
                    .ok_or_else(|| SessionError::Corrupt(format!("bad expiry `{text}`")))?,
            ),
            None => None,
        };
        Ok(Self {
            data: repr.data,
            expiry,
            created_at: from_millis(repr.created_at),
            expires_at: from_millis(repr.expires_at),
            version: repr.version,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct Repr {
    format: u32,
    version: u64,
    created_at: i64,
    expires_at: i64,
    expiry: Option<String>,
    data: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn garbage_and_truncated_json_are_corrupt() {
        let now = UNIX_EPOCH + Duration::from_secs(5);
        let mut record = Record::new(now, now);
        record.expiry = Some(Expiry::BrowserSession);
        let bytes = record.to_json();
        assert_eq!(Record::from_json(&bytes).unwrap(), record);
        assert!(matches!(
            Record::from_json(&bytes[..bytes.len() / 2]),
            Err(SessionError::Corrupt(_))
        ));
        assert!(matches!(
            Record::from_json(b"\0\0\xff"),
            Err(SessionError::Corrupt(_))
        ));
        assert!(matches!(
            Record::from_json(b"{}"),
            Err(SessionError::Corrupt(_))
        ));
    }
}
