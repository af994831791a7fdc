//! A second OS process updating the same sessions at the same time loses
//! nothing: the file and SQLite stores' compare-and-swap holds across
//! processes.
//!
//! The second process is this test binary again, running only
//! `child_process_entry` with `PASTRY_SESSIONS_CHILD` set.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use pastry_sessions::{AnyStore, FileStore, SessionLayer, SessionStore, SqliteStore};

use crate::common::{Env, client, url};

const CHILD_ENV: &str = "PASTRY_SESSIONS_CHILD";
const ROUNDS: usize = 25;
const SESSIONS: usize = 2;

#[tokio::test]
async fn file_store_second_process_updates_the_same_sessions() {
    let env = Env::new();
    let store = FileStore::new(env.sessions_dir()).expect("store");
    let url = format!("file:{}", env.sessions_dir().display());
    race_with_child(store, &url).await;
}

#[tokio::test]
async fn sqlite_store_second_process_updates_the_same_sessions() {
    let env = Env::new();
    let path = env.dir.path().join("s.db");
    let store = SqliteStore::open(&path).expect("store");
    let url = format!("sqlite:{}", path.display());
    race_with_child(store, &url).await;
}

/// Creates sessions, then updates them (keys `parent<i>`) while a child
/// process updates the same sessions (keys `child<i>`); every key of both
/// must be there at the end.
async fn race_with_child<S: SessionStore + Clone>(store: S, store_url: &str) {
    // Both processes use the real clock, so their expiry times agree.
    let client = client(SessionLayer::new(store).cookie_name("id"));
    let mut ids = Vec::new();
    for _ in 0..SESSIONS {
        client.clear_cookies();
        client.get(url("/set?base=1")).await;
        ids.push(client.cookie("id").expect("id"));
    }

    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "cross_process::child_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{store_url}\n{}", ids.join(",")))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    // Wait until the child has opened the store, then keep draining its
    // output so it never blocks on a full pipe.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let drain = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut ready_tx = Some(ready_tx);
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if line.trim_end().ends_with("ready")
                && let Some(tx) = ready_tx.take()
            {
                let _ = tx.send(());
            }
            line.clear();
        }
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
    });
    ready_rx.await.expect("child reported ready");

    for i in 0..ROUNDS {
        for id in &ids {
            client.clear_cookies();
            client.set_cookie("id", id);
            client.get(url(&format!("/set?parent{i}=1"))).await;
        }
    }

    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("child exit");
    drain.await.expect("drain");
    assert!(status.success(), "child process failed: {status}");

    let mut expected: Vec<String> = vec!["base".into()];
    expected.extend((0..ROUNDS).map(|i| format!("child{i}")));
    expected.extend((0..ROUNDS).map(|i| format!("parent{i}")));
    expected.sort();
    for id in &ids {
        client.clear_cookies();
        client.set_cookie("id", id);
        let keys = client.get(url("/keys")).await.text();
        assert_eq!(keys, expected.join(","), "keys lost in a session");
    }
}

/// The child's side; does nothing in a normal test run.
#[tokio::test]
async fn child_process_entry() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (store_url, ids) = spec.split_once('\n').expect("spec");
    let store = AnyStore::from_url(store_url).expect("child store");
    let client = client(SessionLayer::new(store).cookie_name("id"));
    println!("ready");
    for i in 0..ROUNDS {
        for id in ids.split(',') {
            client.clear_cookies();
            client.set_cookie("id", id);
            let res = client.get(url(&format!("/set?child{i}=1"))).await;
            assert!(
                res.header("set-cookie").is_some_and(|c| c.contains(id)),
                "child kept the session"
            );
        }
    }
}
