//! The [`SessionStore`] trait and the bundled stores.

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use crate::{Record, SessionError, SessionKey};

pub(crate) mod any;
pub(crate) mod cleanup;
#[cfg(feature = "cookie-store")]
pub(crate) mod cookie;
#[cfg(feature = "file")]
pub(crate) mod file;
#[cfg(feature = "memory")]
pub(crate) mod memory;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "redis")]
pub(crate) mod redis;
pub(crate) mod remote;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

/// What [`SessionStore::save`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum SaveOutcome {
    /// The record was written; the stored version is now `record.version + 1`.
    Saved,
    /// The stored version was not `record.version`: another request saved
    /// (or deleted) the session first. Nothing was written.
    Conflict,
}

/// Where sessions live.
///
/// A store maps a [`SessionKey`] (the SHA-256 hash of a session id, never
/// the id itself) to a [`Record`]. [`SessionLayer`](crate::SessionLayer)
/// calls it only when a handler uses the session. To write your own:
///
/// - [`load`](Self::load) returns the record, or `None` when there is none
///   or it has expired (`expires_at <= now`); an unreadable record is logged
///   and reported as `None`, not as an error.
/// - [`save`](Self::save) is a compare-and-swap on the version: it writes
///   `record` with version `record.version + 1` only if the stored version
///   is `record.version` (`0` meaning "no record stored"), atomically with
///   respect to every other `save` and `delete`, and otherwise returns
///   [`SaveOutcome::Conflict`] without writing. The layer then reloads,
///   re-applies its own changes and tries again, which is what keeps two
///   concurrent requests from overwriting each other's keys.
/// - [`delete`](Self::delete) removes the record if present.
/// - [`delete_expired`](Self::delete_expired) removes every record with
///   `expires_at <= now` and reports how many went.
///
/// Stores are shared by every request (`Send + Sync`) and must not block an
/// async worker: run file or database work on `spawn_blocking` or a thread
/// of their own.
///
/// ```
/// use std::time::SystemTime;
/// use pastry_sessions::{MemoryStore, Record, SaveOutcome, SessionError, SessionKey, SessionStore};
///
/// /// A store that logs every call, then delegates.
/// #[derive(Clone)]
/// struct Logged(MemoryStore);
///
/// impl SessionStore for Logged {
///     async fn load(&self, key: &SessionKey, now: SystemTime) -> Result<Option<Record>, SessionError> {
///         eprintln!("load {}", key.short());
///         self.0.load(key, now).await
///     }
///     async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
///         self.0.save(key, record).await
///     }
///     async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
///         self.0.delete(key).await
///     }
///     async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
///         self.0.delete_expired(now).await
///     }
/// }
/// # let _ = pastry_sessions::SessionLayer::new(Logged(MemoryStore::new()));
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// The live record stored under `key`, if any.
    fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> impl Future<Output = Result<Option<Record>, SessionError>> + Send;

    /// Writes `record` if the stored version still is `record.version`.
    fn save(
        &self,
        key: &SessionKey,
        record: &Record,
    ) -> impl Future<Output = Result<SaveOutcome, SessionError>> + Send;

    /// Removes the record stored under `key`, if any.
    fn delete(&self, key: &SessionKey) -> impl Future<Output = Result<(), SessionError>> + Send;

    /// Removes every record expired at `now`; returns how many.
    fn delete_expired(
        &self,
        now: SystemTime,
    ) -> impl Future<Output = Result<u64, SessionError>> + Send;
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe face of a [`SessionStore`], so `Session` need not be
/// generic over its store.
pub(crate) trait DynStore: Send + Sync + 'static {
    fn load_dyn<'a>(
        &'a self,
        key: &'a SessionKey,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Option<Record>, SessionError>>;
    fn save_dyn<'a>(
        &'a self,
        key: &'a SessionKey,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<SaveOutcome, SessionError>>;
    fn delete_dyn<'a>(&'a self, key: &'a SessionKey) -> BoxFuture<'a, Result<(), SessionError>>;
    /// The `store` label of this store's metrics.
    #[cfg(feature = "metrics")]
    fn kind(&self) -> &'static str;
}

impl<S: SessionStore> DynStore for S {
    fn load_dyn<'a>(
        &'a self,
        key: &'a SessionKey,
        now: SystemTime,
    ) -> BoxFuture<'a, Result<Option<Record>, SessionError>> {
        #[cfg(feature = "metrics")]
        return Box::pin(crate::telemetry::timed(
            self.kind(),
            "load",
            self.load(key, now),
        ));
        #[cfg(not(feature = "metrics"))]
        Box::pin(self.load(key, now))
    }
    fn save_dyn<'a>(
        &'a self,
        key: &'a SessionKey,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<SaveOutcome, SessionError>> {
        #[cfg(feature = "metrics")]
        return Box::pin(crate::telemetry::timed(
            self.kind(),
            "save",
            self.save(key, record),
        ));
        #[cfg(not(feature = "metrics"))]
        Box::pin(self.save(key, record))
    }
    fn delete_dyn<'a>(&'a self, key: &'a SessionKey) -> BoxFuture<'a, Result<(), SessionError>> {
        Box::pin(self.delete(key))
    }
    #[cfg(feature = "metrics")]
    fn kind(&self) -> &'static str {
        crate::telemetry::store_kind(self)
    }
}
