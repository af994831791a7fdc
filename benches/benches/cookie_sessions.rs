//! Sealed cookie sessions: load + modify + save per request through the
//! session layer, pastry-sessions' `CookieStore` (the record sealed with
//! XChaCha20-Poly1305 into the cookie) against Pastry's `MemoryStore` and
//! tower-sessions 0.14's `MemoryStore`, in one run. tower-sessions has no
//! cookie-backed store, so its in-memory store is the nearest peer. Every
//! request sends the cookie of an existing session, reads a counter and
//! writes it back incremented: for the cookie store that is opening the
//! sealed cookie and sealing a new one. "threads/1" runs one request at a
//! time; "threads/2" runs two request loops (each on its own session) on a
//! two-worker runtime, and the reported throughput counts both.
//!
//! cargo bench --manifest-path benches/Cargo.toml --bench cookie_sessions -- --warm-up-time 1 --measurement-time 3

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pastry_benches::session_loop::{pastry_handler, peer_handler, run};
use pastry_sessions::{CookieKeys, CookieStore, MemoryStore, SessionLayer};
use tower::ServiceBuilder;
use tower_sessions::SessionManagerLayer;

fn load_modify_save(c: &mut Criterion) {
    let keys = CookieKeys::parse(&CookieKeys::generate()).expect("cookie key");
    for threads in [1usize, 2] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .expect("runtime");
        let mut group = c.benchmark_group("cookie_sessions/load_modify_save");
        group.throughput(Throughput::Elements(threads as u64));
        let id = |name: &str| BenchmarkId::new(name, format!("threads/{threads}"));

        let peer = ServiceBuilder::new()
            .layer(
                SessionManagerLayer::new(tower_sessions::MemoryStore::default()).with_secure(false),
            )
            .service_fn(peer_handler);
        group.bench_function(id("tower_sessions_memory"), |b| {
            b.iter_custom(|n| run(&rt, &peer, threads, n))
        });
        let memory = ServiceBuilder::new()
            .layer(SessionLayer::new(MemoryStore::new()).secure(false))
            .service_fn(pastry_handler);
        group.bench_function(id("pastry_memory"), |b| {
            b.iter_custom(|n| run(&rt, &memory, threads, n))
        });
        let cookie = ServiceBuilder::new()
            .layer(SessionLayer::new(CookieStore::new(keys.clone())).secure(false))
            .service_fn(pastry_handler);
        group.bench_function(id("pastry_cookie"), |b| {
            b.iter_custom(|n| run(&rt, &cookie, threads, n))
        });

        group.finish();
    }
}

criterion_group!(benches, load_modify_save);
criterion_main!(benches);
