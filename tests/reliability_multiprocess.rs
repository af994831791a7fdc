//! Two processes share one file store, then one SQLite store: 2 processes
//! x 8 tasks update distinct keys of the same 100 sessions through
//! `SessionLayer`, 5 008 updates in all (313 per task). Every request must
//! succeed, and afterwards every session holds every task's key with the
//! exact number of updates that task made to it: nothing lost to a
//! concurrent save in this process or the other one
//! (`support/concurrent_updates.rs`, shared with `fleet_stores.rs`).
//!
//! The workers are this test binary itself, re-run with `PASTRY_MP_CHILD`
//! set, which turns `multiprocess_child` from a no-op into a worker.

#[path = "support/concurrent_updates.rs"]
mod concurrent_updates;
use concurrent_updates::no_update_is_lost_across_processes;

const CHILD_ENV: &str = "PASTRY_MP_CHILD";

/// Not a test of its own: a worker process, idle unless `PASTRY_MP_CHILD`
/// is set.
#[test]
fn multiprocess_child() {
    concurrent_updates::worker(CHILD_ENV);
}

#[tokio::test]
async fn file_store_loses_no_key_across_processes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("file:{}", dir.path().join("sessions").display());
    no_update_is_lost_across_processes(&url, CHILD_ENV, "multiprocess_child").await;
}

#[tokio::test]
async fn sqlite_store_loses_no_key_across_processes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("sessions.db").display());
    no_update_is_lost_across_processes(&url, CHILD_ENV, "multiprocess_child").await;
}
