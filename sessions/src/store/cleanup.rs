use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::SessionStore;

/// Runs [`delete_expired`](SessionStore::delete_expired) on `store` every
/// `interval` (first run at once) on the current tokio runtime, until the
/// returned handle is aborted. Failures are logged and retried next time.
///
/// ```
/// use std::time::Duration;
/// use pastry_sessions::{MemoryStore, SessionLayer, spawn_cleanup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = MemoryStore::new();
/// let cleanup = spawn_cleanup(store.clone(), Duration::from_secs(300));
/// let layer = SessionLayer::new(store);
/// # let _ = layer;
/// cleanup.abort();
/// # }
/// ```
pub fn spawn_cleanup<S: SessionStore>(store: S, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match store.delete_expired(SystemTime::now()).await {
                Ok(removed) => {
                    tracing::debug!(target: "pastry_sessions", removed, "expired sessions deleted");
                }
                Err(error) => {
                    tracing::error!(target: "pastry_sessions", error = %error, "deleting expired sessions failed");
                }
            }
        }
    })
}
