// With every store feature off, AnyStore has no variants and its plumbing is unused.
#![cfg_attr(
    not(any(feature = "memory", feature = "file", feature = "sqlite")),
    allow(unused_variables, unused_mut, dead_code)
)]

use std::time::SystemTime;

#[cfg(feature = "file")]
use crate::FileStore;
#[cfg(feature = "memory")]
use crate::MemoryStore;
use crate::store::{SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};
#[cfg(feature = "sqlite")]
use crate::{SqliteStore, Synchronous};

/// Any bundled store, chosen at run time from a URL: an app picks its
/// session backend from a setting, with no code change.
///
/// | URL | store |
/// |---|---|
/// | `memory:` (at most [`DEFAULT_MAX_ENTRIES`](crate::DEFAULT_MAX_ENTRIES) sessions) or `memory:?max_entries=10000` | [`MemoryStore`] |
/// | `file:/var/lib/app/sessions` (also `file:///…`; `?fsync=false`) | [`FileStore`] |
/// | `sqlite:/var/lib/app/sessions.db` (also `sqlite:///…`; `?synchronous=full`, `?pool=4`) | [`SqliteStore`] |
///
/// ```
/// use pastry_sessions::{AnyStore, SessionLayer};
///
/// let url = std::env::var("SESSION_STORE").unwrap_or_else(|_| "memory:".to_owned());
/// let store = AnyStore::from_url(&url)?;
/// assert!(matches!(store, AnyStore::Memory(_)));
/// let layer = SessionLayer::new(store);
/// # let _ = layer;
/// # Ok::<(), pastry_sessions::SessionError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// A [`MemoryStore`].
    #[cfg(feature = "memory")]
    Memory(MemoryStore),
    /// A [`FileStore`].
    #[cfg(feature = "file")]
    File(FileStore),
    /// A [`SqliteStore`].
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
}

impl AnyStore {
    /// Opens the store `url` names (creating its directory or database if
    /// missing). Touches the disk directly: call it at start-up.
    pub fn from_url(url: &str) -> Result<Self, SessionError> {
        let bad = |reason: &str| SessionError::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = url
            .split_once(':')
            .ok_or_else(|| bad("missing `scheme:`"))?;
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let location = location.strip_prefix("//").unwrap_or(location);
        let mut options = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| bad("query options must be `name=value`"))?;
            options.push((k, v));
        }
        let unknown = |name: &str| bad(&format!("unknown option `{name}`"));
        match scheme {
            #[cfg(feature = "memory")]
            "memory" => {
                if !location.is_empty() {
                    return Err(bad("`memory:` takes no path"));
                }
                let mut store = MemoryStore::new();
                for (k, v) in options {
                    match k {
                        "max_entries" => {
                            let max = v.parse().map_err(|_| bad("max_entries must be a number"))?;
                            store = store.max_entries(max);
                        }
                        _ => return Err(unknown(k)),
                    }
                }
                Ok(AnyStore::Memory(store))
            }
            #[cfg(feature = "file")]
            "file" => {
                if location.is_empty() {
                    return Err(bad("`file:` needs a directory"));
                }
                let mut store = FileStore::new(location)?;
                for (k, v) in options {
                    match (k, v) {
                        ("fsync", "true") => store = store.fsync(true),
                        ("fsync", "false") => store = store.fsync(false),
                        _ => return Err(unknown(k)),
                    }
                }
                Ok(AnyStore::File(store))
            }
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                if location.is_empty() {
                    return Err(bad("`sqlite:` needs a database path"));
                }
                let mut builder = SqliteStore::builder();
                for (k, v) in options {
                    builder = match (k, v.to_ascii_lowercase().as_str()) {
                        ("synchronous", "normal") => builder.synchronous(Synchronous::Normal),
                        ("synchronous", "full") => builder.synchronous(Synchronous::Full),
                        ("pool", n) => {
                            builder.pool_size(n.parse().map_err(|_| bad("pool must be a number"))?)
                        }
                        _ => return Err(unknown(k)),
                    };
                }
                Ok(AnyStore::Sqlite(builder.open(location)?))
            }
            _ => Err(bad(
                "unknown or disabled store; use memory:, file: or sqlite:",
            )),
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match *$self {
            #[cfg(feature = "memory")]
            AnyStore::Memory(ref $store) => $call,
            #[cfg(feature = "file")]
            AnyStore::File(ref $store) => $call,
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(ref $store) => $call,
        }
    };
}

impl SessionStore for AnyStore {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        dispatch!(self, store => store.load(key, now).await)
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        dispatch!(self, store => store.save(key, record).await)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        dispatch!(self, store => store.delete(key).await)
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        dispatch!(self, store => store.delete_expired(now).await)
    }
}

#[cfg(all(test, feature = "memory", feature = "file", feature = "sqlite"))]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_their_store() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        assert!(matches!(
            AnyStore::from_url("memory:"),
            Ok(AnyStore::Memory(_))
        ));
        assert!(matches!(
            AnyStore::from_url("memory:?max_entries=5"),
            Ok(AnyStore::Memory(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("file:{d}/f")),
            Ok(AnyStore::File(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("file://{d}/g?fsync=false")),
            Ok(AnyStore::File(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("sqlite:{d}/s.db")),
            Ok(AnyStore::Sqlite(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("sqlite://{d}/t.db?synchronous=FULL&pool=3")),
            Ok(AnyStore::Sqlite(_))
        ));
        for bad in [
            "",
            "memory",
            "redis://x",
            "memory:/x",
            "file:",
            "sqlite:",
            "memory:?size=3",
            "sqlite:/x.db?synchronous=off",
        ] {
            assert!(
                matches!(AnyStore::from_url(bad), Err(SessionError::Url { .. })),
                "{bad}"
            );
        }
    }
}
