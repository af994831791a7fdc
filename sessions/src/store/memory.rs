use std::sync::Arc;
use std::time::SystemTime;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::store::{SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};

/// Sessions in process memory: fast, lost on restart, not shared between
/// processes.
///
/// Expired records are evicted when a request touches them and by
/// [`delete_expired`](SessionStore::delete_expired) (run it with
/// [`spawn_cleanup`](crate::spawn_cleanup)). With
/// [`max_entries`](Self::max_entries), a save that would go past the limit
/// first evicts the records closest to expiry. Clones share the same map.
///
/// ```
/// use pastry_sessions::{MemoryStore, SessionLayer};
///
/// let store = MemoryStore::new().max_entries(100_000);
/// let layer = SessionLayer::new(store.clone());
/// assert_eq!(store.len(), 0);
/// # let _ = layer;
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    map: Arc<DashMap<SessionKey, Record>>,
    max_entries: Option<usize>,
}

impl MemoryStore {
    /// An empty store with no size limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Caps the number of stored sessions (at least 1).
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = Some(max.max(1));
        self
    }

    /// How many records are held, expired ones included until evicted.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Evicts about 1/64 of the records (at least one), those closest to
    /// expiry first, so a full store pays for a scan once per many inserts.
    fn make_room(&self, max: usize) {
        let mut all: Vec<(SystemTime, SessionKey)> = self
            .map
            .iter()
            .map(|e| (e.value().expires_at, *e.key()))
            .collect();
        if all.len() < max {
            return;
        }
        let evict = (all.len() / 64).max(all.len() + 1 - max);
        if evict < all.len() {
            all.select_nth_unstable(evict - 1);
        }
        for (_, key) in all.iter().take(evict) {
            self.map.remove(key);
        }
        tracing::debug!(target: "pastry_sessions", evicted = evict, "memory store full, evicted the sessions closest to expiry");
    }
}

impl SessionStore for MemoryStore {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        let found = match self.map.get(key) {
            None => return Ok(None),
            Some(entry) if !entry.is_expired(now) => return Ok(Some(entry.value().clone())),
            Some(entry) => entry.version,
        };
        // Expired: evict, unless a save replaced it meanwhile.
        self.map
            .remove_if(key, |_, r| r.version == found && r.is_expired(now));
        Ok(None)
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        if let Some(max) = self.max_entries
            && record.version == 0
            && self.map.len() >= max
        {
            self.make_room(max);
        }
        let mut stored = record.clone();
        stored.version = record.next_version()?;
        match self.map.entry(*key) {
            Entry::Occupied(mut e) if e.get().version == record.version => {
                e.insert(stored);
                Ok(SaveOutcome::Saved)
            }
            Entry::Occupied(_) => Ok(SaveOutcome::Conflict),
            Entry::Vacant(e) if record.version == 0 => {
                e.insert(stored);
                Ok(SaveOutcome::Saved)
            }
            Entry::Vacant(_) => Ok(SaveOutcome::Conflict),
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.map.remove(key);
        Ok(())
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        let mut removed = 0u64;
        self.map.retain(|_, r| {
            let keep = !r.is_expired(now);
            removed += u64::from(!keep);
            keep
        });
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn key(n: u8) -> SessionKey {
        SessionKey::from_bytes([n; 32])
    }

    fn record(expires_in: u64) -> Record {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        Record::new(now, now + Duration::from_secs(expires_in))
    }

    #[tokio::test]
    async fn expired_entries_are_evicted_on_access() {
        let store = MemoryStore::new();
        assert_eq!(
            store.save(&key(1), &record(10)).await.unwrap(),
            SaveOutcome::Saved
        );
        let later = UNIX_EPOCH + Duration::from_secs(1_011);
        assert!(store.load(&key(1), later).await.unwrap().is_none());
        assert!(store.is_empty(), "the expired record went on access");
    }

    #[tokio::test]
    async fn a_full_store_evicts_the_sessions_closest_to_expiry() {
        let store = MemoryStore::new().max_entries(3);
        for (n, expires_in) in [(1, 300), (2, 100), (3, 200)] {
            assert_eq!(
                store.save(&key(n), &record(expires_in)).await.unwrap(),
                SaveOutcome::Saved
            );
        }
        assert_eq!(
            store.save(&key(4), &record(400)).await.unwrap(),
            SaveOutcome::Saved
        );
        assert_eq!(store.len(), 3);
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(
            store.load(&key(2), now).await.unwrap().is_none(),
            "closest to expiry evicted"
        );
        for n in [1, 3, 4] {
            assert!(store.load(&key(n), now).await.unwrap().is_some());
        }
        // Updating an existing session never evicts.
        let mut existing = store.load(&key(1), now).await.unwrap().unwrap();
        existing.data.insert("k".into(), 1.into());
        assert_eq!(
            store.save(&key(1), &existing).await.unwrap(),
            SaveOutcome::Saved
        );
        assert_eq!(store.len(), 3);
    }
}
