//! The `SessionStore` contract, checked on each store directly.

use std::time::Duration;

use pastry_sessions::{Record, SaveOutcome, SessionKey, SessionStore};

use crate::common::Env;

// Not the cookie store: it keeps nothing on the server to save, load or
// delete (the layer seals the record into the cookie instead).
crate::store_suite!(
    except_cookie:
    save_is_compare_and_swap_on_the_version,
    load_hides_expired_records,
    delete_removes_the_record
);

fn key(n: u8) -> SessionKey {
    SessionKey::from_bytes([n; 32])
}

async fn save_is_compare_and_swap_on_the_version<S: SessionStore + Clone>(store: S, env: Env) {
    let now = env.now();
    let mut record = Record::new(now, now + Duration::from_secs(60));
    record.data.insert("a".into(), 1.into());
    assert_eq!(
        store.save(&key(1), &record).await.unwrap(),
        SaveOutcome::Saved
    );
    assert_eq!(
        store.save(&key(1), &record).await.unwrap(),
        SaveOutcome::Conflict,
        "version 0 over a stored record"
    );

    let loaded = store.load(&key(1), now).await.unwrap().expect("stored");
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.data, record.data);

    let mut next = loaded.clone();
    next.data.insert("b".into(), 2.into());
    assert_eq!(
        store.save(&key(1), &next).await.unwrap(),
        SaveOutcome::Saved
    );
    assert_eq!(
        store.save(&key(1), &loaded).await.unwrap(),
        SaveOutcome::Conflict,
        "stale version"
    );
    let loaded = store.load(&key(1), now).await.unwrap().expect("stored");
    assert_eq!(loaded.version, 2);
    assert_eq!(loaded.data.len(), 2);

    let mut ghost = loaded.clone();
    ghost.version = 5;
    assert_eq!(
        store.save(&key(2), &ghost).await.unwrap(),
        SaveOutcome::Conflict,
        "no record to update"
    );
    assert!(store.load(&key(2), now).await.unwrap().is_none());
}

async fn load_hides_expired_records<S: SessionStore + Clone>(store: S, env: Env) {
    let now = env.now();
    let record = Record::new(now, now + Duration::from_secs(60));
    assert_eq!(
        store.save(&key(3), &record).await.unwrap(),
        SaveOutcome::Saved
    );
    assert!(
        store
            .load(&key(3), now + Duration::from_secs(59))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .load(&key(3), now + Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
}

async fn delete_removes_the_record<S: SessionStore + Clone>(store: S, env: Env) {
    let now = env.now();
    let record = Record::new(now, now + Duration::from_secs(60));
    assert_eq!(
        store.save(&key(4), &record).await.unwrap(),
        SaveOutcome::Saved
    );
    store.delete(&key(4)).await.unwrap();
    store.delete(&key(4)).await.unwrap();
    assert!(store.load(&key(4), now).await.unwrap().is_none());
    assert_eq!(
        store.save(&key(4), &record).await.unwrap(),
        SaveOutcome::Saved,
        "re-creatable"
    );
}
