//! Sessions on a server: load + modify + save per request through the
//! session layer, pastry-sessions' `RedisStore` and `PostgresStore` against
//! tower-sessions 0.14 with tower-sessions-redis-store 0.16 (fred, a pool of
//! 6) and tower-sessions-sqlx-store 0.15 (`PostgresStore`, sqlx pool of 16;
//! ours is 16 too), on the same servers, in one run. Every request sends
//! the cookie of an existing session, reads a counter and writes it back
//! incremented. "clients/1" runs one request loop; "clients/64" runs 64
//! loops (each on its own session) on a two-worker runtime, and the
//! reported throughput counts them all.
//!
//! The servers are `PASTRY_TEST_REDIS_URL` and `PASTRY_TEST_POSTGRES_URL`
//! (the ones `.ci/run` starts); a store whose variable is unset is skipped.
//! Each run uses its own key prefix and schema, removed at the end (the
//! peer's Redis keys expire with their sessions).
//!
//! PASTRY_TEST_REDIS_URL=redis://127.0.0.1:6379 PASTRY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench --manifest-path benches/Cargo.toml --bench server_sessions -- --warm-up-time 1 --measurement-time 3

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pastry_benches::session_loop::{pastry_handler, peer_handler, run};
use pastry_sessions::{PostgresStore, RedisStore, SessionLayer, SessionStore};
use tower::ServiceBuilder;
use tower_sessions::SessionManagerLayer;
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};
use tower_sessions_sqlx_store::sqlx::postgres::PgPoolOptions;

const POOL: u32 = 16;

fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
        % 1_000_000_000_000;
    format!("{tag}_{}_{nanos}", std::process::id())
}

fn server(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("server_sessions: {var} is not set; skipping those stores");
            None
        }
    }
}

fn load_modify_save(c: &mut Criterion) {
    let redis = server("PASTRY_TEST_REDIS_URL");
    let postgres = server("PASTRY_TEST_POSTGRES_URL");
    for clients in [1usize, 64] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut group = c.benchmark_group("server_sessions/load_modify_save");
        group.throughput(Throughput::Elements(clients as u64));
        let id = |name: &str| BenchmarkId::new(name, format!("clients/{clients}"));

        if let Some(url) = &redis {
            let pool = rt.block_on(async {
                let config = Config::from_url(url).expect("redis url");
                let pool = Pool::new(config, None, None, None, 6).expect("fred pool");
                pool.init().await.expect("fred connects");
                pool
            });
            let peer = ServiceBuilder::new()
                .layer(
                    SessionManagerLayer::new(tower_sessions_redis_store::RedisStore::new(pool))
                        .with_secure(false),
                )
                .service_fn(peer_handler);
            group.bench_function(id("tower_sessions_redis"), |b| {
                b.iter_custom(|n| run(&rt, &peer, clients, n))
            });
            let store = RedisStore::builder()
                .prefix(format!("{}:", unique("bench")))
                .open(url)
                .expect("redis store");
            let ours = ServiceBuilder::new()
                .layer(SessionLayer::new(store.clone()).secure(false))
                .service_fn(pastry_handler);
            group.bench_function(id("pastry_redis"), |b| {
                b.iter_custom(|n| run(&rt, &ours, clients, n))
            });
            // Every record of this run, whatever its expiry, goes.
            let far = SystemTime::now() + Duration::from_secs(10 * 365 * 86_400);
            rt.block_on(store.delete_expired(far)).expect("cleanup");
        }

        if let Some(url) = &postgres {
            let schema = unique("bench");
            let (peer_store, pool) = rt.block_on(async {
                let pool = PgPoolOptions::new()
                    .max_connections(POOL)
                    .connect(url)
                    .await
                    .expect("sqlx pool");
                let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
                    .with_schema_name(format!("{schema}_peer"))
                    .expect("schema name");
                store.migrate().await.expect("migrate");
                (store, pool)
            });
            let peer = ServiceBuilder::new()
                .layer(SessionManagerLayer::new(peer_store).with_secure(false))
                .service_fn(peer_handler);
            group.bench_function(id("tower_sessions_sqlx_postgres"), |b| {
                b.iter_custom(|n| run(&rt, &peer, clients, n))
            });
            let store = PostgresStore::builder()
                .schema(schema.as_str())
                .pool_size(POOL as usize)
                .open(url)
                .expect("postgres store");
            let ours = ServiceBuilder::new()
                .layer(SessionLayer::new(store).secure(false))
                .service_fn(pastry_handler);
            group.bench_function(id("pastry_postgres"), |b| {
                b.iter_custom(|n| run(&rt, &ours, clients, n))
            });
            rt.block_on(async {
                for s in [schema.clone(), format!("{schema}_peer")] {
                    let _ = tower_sessions_sqlx_store::sqlx::query(&format!(
                        "DROP SCHEMA IF EXISTS \"{s}\" CASCADE"
                    ))
                    .execute(&pool)
                    .await;
                }
            });
        }
        group.finish();
    }
}

criterion_group!(benches, load_modify_save);
criterion_main!(benches);
