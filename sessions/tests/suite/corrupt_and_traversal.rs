//! Hostile cookies and damaged stores: treated as absent, never a panic,
//! never a path outside the store.

use std::time::Duration;

use pastry_sessions::{FileStore, SessionKey, SessionStore, SqliteStore};
use sha2::{Digest, Sha256};

use crate::common::{Env, client, file_names, set_id, url};

crate::store_suite!(traversal_attempts_in_the_cookie_get_a_fresh_id);

async fn traversal_attempts_in_the_cookie_get_a_fresh_id<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    client.get(url("/set?secret=s3")).await;
    let live = client.cookie("id").expect("id");
    // The store key of the live session: knowing it must not help.
    let hashed = SessionKey::from_bytes(Sha256::digest(live.as_bytes()).into()).to_hex();
    for hostile in [
        "../../../../etc/passwd",
        "..%2f..%2fsecret",
        "/tmp/evil",
        "....//....//x",
        "%00",
        hashed.as_str(),
        &format!("{live}/../{live}"),
    ] {
        client.clear_cookies();
        client.set_cookie("id", hostile);
        let res = client.get(url("/set?k=v")).await;
        assert_eq!(
            client.get(url("/get?secret")).await.text(),
            "none",
            "{hostile}"
        );
        let fresh = set_id(&res).expect("fresh id");
        assert_ne!(fresh, hostile);
    }
    if env.sessions_dir().exists() {
        for name in file_names(&env.sessions_dir()) {
            assert!(
                name == ".locks" || name.ends_with(".session"),
                "unexpected file {name}"
            );
        }
    }
    assert!(
        file_names(env.dir.path())
            .iter()
            .all(|n| ["sessions", "s.db", "s.db-wal", "s.db-shm"].contains(&n.as_str()))
    );
}

fn session_files(env: &Env) -> Vec<std::path::PathBuf> {
    file_names(&env.sessions_dir())
        .into_iter()
        .filter(|n| n.ends_with(".session"))
        .map(|n| env.sessions_dir().join(n))
        .collect()
}

#[tokio::test]
async fn corrupt_session_file_is_treated_as_missing() {
    let env = Env::new();
    let store = FileStore::new(env.sessions_dir()).expect("store");
    let client = client(env.layer(store.clone()));
    client.get(url("/set?k=v")).await;
    let old = client.cookie("id").expect("id");
    let files = session_files(&env);
    assert_eq!(files.len(), 1);
    // Truncate it mid-record, as a torn write on a foreign tool might.
    let bytes = std::fs::read(&files[0]).expect("read");
    std::fs::write(&files[0], &bytes[..bytes.len() / 2]).expect("write");

    assert_eq!(client.get(url("/get?k")).await.text(), "none");
    let res = client.get(url("/set?k=w")).await;
    assert_ne!(set_id(&res).expect("fresh id"), old);

    // Garbage bytes too.
    std::fs::write(&files[0], b"\xff\xfe garbage").expect("write");
    client.clear_cookies();
    client.set_cookie("id", &old);
    assert_eq!(client.get(url("/get?k")).await.text(), "none");

    // The sweep removes the corrupt file.
    assert_eq!(store.delete_expired(env.now()).await.expect("sweep"), 1);
    assert!(!files[0].exists());
}

#[tokio::test]
async fn sweep_removes_stale_temp_files_only() {
    let env = Env::new();
    let store = FileStore::new(env.sessions_dir())
        .expect("store")
        .stale_temp_after(Duration::from_secs(3600));
    let temp = env
        .sessions_dir()
        .join(format!("{}.abc.tmp", "0".repeat(64)));
    std::fs::write(&temp, b"half").expect("write");
    let written = std::fs::metadata(&temp)
        .and_then(|m| m.modified())
        .expect("mtime");
    store
        .delete_expired(written + Duration::from_secs(60))
        .await
        .expect("sweep");
    assert!(
        temp.exists(),
        "a recent temp file may be a save in progress"
    );
    store
        .delete_expired(written + Duration::from_secs(7200))
        .await
        .expect("sweep");
    assert!(!temp.exists());
}

#[tokio::test]
async fn file_store_saves_leave_no_temp_files_and_hash_names() {
    let env = Env::new();
    let store = FileStore::new(env.sessions_dir()).expect("store");
    let client = client(env.layer(store));
    for i in 0..3 {
        client.get(url(&format!("/set?k={i}"))).await;
    }
    let id = client.cookie("id").expect("id");
    let names = file_names(&env.sessions_dir());
    let expected = SessionKey::from_bytes(Sha256::digest(id.as_bytes()).into()).to_hex();
    assert_eq!(
        names,
        vec![".locks".to_owned(), format!("{expected}.session")]
    );
    let content = std::fs::read_to_string(env.sessions_dir().join(&names[1])).expect("read");
    assert!(!content.contains(&id), "the id itself is never stored");
}

#[tokio::test]
async fn corrupt_sqlite_row_is_treated_as_missing() {
    let env = Env::new();
    let path = env.dir.path().join("s.db");
    let store = SqliteStore::open(&path).expect("store");
    let client = client(env.layer(store));
    client.get(url("/set?k=v")).await;
    let id = client.cookie("id").expect("id");
    let conn = rusqlite::Connection::open(&path).expect("open");
    let changed = conn
        .execute(
            "UPDATE pastry_sessions SET data = 'not json', expiry = 'soon'",
            [],
        )
        .expect("corrupt");
    assert_eq!(changed, 1);
    let stored_ids: Vec<Vec<u8>> = conn
        .prepare("SELECT id FROM pastry_sessions")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("ids");
    assert_eq!(
        stored_ids,
        vec![Sha256::digest(id.as_bytes()).to_vec()],
        "keyed by the hash, not the id"
    );
    assert_eq!(client.get(url("/get?k")).await.text(), "none");
    let res = client.get(url("/set?k=w")).await;
    assert_ne!(set_id(&res).expect("fresh id"), id);
}
