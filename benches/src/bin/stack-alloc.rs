//! Bytes and allocations per request of each whole stack, in process,
//! counted by a global allocator (all threads: SQLite worker threads too),
//! and the CPU time (user + system, all threads, from `/proc/self/stat`)
//! those requests took: unlike wall time, hardly moved by other load on the
//! machine.
//!
//! `stack-alloc [--requests N] [--out PATH] [--only STACK-STORE]` warms each
//! stack up, counts `N` page requests (default 2000), prints one JSON object
//! and writes it to `PATH` (default `benches/target/alloc.json`). `--only
//! pastry-memory` (or `peer-sqlite`, ...) runs just that one, e.g. under
//! `valgrind --tool=callgrind` to see where its time goes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use pastry_benches::{hit, log_in, ours, peer};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; the
// counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A reallocation counts as one allocation of its new size.
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const WARM_UP: u64 = 200;

/// CPU time of the whole process so far, in microseconds (utime + stime,
/// in clock ticks of 10 ms on Linux).
fn cpu_micros() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    // After the command name: state is field 3, utime 14 and stime 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<u64>().ok());
    match (ticks(14), ticks(15)) {
        (Some(user), Some(system)) => (user + system) * 10_000,
        _ => 0,
    }
}

/// Allocations, bytes and CPU microseconds per request over `requests`
/// page requests.
async fn measure<F, Fut>(requests: u64, mut one: F) -> (f64, f64, f64)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..WARM_UP {
        one().await;
    }
    let (a0, b0, c0) = (ALLOCATIONS.load(Relaxed), BYTES.load(Relaxed), cpu_micros());
    for _ in 0..requests {
        one().await;
    }
    let (a1, b1, c1) = (ALLOCATIONS.load(Relaxed), BYTES.load(Relaxed), cpu_micros());
    let n = requests as f64;
    (
        (a1 - a0) as f64 / n,
        (b1 - b0) as f64 / n,
        c1.saturating_sub(c0) as f64 / n,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut requests = 2000u64;
    let mut out = concat!(env!("CARGO_MANIFEST_DIR"), "/target/alloc.json").to_owned();
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--requests" => {
                requests = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("bad --requests")?;
            }
            "--out" => out = args.next().ok_or("--out needs a path")?,
            "--only" => only = Some(args.next().ok_or("--only needs STACK-STORE")?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    const NAMES: [&str; 4] = [
        "pastry-memory",
        "peer-memory",
        "pastry-sqlite",
        "peer-sqlite",
    ];
    if let Some(only) = &only
        && !NAMES.contains(&only.as_str())
    {
        return Err(format!("--only must be one of {}", NAMES.join(", ")).into());
    }
    if !(1..=1_000_000).contains(&requests) {
        return Err("--requests must be 1..=1000000".into());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let wanted = |name: &str| only.as_deref().is_none_or(|only| only == name);
    let rows = rt.block_on(async {
        let mut rows = Vec::new();
        if wanted("pastry-memory") {
            let svc = ours::stack(pastry_sessions::MemoryStore::new());
            let cookie = log_in(&svc).await?;
            let r = measure(requests, || async {
                hit(&svc, &cookie).await.map(drop).expect("page")
            })
            .await;
            rows.push(("pastry", "memory", r));
        }
        if wanted("peer-memory") {
            let svc = peer::memory_stack();
            let cookie = log_in(&svc).await?;
            let r = measure(requests, || async {
                hit(&svc, &cookie).await.map(drop).expect("page")
            })
            .await;
            rows.push(("peer", "memory", r));
        }
        if wanted("pastry-sqlite") {
            let store = pastry_sessions::SqliteStore::open(dir.path().join("pastry.db"))?;
            let svc = ours::stack(store);
            let cookie = log_in(&svc).await?;
            let r = measure(requests, || async {
                hit(&svc, &cookie).await.map(drop).expect("page")
            })
            .await;
            rows.push(("pastry", "sqlite", r));
        }
        if wanted("peer-sqlite") {
            let svc = peer::sqlite_stack(&dir.path().join("peer.db")).await?;
            let cookie = log_in(&svc).await?;
            let r = measure(requests, || async {
                hit(&svc, &cookie).await.map(drop).expect("page")
            })
            .await;
            rows.push(("peer", "sqlite", r));
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(rows)
    })?;
    let items: Vec<String> = rows
        .iter()
        .map(|(stack, store, (allocs, bytes, cpu))| {
            format!(
                "{{\"stack\":\"{stack}\",\"store\":\"{store}\",\"allocs_per_request\":{allocs:.1},\"bytes_per_request\":{bytes:.0},\"cpu_us_per_request\":{cpu:.1}}}"
            )
        })
        .collect();
    let json = format!("{{\"requests\":{requests},\"rows\":[{}]}}", items.join(","));
    println!("{json}");
    std::fs::write(&out, format!("{json}\n"))?;
    Ok(())
}
