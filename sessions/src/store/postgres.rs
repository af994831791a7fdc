use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;

use crate::expiry::{Expiry, from_millis, to_millis};
use crate::store::remote::{self, DEFAULT_TIMEOUT};
use crate::store::{SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};

const STORE: &str = "PostgreSQL";

/// Serialises concurrent migrations (any process, any table): the key of
/// the transaction-scoped advisory lock they take.
const MIGRATION_LOCK: i64 = 0x7061_7374_7279_0017;

/// Sessions in a PostgreSQL table, shared by every app server that reaches
/// the database.
///
/// The table (`pastry_sessions` unless told otherwise, in the schema of
/// your choice) keys records by the SHA-256 of the session id, with an
/// indexed `expires_at` (Unix milliseconds) and a `version` column. The
/// store creates the schema, table and index if missing on first use
/// (`IF NOT EXISTS`, under an advisory lock, so processes starting
/// together do not race). A save is one statement: `INSERT … ON CONFLICT
/// DO NOTHING` for a new session, `UPDATE … WHERE version = $n` otherwise,
/// so concurrent requests on one session, from any number of processes,
/// merge instead of overwriting each other. Statements are prepared once
/// per pooled connection.
///
/// **Expired rows stay until a sweep removes them**: run
/// [`spawn_cleanup`](crate::spawn_cleanup) beside the layer;
/// [`delete_expired`](SessionStore::delete_expired) deletes in batches of
/// [`cleanup_batch`](PostgresStoreBuilder::cleanup_batch) rows (1000 by
/// default) so it never holds many row locks at once.
///
/// Connections come from a pool (16 by default), opened on demand, so the
/// database may be down at start-up; every operation gives up after the
/// [`timeout`](PostgresStoreBuilder::timeout) (5 s by default), and the
/// pool replaces broken connections by itself once the server is back.
/// TLS (`sslmode=require`) is not supported yet.
///
/// ```no_run
/// use std::time::Duration;
/// use pastry_sessions::{PostgresStore, SessionLayer, spawn_cleanup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pastry_sessions::SessionError> {
/// let store = PostgresStore::builder()
///     .schema("myapp")
///     .table("sessions")
///     .timeout(Duration::from_secs(2))
///     .open("postgres://app:secret@127.0.0.1:5432/app")?;
/// let _cleanup = spawn_cleanup(store.clone(), Duration::from_secs(600));
/// let layer = SessionLayer::new(store);
/// # let _ = layer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// The URL with its password redacted, for `Debug`.
    shown: String,
    /// `"schema"."table"` or `"table"`, quoted.
    table: String,
    timeout: Duration,
    cleanup_batch: i64,
    migrate: String,
    migrated: OnceCell<()>,
    sql: Statements,
}

struct Statements {
    load: String,
    insert: String,
    update: String,
    delete: String,
    delete_expired: String,
}

/// Settings for [`PostgresStore`]; [`open`](Self::open) makes it.
#[derive(Clone, Debug)]
pub struct PostgresStoreBuilder {
    schema: Option<String>,
    table: String,
    pool_size: usize,
    timeout: Duration,
    cleanup_batch: u32,
}

impl Default for PostgresStoreBuilder {
    fn default() -> Self {
        Self {
            schema: None,
            table: "pastry_sessions".to_owned(),
            pool_size: 16,
            timeout: DEFAULT_TIMEOUT,
            cleanup_batch: 1000,
        }
    }
}

/// Whether `name` is a plain SQL identifier (letters, digits, `_`; not
/// starting with a digit; at most 63 bytes).
fn identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

impl PostgresStoreBuilder {
    /// The table's name (default `pastry_sessions`): letters, digits and
    /// `_`. Give each app, or each test run, its own.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The schema the table lives in, created if missing (default: none,
    /// so the connection's `search_path` decides, usually `public`).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// At most this many connections at once (default 16, at least 1).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long one operation (waiting for a connection and connecting
    /// included) may take before it fails as unavailable (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many expired rows one `DELETE` of
    /// [`delete_expired`](SessionStore::delete_expired) removes at most
    /// (default 1000, at least 1); it repeats until none are left.
    pub fn cleanup_batch(mut self, rows: u32) -> Self {
        self.cleanup_batch = rows.max(1);
        self
    }

    /// A store on the database at `url`
    /// (`postgres://[user[:password]@]host[:port]/database[?libpq options]`).
    /// Only checks the settings: connections open on first use, so the
    /// server may be down at start-up.
    pub fn open(self, url: &str) -> Result<PostgresStore, SessionError> {
        let bad = |reason: String| remote::bad_url(url, reason);
        if self.timeout.is_zero() {
            return Err(bad("the timeout must be longer than zero".into()));
        }
        if !identifier(&self.table) {
            return Err(bad(format!(
                "table name `{}` is not a plain identifier",
                self.table
            )));
        }
        if let Some(schema) = &self.schema
            && !identifier(schema)
        {
            return Err(bad(format!(
                "schema name `{schema}` is not a plain identifier"
            )));
        }
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| bad(format!("not a PostgreSQL URL ({e})")))?;
        if !matches!(config.get_ssl_mode(), SslMode::Disable | SslMode::Prefer) {
            return Err(bad(
                "TLS (sslmode=require) is not supported by this build".into()
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.timeout);
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(self.timeout))
            .create_timeout(Some(self.timeout))
            .recycle_timeout(Some(self.timeout))
            .build()
            .map_err(|e| bad(format!("connection pool: {e}")))?;

        let table = match &self.schema {
            Some(schema) => format!("\"{schema}\".\"{}\"", self.table),
            None => format!("\"{}\"", self.table),
        };
        let index = format!("\"{}_expires_at\"", self.table);
        let create_schema = match &self.schema {
            Some(schema) => format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\";"),
            None => String::new(),
        };
        let migrate = format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
             {create_schema}
             CREATE TABLE IF NOT EXISTS {table} (
                 id BYTEA PRIMARY KEY,
                 data TEXT NOT NULL,
                 expiry TEXT,
                 created_at BIGINT NOT NULL,
                 expires_at BIGINT NOT NULL,
                 version BIGINT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS {index} ON {table} (expires_at);"
        );
        let sql = Statements {
            load: format!(
                "SELECT data, expiry, created_at, expires_at, version FROM {table} \
                 WHERE id = $1 AND expires_at > $2"
            ),
            insert: format!(
                "INSERT INTO {table} (id, data, expiry, created_at, expires_at, version) \
                 VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (id) DO NOTHING"
            ),
            update: format!(
                "UPDATE {table} SET data = $2, expiry = $3, created_at = $4, expires_at = $5, \
                 version = version + 1 WHERE id = $1 AND version = $6"
            ),
            delete: format!("DELETE FROM {table} WHERE id = $1"),
            delete_expired: format!(
                "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} \
                 WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
            ),
        };
        Ok(PostgresStore {
            inner: Arc::new(Inner {
                pool,
                shown: remote::redact(url),
                table,
                timeout: self.timeout,
                cleanup_batch: i64::from(self.cleanup_batch),
                migrate,
                migrated: OnceCell::new(),
                sql,
            }),
        })
    }
}

impl PostgresStore {
    /// A store on `url` with the default settings.
    pub fn open(url: &str) -> Result<Self, SessionError> {
        Self::builder().open(url)
    }

    /// Settings to open a store with.
    pub fn builder() -> PostgresStoreBuilder {
        PostgresStoreBuilder::default()
    }

    /// The table, as it appears in SQL (quoted, with its schema if set).
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// A pooled connection to a migrated database.
    async fn client(&self) -> Result<Object, SessionError> {
        let client = self.inner.pool.get().await.map_err(|e| pool_error(&e))?;
        self.inner
            .migrated
            .get_or_try_init(|| async {
                client
                    .batch_execute(&self.inner.migrate)
                    .await
                    .map_err(|e| pg_error(&e))
            })
            .await?;
        Ok(client)
    }

    /// Runs one prepared statement `sql` within the timeout.
    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, SessionError> {
        remote::within(STORE, self.inner.timeout, async {
            let client = self.client().await?;
            let statement = client.prepare_cached(sql).await.map_err(|e| pg_error(&e))?;
            client
                .execute(&statement, params)
                .await
                .map_err(|e| pg_error(&e))
        })
        .await
    }
}

/// A PostgreSQL failure as the store reports it: connection-class errors
/// (no SQLSTATE, `08…`, `57P…`, too many connections) are "unavailable".
fn pg_error(e: &tokio_postgres::Error) -> SessionError {
    match e.code().map(|c| c.code()) {
        Some(code) if !(code.starts_with("08") || code.starts_with("57P") || code == "53300") => {
            remote::failed(STORE, e.to_string())
        }
        _ => remote::unavailable(STORE, e.to_string(), false),
    }
}

fn pool_error(e: &PoolError) -> SessionError {
    match e {
        PoolError::Backend(e) => pg_error(e),
        PoolError::Timeout(_) => remote::unavailable(STORE, e.to_string(), true),
        other => remote::unavailable(STORE, other.to_string(), false),
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.inner.shown)
            .field("table", &self.inner.table)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

fn version_to_sql(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

impl SessionStore for PostgresStore {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        let id = &key.as_bytes()[..];
        let now = to_millis(now);
        let row = remote::within(STORE, self.inner.timeout, async {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(&self.inner.sql.load)
                .await
                .map_err(|e| pg_error(&e))?;
            client
                .query_opt(&statement, &[&id, &now])
                .await
                .map_err(|e| pg_error(&e))
        })
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let fields = (|| {
            Ok::<_, tokio_postgres::Error>((
                row.try_get::<_, String>(0)?,
                row.try_get::<_, Option<String>>(1)?,
                row.try_get::<_, i64>(2)?,
                row.try_get::<_, i64>(3)?,
                row.try_get::<_, i64>(4)?,
            ))
        })();
        let decoded = fields
            .ok()
            .and_then(|(data, expiry, created_at, expires_at, version)| {
                let data = serde_json::from_str::<Map<String, Value>>(&data).ok()?;
                let expiry = match expiry {
                    Some(text) => Some(Expiry::decode(&text)?),
                    None => None,
                };
                Some(Record {
                    data,
                    expiry,
                    created_at: from_millis(created_at),
                    expires_at: from_millis(expires_at),
                    version: u64::try_from(version).ok()?,
                })
            });
        if decoded.is_none() {
            tracing::warn!(target: "pastry_sessions", session = %key.short(), "corrupt PostgreSQL session row treated as missing");
        }
        Ok(decoded)
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        record.next_version()?;
        let id = &key.as_bytes()[..];
        let data = Value::Object(record.data.clone()).to_string();
        let expiry = record.expiry.map(|e| e.encode());
        let created_at = to_millis(record.created_at);
        let expires_at = to_millis(record.expires_at);
        let changed = if record.version == 0 {
            self.execute(
                &self.inner.sql.insert,
                &[&id, &data, &expiry, &created_at, &expires_at],
            )
            .await?
        } else {
            let expected = version_to_sql(record.version);
            self.execute(
                &self.inner.sql.update,
                &[&id, &data, &expiry, &created_at, &expires_at, &expected],
            )
            .await?
        };
        Ok(if changed == 1 {
            SaveOutcome::Saved
        } else {
            SaveOutcome::Conflict
        })
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        let id = &key.as_bytes()[..];
        self.execute(&self.inner.sql.delete, &[&id]).await?;
        Ok(())
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        let now = to_millis(now);
        let batch = self.inner.cleanup_batch;
        let mut removed = 0;
        loop {
            let gone = self
                .execute(&self.inner.sql.delete_expired, &[&now, &batch])
                .await?;
            removed += gone;
            if gone < batch.unsigned_abs() {
                return Ok(removed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls_are_checked_and_passwords_never_shown() {
        let store = PostgresStore::open("postgres://app:hunter2@127.0.0.1:1/app").unwrap();
        assert!(!format!("{store:?}").contains("hunter2"));
        assert_eq!(store.table(), "\"pastry_sessions\"");
        let store = PostgresStore::builder()
            .schema("s_1")
            .table("t")
            .open("postgresql://app:hunter2@h/app")
            .unwrap();
        assert_eq!(store.table(), "\"s_1\".\"t\"");
        let url = "postgres://app:hunter2@h/app";
        for builder in [
            PostgresStore::builder().table("x; DROP"),
            PostgresStore::builder().table("1x"),
            PostgresStore::builder().schema("a\"b"),
            PostgresStore::builder().timeout(Duration::ZERO),
        ] {
            let err = builder.open(url).unwrap_err();
            assert!(matches!(err, SessionError::Url { .. }));
            assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
        }
        for bad in [
            "postgres://app:hunter2@h/app?sslmode=require",
            "postgres://app:hunter2@h:port/app",
            "postgres://app:hunter2@h/app?nonsense=1",
        ] {
            let err = PostgresStore::open(bad).unwrap_err();
            assert!(matches!(err, SessionError::Url { .. }), "{bad}");
            assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
        }
    }
}
