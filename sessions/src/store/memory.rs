use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::session::{AtomicUpdate, Replay};
use crate::store::{BoxFuture, SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};

/// How many sessions [`MemoryStore::new`] (and the `memory:` URL of
/// [`AnyStore`](crate::AnyStore)) holds at most unless told otherwise, so a
/// client creating sessions as fast as it can never grows the process past
/// a fixed size: about 100 MiB of RSS with small sessions (measured: +102
/// MiB after 200 000 or 1 000 000 cookie-less requests each storing one
/// key, against +160 MiB for 200 000 with no cap; the `anonymous_flood`
/// example of this crate reproduces it). Scale it to your sessions' size.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// Sessions in process memory: fast, lost on restart, not shared between
/// processes.
///
/// **Bounded by default**: at most [`DEFAULT_MAX_ENTRIES`] sessions
/// (change it with [`max_entries`](Self::max_entries), or
/// `memory:?max_entries=N`). A save that would go past the limit first
/// evicts about 1/64 of the records: sessions whose client never came back
/// with the cookie go first (a flood of anonymous, cookie-less requests
/// evicts only its own sessions), then those closest to expiry. A session
/// counts as *returned* once a request has loaded it by its cookie.
///
/// **Expired records stay in memory until something removes them**: a
/// request that presents their cookie, eviction when the store is full,
/// or [`delete_expired`](SessionStore::delete_expired), which
/// [`spawn_cleanup`](crate::spawn_cleanup) runs periodically. Start it
/// beside the layer:
///
/// ```
/// use std::time::Duration;
/// use pastry_sessions::{MemoryStore, SessionLayer, spawn_cleanup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = MemoryStore::new().max_entries(50_000);
/// let _cleanup = spawn_cleanup(store.clone(), Duration::from_secs(5 * 60));
/// let layer = SessionLayer::new(store.clone());
/// assert_eq!(store.len(), 0);
/// # let _ = layer;
/// # }
/// ```
///
/// A save that conflicts is replayed under the map's lock on the key, so it
/// cannot conflict again. Clones share the same map.
#[derive(Clone, Debug)]
pub struct MemoryStore {
    map: Arc<DashMap<SessionKey, Slot>>,
    max_entries: usize,
}

#[derive(Debug)]
struct Slot {
    record: Record,
    /// A request has loaded this session by its cookie since it was
    /// created: its client keeps cookies, so it is evicted last.
    returned: AtomicBool,
}

impl Slot {
    fn new(record: Record, returned: bool) -> Self {
        Self {
            record,
            returned: AtomicBool::new(returned),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            map: Arc::default(),
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

impl MemoryStore {
    /// An empty store holding at most [`DEFAULT_MAX_ENTRIES`] sessions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Caps the number of stored sessions (at least 1; default
    /// [`DEFAULT_MAX_ENTRIES`]). `usize::MAX` removes the cap.
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = max.max(1);
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

    /// Evicts about 1/64 of the records (at least enough to get under
    /// `max`): sessions never returned first, then those closest to expiry,
    /// so a full store pays for a scan once per many inserts.
    fn make_room(&self, max: usize) {
        let mut all: Vec<(bool, SystemTime, SessionKey)> = self
            .map
            .iter()
            .map(|e| {
                let slot = e.value();
                (
                    slot.returned.load(Ordering::Relaxed),
                    slot.record.expires_at,
                    *e.key(),
                )
            })
            .collect();
        if all.len() < max {
            return;
        }
        let evict = (all.len() / 64).max(all.len() + 1 - max);
        if evict < all.len() {
            all.select_nth_unstable(evict - 1);
        }
        for (_, _, key) in all.iter().take(evict) {
            self.map.remove(key);
        }
        tracing::debug!(target: "pastry_sessions", evicted = evict, "memory store full, evicted sessions never returned, then those closest to expiry");
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
            Some(slot) if !slot.record.is_expired(now) => {
                slot.returned.store(true, Ordering::Relaxed);
                return Ok(Some(slot.record.clone()));
            }
            Some(slot) => slot.record.version,
        };
        // Expired: evict, unless a save replaced it meanwhile.
        self.map.remove_if(key, |_, slot| {
            slot.record.version == found && slot.record.is_expired(now)
        });
        Ok(None)
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        if record.version == 0 && self.map.len() >= self.max_entries {
            self.make_room(self.max_entries);
        }
        let mut stored = record.clone();
        stored.version = record.next_version()?;
        match self.map.entry(*key) {
            Entry::Occupied(mut e) if e.get().record.version == record.version => {
                let returned = e.get().returned.load(Ordering::Relaxed);
                e.insert(Slot::new(stored, returned));
                Ok(SaveOutcome::Saved)
            }
            Entry::Occupied(_) => Ok(SaveOutcome::Conflict),
            Entry::Vacant(e) if record.version == 0 => {
                e.insert(Slot::new(stored, false));
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
        self.map.retain(|_, slot| {
            let keep = !slot.record.is_expired(now);
            removed += u64::from(!keep);
            keep
        });
        Ok(removed)
    }
}

/// A replay holds the map's lock on the key from reading the record to
/// writing it back: no other save or delete of that key comes in between.
impl AtomicUpdate for MemoryStore {
    fn update<'a>(
        &'a self,
        key: &'a SessionKey,
        now: SystemTime,
        replay: Replay,
    ) -> BoxFuture<'a, Result<Option<Record>, SessionError>> {
        Box::pin(async move {
            let Some(mut slot) = self.map.get_mut(key) else {
                return Ok(None);
            };
            if slot.record.is_expired(now) {
                return Ok(None);
            }
            let version = slot.record.next_version()?;
            let mut record = replay(slot.record.clone());
            record.version = version;
            slot.record = record.clone();
            Ok(Some(record))
        })
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
    #[tokio::test]
    async fn a_new_store_is_capped_at_the_default() {
        let store = MemoryStore::new();
        for n in 0..(DEFAULT_MAX_ENTRIES as u32 + 10) {
            let mut bytes = [0; 32];
            bytes[..4].copy_from_slice(&n.to_le_bytes());
            let saved = store
                .save(&SessionKey::from_bytes(bytes), &record(100))
                .await;
            assert_eq!(saved.unwrap(), SaveOutcome::Saved);
        }
        assert!(store.len() <= DEFAULT_MAX_ENTRIES, "{} held", store.len());
    }

    #[tokio::test]
    async fn sessions_loaded_by_their_cookie_are_evicted_last() {
        let store = MemoryStore::new().max_entries(3);
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        // The closest to expiry, but its client came back.
        assert_eq!(
            store.save(&key(1), &record(100)).await.unwrap(),
            SaveOutcome::Saved
        );
        assert!(store.load(&key(1), now).await.unwrap().is_some());
        for n in 2..10 {
            assert_eq!(
                store
                    .save(&key(n), &record(200 + u64::from(n)))
                    .await
                    .unwrap(),
                SaveOutcome::Saved
            );
        }
        assert_eq!(store.len(), 3);
        assert!(
            store.load(&key(1), now).await.unwrap().is_some(),
            "returned session kept"
        );
        // A save keeps the mark.
        let mut existing = store.load(&key(1), now).await.unwrap().unwrap();
        existing.data.insert("k".into(), 1.into());
        assert_eq!(
            store.save(&key(1), &existing).await.unwrap(),
            SaveOutcome::Saved
        );
        for n in 10..20 {
            assert_eq!(
                store.save(&key(n), &record(300)).await.unwrap(),
                SaveOutcome::Saved
            );
        }
        assert!(
            store.load(&key(1), now).await.unwrap().is_some(),
            "still kept after its save"
        );
    }
}
