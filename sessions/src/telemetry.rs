//! The session layer's own metrics (feature `metrics`), recorded through
//! the `metrics` facade: they land in whatever recorder the process
//! installed (`pastry_metrics::MetricsHandle::install`). Labels: the store
//! kind and the operation, never a session id.

use std::any::Any;
use std::future::Future;
use std::time::Instant;

/// The `store` label of a store: `memory`, `file`, `sqlite`, `redis`,
/// `postgres`, `cookie`, or `other` for a store of your own.
pub(crate) fn store_kind(store: &dyn Any) -> &'static str {
    #[cfg(feature = "memory")]
    if store.is::<crate::MemoryStore>() {
        return "memory";
    }
    #[cfg(feature = "file")]
    if store.is::<crate::FileStore>() {
        return "file";
    }
    #[cfg(feature = "sqlite")]
    if store.is::<crate::SqliteStore>() {
        return "sqlite";
    }
    #[cfg(feature = "redis")]
    if store.is::<crate::RedisStore>() {
        return "redis";
    }
    #[cfg(feature = "postgres")]
    if store.is::<crate::PostgresStore>() {
        return "postgres";
    }
    #[cfg(feature = "cookie-store")]
    if store.is::<crate::CookieStore>() {
        return "cookie";
    }
    #[allow(unreachable_patterns, clippy::match_single_binding)]
    match store.downcast_ref::<crate::AnyStore>() {
        #[cfg(feature = "memory")]
        Some(crate::AnyStore::Memory(store)) => store_kind(store),
        #[cfg(feature = "file")]
        Some(crate::AnyStore::File(store)) => store_kind(store),
        #[cfg(feature = "sqlite")]
        Some(crate::AnyStore::Sqlite(store)) => store_kind(store),
        #[cfg(feature = "redis")]
        Some(crate::AnyStore::Redis(store)) => store_kind(store),
        #[cfg(feature = "postgres")]
        Some(crate::AnyStore::Postgres(store)) => store_kind(store),
        #[cfg(feature = "cookie-store")]
        Some(crate::AnyStore::Cookie(store)) => store_kind(store),
        _ => "other",
    }
}

/// `operation`, timed into `pastry_sessions_store_duration_seconds`.
pub(crate) async fn timed<T>(
    store: &'static str,
    op: &'static str,
    operation: impl Future<Output = T>,
) -> T {
    let started = Instant::now();
    let out = operation.await;
    metrics::histogram!("pastry_sessions_store_duration_seconds", "store" => store, "op" => op)
        .record(started.elapsed().as_secs_f64());
    out
}

/// One more of the counter `name` for `store`.
pub(crate) fn count(name: &'static str, store: &'static str) {
    metrics::counter!(name, "store" => store).increment(1);
}
