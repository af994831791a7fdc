//! `spawn_cleanup` runs `delete_expired` in the background.

use std::time::{Duration, SystemTime};

use pastry_sessions::{Record, SaveOutcome, SessionError, SessionKey, SessionStore, spawn_cleanup};
use tokio::sync::mpsc;

use crate::common::Env;

// Redis drops expired records itself (native TTL): see server_stores.rs.
crate::store_suite!(except_redis: spawn_cleanup_deletes_expired_sessions);

/// A real store that reports each finished sweep.
#[derive(Clone)]
struct Reporting<S> {
    inner: S,
    swept: mpsc::UnboundedSender<u64>,
}

impl<S: SessionStore> SessionStore for Reporting<S> {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        self.inner.load(key, now).await
    }
    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        self.inner.save(key, record).await
    }
    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.inner.delete(key).await
    }
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        let removed = self.inner.delete_expired(now).await?;
        let _ = self.swept.send(removed);
        Ok(removed)
    }
}

async fn spawn_cleanup_deletes_expired_sessions<S: SessionStore + Clone>(store: S, _env: Env) {
    // The cleanup task uses the real clock.
    let now = SystemTime::now();
    let expired = Record::new(
        now - Duration::from_secs(120),
        now - Duration::from_secs(60),
    );
    let live = Record::new(now, now + Duration::from_secs(3600));
    let (old, young) = (
        SessionKey::from_bytes([1; 32]),
        SessionKey::from_bytes([2; 32]),
    );
    assert_eq!(
        store.save(&old, &expired).await.unwrap(),
        SaveOutcome::Saved
    );
    assert_eq!(store.save(&young, &live).await.unwrap(), SaveOutcome::Saved);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = spawn_cleanup(
        Reporting {
            inner: store.clone(),
            swept: tx,
        },
        Duration::from_secs(3600),
    );
    let removed = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("first sweep runs at once")
        .expect("sweep report");
    task.abort();
    assert_eq!(removed, 1);
    assert_eq!(store.delete_expired(now).await.unwrap(), 0);
    assert!(store.load(&young, now).await.unwrap().is_some());
}
