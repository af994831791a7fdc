//! A store that fails or keeps conflicting becomes a logged 500, and the
//! stored session stays as it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::SystemTime;

use pastry_sessions::{Record, SaveOutcome, SessionError, SessionKey, SessionStore};

use crate::common::{Env, client, url};

// Not the cookie store: these wrap the store in a failing or counting one,
// and a cookie store does no store I/O that could fail or conflict.
crate::store_suite!(
    except_cookie:
    store_failure_answers_500_and_keeps_the_stored_session,
    endless_conflicts_give_up_after_the_retry_budget
);

/// A real store whose saves can be made to fail or to report conflicts.
#[derive(Clone)]
struct Faulty<S> {
    inner: S,
    fail: Arc<AtomicBool>,
    conflict: Arc<AtomicBool>,
    saves: Arc<AtomicUsize>,
}

impl<S: SessionStore> SessionStore for Faulty<S> {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        self.inner.load(key, now).await
    }
    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(SessionError::Io(std::io::Error::other("disk full")));
        }
        if self.conflict.load(Ordering::SeqCst) {
            return Ok(SaveOutcome::Conflict);
        }
        self.inner.save(key, record).await
    }
    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.inner.delete(key).await
    }
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        self.inner.delete_expired(now).await
    }
}

fn faulty<S>(inner: S) -> Faulty<S> {
    Faulty {
        inner,
        fail: Arc::default(),
        conflict: Arc::default(),
        saves: Arc::default(),
    }
}

async fn store_failure_answers_500_and_keeps_the_stored_session<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let store = faulty(store);
    let client = client(env.layer(store.clone()));
    client.get(url("/set?k=before")).await;
    store.fail.store(true, Ordering::SeqCst);
    let res = client.get(url("/set?k=after")).expect_status(500).await;
    assert!(res.header("set-cookie").is_none());
    assert_eq!(res.text(), "", "the layer's own 500 has no body");
    store.fail.store(false, Ordering::SeqCst);
    assert_eq!(client.get(url("/get?k")).await.text(), "before");
}

async fn endless_conflicts_give_up_after_the_retry_budget<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let store = faulty(store);
    let client = client(env.layer(store.clone()).max_retries(2));
    client.get(url("/set?k=before")).await;
    let saves = store.saves.load(Ordering::SeqCst);
    store.conflict.store(true, Ordering::SeqCst);
    client.get(url("/set?k=after")).expect_status(500).await;
    assert_eq!(
        store.saves.load(Ordering::SeqCst) - saves,
        3,
        "first try plus two retries"
    );
    store.conflict.store(false, Ordering::SeqCst);
    assert_eq!(client.get(url("/get?k")).await.text(), "before");
}
