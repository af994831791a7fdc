//! Measures what a flood of anonymous sessions costs a memory store: sends
//! N cookie-less requests to a `/counter`-like handler (each creates and
//! stores a session), then prints the entries held and the process RSS.
//!
//! ```text
//! cargo run --release -p pastry-sessions --no-default-features --features memory \
//!     --example anonymous_flood -- [requests (200000)] [max_entries (default cap) | unbounded]
//! ```

use http::{Request, Response};
use pastry_sessions::{DEFAULT_MAX_ENTRIES, MemoryStore, SessionError, SessionExt, SessionLayer};
use tower::{ServiceBuilder, ServiceExt};

/// The resident set size in KiB, from /proc (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let cap = match args.next().as_deref() {
        None => DEFAULT_MAX_ENTRIES,
        Some("unbounded") => usize::MAX,
        Some(n) => n.parse().expect("max_entries is a number or `unbounded`"),
    };
    let store = MemoryStore::new().max_entries(cap);
    let app = ServiceBuilder::new()
        .layer(SessionLayer::new(store.clone()))
        .service_fn(|req: Request<()>| async move {
            let session = req.session().expect("behind a SessionLayer");
            let n = session.get::<u64>("count").await?.unwrap_or(0) + 1;
            session.insert("count", &n).await?;
            Ok::<_, SessionError>(Response::new(n.to_string()))
        });
    let before = rss_kib();
    for _ in 0..requests {
        let res = app
            .clone()
            .oneshot(Request::new(()))
            .await
            .expect("answered");
        assert!(res.headers().contains_key(http::header::SET_COOKIE));
    }
    let after = rss_kib();
    let cap_text = if cap == usize::MAX {
        "none".to_owned()
    } else {
        cap.to_string()
    };
    println!(
        "requests={requests} cap={cap_text} entries={} rss_before_kib={before} rss_after_kib={after} added_mib={:.1}",
        store.len(),
        (after.saturating_sub(before)) as f64 / 1024.0
    );
}
