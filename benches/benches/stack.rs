//! The whole stack in process, on one thread: Pastry (catch, gzip,
//! sessions, session auth, URL map with ten mounts) against the peer stack
//! (tower-http catch-panic + compression, tower-sessions, an axum-login
//! style session check, axum `nest_service`), both serving the same logged-in
//! page, gzipped, with the memory store and with SQLite on a temp file.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench stack`
//! Bytes allocated per request are measured by the `stack-alloc` binary.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pastry_benches::{hit, log_in, ours, peer};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

fn memory(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("stack/memory");
    group.throughput(Throughput::Elements(1));

    let ours = ours::stack(pastry_sessions::MemoryStore::new());
    let cookie = rt.block_on(log_in(&ours)).expect("pastry login");
    group.bench_function(BenchmarkId::from_parameter("pastry"), |b| {
        b.to_async(&rt)
            .iter(|| async { hit(&ours, &cookie).await.expect("pastry page") });
    });

    let peer = peer::memory_stack();
    let cookie = rt.block_on(log_in(&peer)).expect("peer login");
    group.bench_function(BenchmarkId::from_parameter("peer"), |b| {
        b.to_async(&rt)
            .iter(|| async { hit(&peer, &cookie).await.expect("peer page") });
    });
    group.finish();
}

fn sqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut group = c.benchmark_group("stack/sqlite");
    group.throughput(Throughput::Elements(1));

    let store = pastry_sessions::SqliteStore::open(dir.path().join("pastry.db"))
        .expect("pastry sqlite store");
    let ours = ours::stack(store);
    let cookie = rt.block_on(log_in(&ours)).expect("pastry login");
    group.bench_function(BenchmarkId::from_parameter("pastry"), |b| {
        b.to_async(&rt)
            .iter(|| async { hit(&ours, &cookie).await.expect("pastry page") });
    });

    let peer = rt
        .block_on(peer::sqlite_stack(&dir.path().join("peer.db")))
        .expect("peer sqlite store");
    let cookie = rt.block_on(log_in(&peer)).expect("peer login");
    group.bench_function(BenchmarkId::from_parameter("peer"), |b| {
        b.to_async(&rt)
            .iter(|| async { hit(&peer, &cookie).await.expect("peer page") });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = memory, sqlite
}
criterion_main!(benches);
