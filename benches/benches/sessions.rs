//! Sessions: load + modify + save per request through the session layer,
//! pastry-sessions against tower-sessions 0.14 (its `MemoryStore`, and the
//! sqlx `SqliteStore` of tower-sessions-sqlx-store 0.15 on a file), in one
//! run. Every request sends the cookie of an existing session, reads a
//! counter and writes it back incremented, so each one costs a load and a
//! save. "threads/1" runs one request at a time; "threads/2" runs two
//! request loops (each on its own session) on a two-worker runtime, and the
//! reported throughput counts both. Database and session files live under
//! the bench target directory (a real disk), not in memory.
//!
//! cargo bench --manifest-path benches/Cargo.toml --bench sessions -- --warm-up-time 1 --measurement-time 3

use std::str::FromStr;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pastry_benches::session_loop::{pastry_handler, peer_handler, run};
use pastry_sessions::{FileStore, MemoryStore, SessionLayer, SqliteStore, Synchronous};
use tower::ServiceBuilder;
use tower_sessions::SessionManagerLayer;
use tower_sessions_sqlx_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

fn bench_dir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("bench dir")
}

fn load_modify_save(c: &mut Criterion) {
    let dir = bench_dir();
    for threads in [1usize, 2] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .expect("runtime");
        let mut group = c.benchmark_group("sessions/load_modify_save");
        group.throughput(Throughput::Elements(threads as u64));
        let id = |name: &str| BenchmarkId::new(name, format!("threads/{threads}"));
        let path = |name: &str| dir.path().join(format!("{name}-{threads}"));

        // Memory.
        let peer = ServiceBuilder::new()
            .layer(
                SessionManagerLayer::new(tower_sessions::MemoryStore::default()).with_secure(false),
            )
            .service_fn(peer_handler);
        group.bench_function(id("tower_sessions_memory"), |b| {
            b.iter_custom(|n| run(&rt, &peer, threads, n))
        });
        let ours = ServiceBuilder::new()
            .layer(SessionLayer::new(MemoryStore::new()).secure(false))
            .service_fn(pastry_handler);
        group.bench_function(id("pastry_memory"), |b| {
            b.iter_custom(|n| run(&rt, &ours, threads, n))
        });

        // SQLite on a file: the peer as sqlx opens it by default
        // (rollback journal, synchronous=FULL), ours at FULL and at our
        // default (WAL, synchronous=NORMAL).
        let peer_store = rt.block_on(async {
            let options =
                SqliteConnectOptions::from_str(&format!("sqlite:{}", path("peer.db").display()))
                    .expect("sqlite url")
                    .create_if_missing(true);
            let pool = SqlitePoolOptions::new()
                .connect_with(options)
                .await
                .expect("sqlx pool");
            let store = tower_sessions_sqlx_store::SqliteStore::new(pool);
            store.migrate().await.expect("migrate");
            store
        });
        let peer = ServiceBuilder::new()
            .layer(SessionManagerLayer::new(peer_store).with_secure(false))
            .service_fn(peer_handler);
        group.bench_function(id("tower_sessions_sqlx_sqlite"), |b| {
            b.iter_custom(|n| run(&rt, &peer, threads, n))
        });

        for (name, sync) in [
            ("pastry_sqlite_full", Synchronous::Full),
            ("pastry_sqlite_normal", Synchronous::Normal),
        ] {
            let store = SqliteStore::builder()
                .synchronous(sync)
                .open(path(&format!("{name}.db")))
                .expect("sqlite store");
            let ours = ServiceBuilder::new()
                .layer(SessionLayer::new(store).secure(false))
                .service_fn(pastry_handler);
            group.bench_function(id(name), |b| b.iter_custom(|n| run(&rt, &ours, threads, n)));
        }

        // Files, fsync on.
        let store = FileStore::new(path("files")).expect("file store");
        let ours = ServiceBuilder::new()
            .layer(SessionLayer::new(store).secure(false))
            .service_fn(pastry_handler);
        group.bench_function(id("pastry_file"), |b| {
            b.iter_custom(|n| run(&rt, &ours, threads, n))
        });

        group.finish();
    }
}

criterion_group!(benches, load_modify_save);
criterion_main!(benches);
