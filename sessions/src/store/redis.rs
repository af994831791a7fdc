use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};
use tokio::sync::OnceCell;

use crate::expiry::to_millis;
use crate::store::remote::{self, DEFAULT_TIMEOUT};
use crate::store::{SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};

const STORE: &str = "Redis";

/// The key prefix unless told otherwise.
const DEFAULT_PREFIX: &str = "pastry:session:";

/// Keys [`delete_expired`](SessionStore::delete_expired) asks `SCAN` for
/// per round trip.
const SCAN_BATCH: usize = 500;

/// The compare-and-swap, run atomically by the server: writes the record
/// only if the stored version (`0` when there is none) is the expected one,
/// and sets the key to expire when the record does.
///
/// KEYS[1] the record; ARGV: expected version, new version, expires_at
/// (Unix ms), the record's JSON. Returns 1 when written, 0 on a conflict.
const SAVE: &str = r"
local current = redis.call('HGET', KEYS[1], 'v')
if current == false then current = '0' end
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'e', ARGV[3], 'd', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
";

/// Deletes each of KEYS whose record has expired at ARGV[1] (Unix ms) by
/// the caller's clock; returns how many went.
const SWEEP: &str = r"
local removed = 0
for _, key in ipairs(KEYS) do
  local e = redis.call('HGET', key, 'e')
  if e and tonumber(e) <= tonumber(ARGV[1]) then
    redis.call('DEL', key)
    removed = removed + 1
  end
end
return removed
";

/// Sessions in Redis, shared by every app server that reaches it.
///
/// Each session is a hash under `prefix` + the hex SHA-256 of its id (the
/// id itself never reaches the server), holding its version, its expiry
/// and the record as JSON. The key carries the record's expiry as a native
/// TTL (`PEXPIREAT`), so Redis drops abandoned sessions by itself: no
/// [`spawn_cleanup`](crate::spawn_cleanup) is needed.
/// [`delete_expired`](SessionStore::delete_expired) only removes records
/// that the caller's clock says have expired before the server's does.
///
/// A load is one round trip (`HMGET`); a save is one, the versioned
/// compare-and-swap running on the server as a Lua script (`EVALSHA`), so
/// concurrent requests on one session, from any number of processes,
/// merge instead of overwriting each other.
///
/// The connection is one multiplexed connection per store (clones share
/// it), opened on first use and reopened by itself after the server went
/// away. Every operation gives up after the
/// [`timeout`](RedisStoreBuilder::timeout) (5 s by default), so with the
/// server down a request that uses its session fails fast, and requests
/// that do not are served as usual.
///
/// `rediss://` (TLS) URLs work with the `redis-tls` feature (the system's
/// OpenSSL through native-tls; `rediss://host/#insecure` skips certificate
/// checks). Redis Cluster is not supported yet.
///
/// ```no_run
/// use std::time::Duration;
/// use pastry_sessions::{RedisStore, SessionLayer};
///
/// let store = RedisStore::builder()
///     .prefix("myapp:session:")
///     .timeout(Duration::from_secs(2))
///     .open("redis://127.0.0.1:6379/0")?;
/// let layer = SessionLayer::new(store);
/// # let _ = layer;
/// # Ok::<(), pastry_sessions::SessionError>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    /// The URL with its password redacted, for `Debug`.
    shown: String,
    prefix: String,
    timeout: Duration,
    connection: OnceCell<ConnectionManager>,
    save: Script,
    sweep: Script,
}

/// Settings for [`RedisStore`]; [`open`](Self::open) makes it.
#[derive(Clone, Debug)]
pub struct RedisStoreBuilder {
    prefix: String,
    timeout: Duration,
}

impl Default for RedisStoreBuilder {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl RedisStoreBuilder {
    /// What every key starts with (default `pastry:session:`): give each
    /// app, or each test run, its own.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one operation (connecting included) may take before it
    /// fails as unavailable (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A store on the server at `url` (`redis://[user:password@]host[:port][/db]`).
    /// Only checks the URL: the connection opens on first use, so the
    /// server may be down at start-up.
    pub fn open(self, url: &str) -> Result<RedisStore, SessionError> {
        if self.timeout.is_zero() {
            return Err(remote::bad_url(url, "the timeout must be longer than zero"));
        }
        if cfg!(not(feature = "redis-tls")) && url.starts_with("rediss:") {
            return Err(remote::bad_url(
                url,
                "TLS (rediss://) needs the `redis-tls` feature",
            ));
        }
        let client = Client::open(url)
            .map_err(|e| remote::bad_url(url, format!("not a Redis URL ({})", e.kind_name())))?;
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                shown: remote::redact(url),
                prefix: self.prefix,
                timeout: self.timeout,
                connection: OnceCell::new(),
                save: Script::new(SAVE),
                sweep: Script::new(SWEEP),
            }),
        })
    }
}

/// A short, secret-free name for what went wrong.
trait KindName {
    fn kind_name(&self) -> String;
}

impl KindName for RedisError {
    fn kind_name(&self) -> String {
        format!("{:?}", self.kind())
    }
}

impl RedisStore {
    /// A store on `url` with the default settings.
    pub fn open(url: &str) -> Result<Self, SessionError> {
        Self::builder().open(url)
    }

    /// Settings to open a store with.
    pub fn builder() -> RedisStoreBuilder {
        RedisStoreBuilder::default()
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The Redis key of `key`.
    fn key(&self, key: &SessionKey) -> String {
        format!("{}{}", self.inner.prefix, key.to_hex())
    }

    /// The shared connection, created (without connecting) on first use.
    async fn connection(&self) -> Result<ConnectionManager, SessionError> {
        let inner = &self.inner;
        inner
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(inner.timeout))
                    .set_response_timeout(Some(inner.timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_lazy_with_config(inner.client.clone(), config)
            })
            .await
            .cloned()
            .map_err(|e| error(&e))
    }

    /// Runs `op` on the connection within the timeout.
    async fn run<T, F>(&self, op: impl FnOnce(ConnectionManager) -> F) -> Result<T, SessionError>
    where
        F: Future<Output = Result<T, RedisError>>,
    {
        remote::within(STORE, self.inner.timeout, async {
            let connection = self.connection().await?;
            op(connection).await.map_err(|e| error(&e))
        })
        .await
    }
}

/// A Redis failure as the store reports it: unreachable, or failed.
fn error(e: &RedisError) -> SessionError {
    if e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
    {
        remote::unavailable(STORE, e.to_string(), e.is_timeout())
    } else {
        remote::failed(STORE, e.to_string())
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.inner.shown)
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// Escapes `*?[]\` so `text` matches itself in a `SCAN MATCH` pattern.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl SessionStore for RedisStore {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        let redis_key = self.key(key);
        let (version, data): (Option<String>, Option<Vec<u8>>) = self
            .run(|mut c| async move {
                redis::cmd("HMGET")
                    .arg(&redis_key)
                    .arg("v")
                    .arg("d")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let (Some(version), Some(data)) = (version, data) else {
            return Ok(None);
        };
        match (Record::from_json(&data), version.parse::<u64>()) {
            (Ok(mut record), Ok(version)) => {
                record.version = version;
                Ok((!record.is_expired(now)).then_some(record))
            }
            _ => {
                tracing::warn!(target: "pastry_sessions", session = %key.short(), "corrupt Redis session record treated as missing");
                Ok(None)
            }
        }
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        let next = record.next_version()?;
        let mut stored = record.clone();
        stored.version = next;
        let data = stored.to_json();
        let redis_key = self.key(key);
        // Redis refuses an expiry at or before the epoch; such a record is
        // expired anyway and `PEXPIREAT 1` drops it at once.
        let expires_at = to_millis(record.expires_at).max(1);
        let written: i64 = self
            .run(|mut c| async move {
                self.inner
                    .save
                    .key(&redis_key)
                    .arg(record.version)
                    .arg(next)
                    .arg(expires_at)
                    .arg(data)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(if written == 1 {
            SaveOutcome::Saved
        } else {
            SaveOutcome::Conflict
        })
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        let redis_key = self.key(key);
        self.run(|mut c| async move {
            redis::cmd("DEL")
                .arg(&redis_key)
                .query_async::<i64>(&mut c)
                .await
        })
        .await?;
        Ok(())
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        let pattern = format!("{}*", glob_escape(&self.inner.prefix));
        let now = to_millis(now);
        let mut cursor: u64 = 0;
        let mut removed: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = self
                .run(|mut c| {
                    let pattern = &pattern;
                    async move {
                        redis::cmd("SCAN")
                            .arg(cursor)
                            .arg("MATCH")
                            .arg(pattern)
                            .arg("COUNT")
                            .arg(SCAN_BATCH)
                            .query_async(&mut c)
                            .await
                    }
                })
                .await?;
            if !keys.is_empty() {
                let gone: u64 = self
                    .run(|mut c| {
                        let mut call = self.inner.sweep.prepare_invoke();
                        for key in &keys {
                            call.key(key);
                        }
                        call.arg(now);
                        async move { call.invoke_async(&mut c).await }
                    })
                    .await?;
                removed += gone;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_patterns_match_the_prefix_literally() {
        assert_eq!(glob_escape("a*b?[c]\\:"), "a\\*b\\?\\[c\\]\\\\:");
    }

    #[test]
    fn urls_are_checked_and_never_shown_with_their_password() {
        let store = RedisStore::open("redis://:hunter2@127.0.0.1:1/0").unwrap();
        assert!(!format!("{store:?}").contains("hunter2"));
        for bad in [
            "redis://:hunter2@[::1/0",
            "http://:hunter2@h/",
            #[cfg(not(feature = "redis-tls"))]
            "rediss://:hunter2@h/0",
        ] {
            let err = RedisStore::open(bad).unwrap_err();
            assert!(matches!(err, SessionError::Url { .. }), "{bad}");
            assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
        }
        assert!(
            RedisStore::builder()
                .timeout(Duration::ZERO)
                .open("redis://h/")
                .is_err()
        );
    }
}
