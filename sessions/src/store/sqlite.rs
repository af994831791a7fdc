use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use crate::expiry::{Expiry, from_millis, to_millis};
use crate::session::{AtomicUpdate, Replay};
use crate::store::{BoxFuture, SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};

const SCHEMA_VERSION: i64 = 1;

const LOAD: &str = "SELECT data, expiry, created_at, expires_at, version FROM pastry_sessions \
                    WHERE id = ?1 AND expires_at > ?2";
const INSERT: &str = "INSERT INTO pastry_sessions (id, data, expiry, created_at, expires_at, version) \
                      VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT (id) DO NOTHING";
const UPDATE: &str = "UPDATE pastry_sessions \
                      SET data = ?2, expiry = ?3, created_at = ?4, expires_at = ?5, version = version + 1 \
                      WHERE id = ?1 AND version = ?6";
const DELETE: &str = "DELETE FROM pastry_sessions WHERE id = ?1";
const DELETE_EXPIRED: &str = "DELETE FROM pastry_sessions WHERE expires_at <= ?1";

/// How hard SQLite works to keep a commit on disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `synchronous=NORMAL` in WAL mode (the default): a commit survives the
    /// process crashing; the last commits before a power loss or OS crash
    /// may be rolled back (never corrupted).
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is fsynced; survives power loss.
    Full,
}

/// Sessions in an SQLite database file, safe to share between processes.
///
/// The table `pastry_sessions` keys records by the SHA-256 of the session
/// id, with an indexed integer `expires_at` (Unix milliseconds) so
/// [`delete_expired`](SessionStore::delete_expired) is one indexed delete,
/// and a `version` column for the compare-and-swap. The schema version is
/// kept in `PRAGMA user_version`. The database runs in WAL mode with
/// [`Synchronous::Normal`] unless told otherwise, with a busy timeout so
/// processes wait for each other's writes; statements are prepared once
/// per connection and cached. Queries run on tokio's blocking pool over a
/// small pool of connections. When a save conflicts, the layer's replay
/// reloads, re-applies and saves in one `BEGIN IMMEDIATE` transaction, so
/// it cannot conflict again: concurrent requests on one session never
/// answer a 500.
///
/// **Expired sessions stay in the table until a sweep removes them**: a
/// load ignores an expired row but does not delete it, so the database
/// grows by one row per abandoned session until
/// [`delete_expired`](SessionStore::delete_expired) runs. Run it
/// periodically with [`spawn_cleanup`](crate::spawn_cleanup), started
/// beside the layer:
///
/// ```
/// use std::time::Duration;
/// use pastry_sessions::{SessionLayer, SqliteStore, Synchronous, spawn_cleanup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let store = SqliteStore::builder()
///     .synchronous(Synchronous::Full)
///     .open(dir.path().join("sessions.db"))?;
/// let _cleanup = spawn_cleanup(store.clone(), Duration::from_secs(10 * 60));
/// let layer = SessionLayer::new(store);
/// # let _ = layer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: SqliteStoreBuilder,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    /// Writers of this process take turns here instead of meeting SQLite's
    /// busy handler, which sleeps; other processes still wait through the
    /// busy timeout.
    write_turn: Mutex<()>,
}

/// Settings for [`SqliteStore`]; [`open`](Self::open) opens it.
#[derive(Clone, Debug)]
pub struct SqliteStoreBuilder {
    synchronous: Synchronous,
    busy_timeout: Duration,
    pool_size: usize,
}

impl Default for SqliteStoreBuilder {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Normal,
            busy_timeout: Duration::from_secs(5),
            pool_size: 2,
        }
    }
}

impl SqliteStoreBuilder {
    /// The durability level (default [`Synchronous::Normal`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How long a query waits for another connection's or process's write
    /// lock before failing (default 5 s).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How many connections run queries at once (default 2, at least 1).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// Opens (or creates) the database at `path` and brings its schema up to
    /// date. Touches the disk directly: call it at start-up.
    pub fn open(self, path: impl AsRef<Path>) -> Result<SqliteStore, SessionError> {
        let path = path.as_ref().to_path_buf();
        let first = connect(&path, &self).map_err(sql)?;
        migrate(&first)?;
        let size = self.pool_size;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                options: self,
                idle: Mutex::new(vec![first]),
                permits: Semaphore::new(size),
                write_turn: Mutex::new(()),
            }),
        })
    }
}

/// A SQLite failure as the store reports it.
fn sql(error: rusqlite::Error) -> SessionError {
    SessionError::Sqlite(Box::new(error))
}

fn connect(path: &Path, options: &SqliteStoreBuilder) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(options.busy_timeout)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(target: "pastry_sessions", mode = %mode, "SQLite session store could not enable WAL mode");
    }
    let sync = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<(), SessionError> {
    let found = user_version(conn).map_err(sql)?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    if found > SCHEMA_VERSION {
        return Err(SessionError::Schema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    create_schema(conn).map_err(sql)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Creates the table and index, unless another process did while this one
/// waited for the lock.
fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    if user_version(&tx)? == 0 {
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS pastry_sessions (
                 id BLOB PRIMARY KEY NOT NULL,
                 data TEXT NOT NULL,
                 expiry TEXT,
                 created_at INTEGER NOT NULL,
                 expires_at INTEGER NOT NULL,
                 version INTEGER NOT NULL
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS pastry_sessions_expires_at ON pastry_sessions (expires_at);
             PRAGMA user_version = 1;",
        )?;
    }
    tx.commit()
}

impl SqliteStore {
    /// Opens (or creates) the database at `path` with the default settings.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SessionError> {
        Self::builder().open(path)
    }

    /// Settings to open a store with.
    pub fn builder() -> SqliteStoreBuilder {
        SqliteStoreBuilder::default()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a pooled connection on the blocking pool; `write` makes
    /// it take this process's write turn first.
    async fn run<T: Send + 'static>(
        &self,
        write: bool,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, SessionError> {
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self.inner.permits.acquire().await;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => connect(&inner.path, &inner.options).map_err(sql)?,
            };
            let result = if write {
                let _turn = inner
                    .write_turn
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                f(&conn)
            } else {
                f(&conn)
            };
            inner
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            result.map_err(sql)
        })
        .await
        .map_err(SessionError::worker)?
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// The live record stored under `key` at `now`; a corrupt row is logged
/// and reported as `None`.
fn read(conn: &Connection, key: &SessionKey, now: SystemTime) -> rusqlite::Result<Option<Record>> {
    let row = conn
        .prepare_cached(LOAD)?
        .query_row(params![&key.as_bytes()[..], to_millis(now)], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })
        .optional()?;
    let Some((data, expiry, created_at, expires_at, version)) = row else {
        return Ok(None);
    };
    let data = serde_json::from_str::<Map<String, Value>>(&data);
    let expiry = expiry.map(|text| Expiry::decode(&text).ok_or(text));
    match (data, expiry.transpose(), u64::try_from(version)) {
        (Ok(data), Ok(expiry), Ok(version)) => Ok(Some(Record {
            data,
            expiry,
            created_at: from_millis(created_at),
            expires_at: from_millis(expires_at),
            version,
        })),
        _ => {
            tracing::warn!(target: "pastry_sessions", session = %key.short(), "corrupt session row treated as missing");
            Ok(None)
        }
    }
}

/// Reloads, replays and saves in one `BEGIN IMMEDIATE` transaction: it holds
/// the database's write lock from the read on, so no other save or delete
/// (from any connection or process) comes in between.
fn update(
    conn: &Connection,
    key: &SessionKey,
    now: SystemTime,
    replay: Replay,
) -> Result<Option<Record>, SessionError> {
    let tx =
        rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(sql)?;
    let Some(latest) = read(&tx, key, now).map_err(sql)? else {
        return Ok(None);
    };
    let expected = version_to_sql(latest.version);
    let version = latest.next_version()?;
    let mut record = replay(latest);
    record.version = version;
    let changed = tx
        .prepare_cached(UPDATE)
        .and_then(|mut update| {
            update.execute(params![
                &key.as_bytes()[..],
                Value::Object(record.data.clone()).to_string(),
                record.expiry.map(|e| e.encode()),
                to_millis(record.created_at),
                to_millis(record.expires_at),
                expected
            ])
        })
        .map_err(sql)?;
    if changed != 1 {
        // Cannot happen under the write lock; never report a save that was not.
        return Err(SessionError::Conflict { retries: 0 });
    }
    tx.commit().map_err(sql)?;
    Ok(Some(record))
}

fn version_to_sql(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

impl SessionStore for SqliteStore {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        let key = *key;
        self.run(false, move |conn| read(conn, &key, now)).await
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        let key = *key;
        let data = Value::Object(record.data.clone()).to_string();
        let expiry = record.expiry.map(|e| e.encode());
        let created_at = to_millis(record.created_at);
        let expires_at = to_millis(record.expires_at);
        let expected = version_to_sql(record.version);
        self.run(true, move |conn| {
            let id = &key.as_bytes()[..];
            let changed = if expected == 0 {
                conn.prepare_cached(INSERT)?
                    .execute(params![id, data, expiry, created_at, expires_at])?
            } else {
                conn.prepare_cached(UPDATE)?
                    .execute(params![id, data, expiry, created_at, expires_at, expected])?
            };
            Ok(if changed == 1 {
                SaveOutcome::Saved
            } else {
                SaveOutcome::Conflict
            })
        })
        .await
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        let key = *key;
        self.run(true, move |conn| {
            conn.prepare_cached(DELETE)?
                .execute(params![&key.as_bytes()[..]])?;
            Ok(())
        })
        .await
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        self.run(true, move |conn| {
            let removed = conn
                .prepare_cached(DELETE_EXPIRED)?
                .execute(params![to_millis(now)])?;
            Ok(removed as u64)
        })
        .await
    }
}

impl AtomicUpdate for SqliteStore {
    fn update<'a>(
        &'a self,
        key: &'a SessionKey,
        now: SystemTime,
        replay: Replay,
    ) -> BoxFuture<'a, Result<Option<Record>, SessionError>> {
        let key = *key;
        Box::pin(async move {
            // The replay's own errors travel inside the Ok of `run`.
            self.run(true, move |conn| Ok(update(conn, &key, now, replay)))
                .await?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_versioned_and_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let _store = SqliteStore::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN DELETE FROM pastry_sessions WHERE expires_at <= 5",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("pastry_sessions_expires_at"), "{plan}");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 7)
            .unwrap();
        assert!(matches!(
            SqliteStore::open(&path),
            Err(SessionError::Schema { found: 7, .. })
        ));
    }
}
