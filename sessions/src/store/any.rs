// With every local store feature off, AnyStore's option plumbing is unused
// (and with every store feature off, AnyStore has no variants).
#![cfg_attr(
    not(any(feature = "memory", feature = "file", feature = "sqlite")),
    allow(unused_variables, unused_mut, dead_code)
)]

use std::time::SystemTime;

#[cfg(feature = "cookie-store")]
use crate::CookieStore;
#[cfg(feature = "file")]
use crate::FileStore;
#[cfg(feature = "memory")]
use crate::MemoryStore;
#[cfg(feature = "postgres")]
use crate::PostgresStore;
#[cfg(feature = "redis")]
use crate::RedisStore;
use crate::store::remote;
use crate::store::{SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};
#[cfg(feature = "sqlite")]
use crate::{SqliteStore, Synchronous};

/// Any bundled store, chosen at run time from a URL: an app picks its
/// session backend from a setting, with no code change.
///
/// | URL | store |
/// |---|---|
/// | `memory:` (at most [`DEFAULT_MAX_ENTRIES`](crate::DEFAULT_MAX_ENTRIES) sessions) or `memory:?max_entries=10000` | [`MemoryStore`] |
/// | `file:/var/lib/app/sessions` (also `file:///…`; `?fsync=false`) | [`FileStore`] |
/// | `sqlite:/var/lib/app/sessions.db` (also `sqlite:///…`; `?synchronous=full`, `?pool=4`) | [`SqliteStore`] |
/// | `redis://[user:password@]host[:port][/db]` or `rediss://…` (`?prefix=app:session:`, `?timeout=2s`; feature `redis`, and `redis-tls` for `rediss://`) | `RedisStore` |
/// | `postgres://[user[:password]@]host[:port]/db` or `postgresql://…` (`?schema=app`, `?table=sessions`, `?pool=16`, `?timeout=2s`, `?cleanup_batch=1000`, and libpq options such as `connect_timeout`; feature `postgres`) | `PostgresStore` |
/// | `cookie:?key_env=PASTRY_SESSION_KEYS` or `cookie:?key_file=/etc/app/session-keys` (the keys from that variable or file, never from the URL; feature `cookie-store`) | `CookieStore` |
///
/// `rediss://…` (TLS) needs the `redis-tls` feature. Passwords in a URL
/// never reach an error message or a log: they show as `***` (see
/// [`AnyStore::redact`]).
///
/// ```
/// use pastry_sessions::{AnyStore, SessionLayer};
///
/// let url = std::env::var("SESSION_STORE").unwrap_or_else(|_| "memory:".to_owned());
/// let store = AnyStore::from_url(&url)?;
/// assert!(matches!(store, AnyStore::Memory(_)));
/// let layer = SessionLayer::new(store);
/// # let _ = layer;
/// # Ok::<(), pastry_sessions::SessionError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// A [`MemoryStore`].
    #[cfg(feature = "memory")]
    Memory(MemoryStore),
    /// A [`FileStore`].
    #[cfg(feature = "file")]
    File(FileStore),
    /// A [`SqliteStore`].
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    /// A [`RedisStore`].
    #[cfg(feature = "redis")]
    Redis(RedisStore),
    /// A [`PostgresStore`].
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
    /// A [`CookieStore`]: the session sealed in its cookie.
    #[cfg(feature = "cookie-store")]
    Cookie(CookieStore),
}

impl AnyStore {
    /// Opens the store `url` names (creating its directory or database if
    /// missing). Touches the disk directly: call it at start-up. Server
    /// stores (Redis, PostgreSQL) only check the URL here and connect on
    /// first use. A `cookie:` URL reads its keys from the variable or file
    /// it names; one that carries anything else (a key pasted into it) is
    /// [`CookieError::KeyInUrl`](crate::CookieError::KeyInUrl), and its
    /// errors never repeat the URL.
    pub fn from_url(url: &str) -> Result<Self, SessionError> {
        let bad = |reason: &str| remote::bad_url(url, reason);
        let (scheme, rest) = url
            .split_once(':')
            .ok_or_else(|| bad("missing `scheme:`"))?;
        match scheme {
            #[cfg(feature = "redis")]
            "redis" | "rediss" => return redis_from_url(url).map(AnyStore::Redis),
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => return postgres_from_url(url).map(AnyStore::Postgres),
            // Read apart from the others: its errors must never echo the
            // URL, which may hold a key pasted by mistake.
            #[cfg(feature = "cookie-store")]
            "cookie" => return crate::store::cookie::from_url(rest).map(AnyStore::Cookie),
            _ => {}
        }
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let location = location.strip_prefix("//").unwrap_or(location);
        let mut options = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| bad("query options must be `name=value`"))?;
            options.push((k, v));
        }
        let unknown = |name: &str| bad(&format!("unknown option `{name}`"));
        match scheme {
            #[cfg(feature = "memory")]
            "memory" => {
                if !location.is_empty() {
                    return Err(bad("`memory:` takes no path"));
                }
                let mut store = MemoryStore::new();
                for (k, v) in options {
                    match k {
                        "max_entries" => {
                            let max = v.parse().map_err(|_| bad("max_entries must be a number"))?;
                            store = store.max_entries(max);
                        }
                        _ => return Err(unknown(k)),
                    }
                }
                Ok(AnyStore::Memory(store))
            }
            #[cfg(feature = "file")]
            "file" => {
                if location.is_empty() {
                    return Err(bad("`file:` needs a directory"));
                }
                let mut store = FileStore::new(location)?;
                for (k, v) in options {
                    match (k, v) {
                        ("fsync", "true") => store = store.fsync(true),
                        ("fsync", "false") => store = store.fsync(false),
                        _ => return Err(unknown(k)),
                    }
                }
                Ok(AnyStore::File(store))
            }
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                if location.is_empty() {
                    return Err(bad("`sqlite:` needs a database path"));
                }
                let mut builder = SqliteStore::builder();
                for (k, v) in options {
                    builder = match (k, v.to_ascii_lowercase().as_str()) {
                        ("synchronous", "normal") => builder.synchronous(Synchronous::Normal),
                        ("synchronous", "full") => builder.synchronous(Synchronous::Full),
                        ("pool", n) => {
                            builder.pool_size(n.parse().map_err(|_| bad("pool must be a number"))?)
                        }
                        _ => return Err(unknown(k)),
                    };
                }
                Ok(AnyStore::Sqlite(builder.open(location)?))
            }
            _ => Err(bad(
                "unknown or disabled store; use memory:, file:, sqlite:, redis:, postgres: or \
                 cookie: (redis: and postgres: need the crate features of the same name, \
                 cookie: the feature cookie-store)",
            )),
        }
    }

    /// `url` with its password (in the user info or a `password=` option)
    /// shown as `***`: what to print when logging a store URL.
    ///
    /// ```
    /// use pastry_sessions::AnyStore;
    ///
    /// assert_eq!(
    ///     AnyStore::redact("postgres://app:secret@db/app?table=s"),
    ///     "postgres://app:***@db/app?table=s"
    /// );
    /// ```
    pub fn redact(url: &str) -> String {
        remote::redact(url)
    }
}

/// `redis://…?prefix=…&timeout=…`: the store's own options taken out, the
/// rest left to the client.
#[cfg(feature = "redis")]
fn redis_from_url(url: &str) -> Result<RedisStore, SessionError> {
    let (rest, options) =
        remote::take_options(url, &["prefix", "timeout"]).map_err(|e| remote::bad_url(url, e))?;
    let mut builder = RedisStore::builder();
    for (k, v) in options {
        builder = match k {
            "prefix" => builder.prefix(v),
            _ => builder.timeout(
                remote::parse_duration(v)
                    .ok_or_else(|| remote::bad_url(url, "timeout must look like 5s or 500ms"))?,
            ),
        };
    }
    builder.open(&rest)
}

/// `postgres://…?schema=…&table=…&pool=…&timeout=…&cleanup_batch=…`.
#[cfg(feature = "postgres")]
fn postgres_from_url(url: &str) -> Result<PostgresStore, SessionError> {
    let (rest, options) = remote::take_options(
        url,
        &["schema", "table", "pool", "timeout", "cleanup_batch"],
    )
    .map_err(|e| remote::bad_url(url, e))?;
    let bad = |reason: &str| remote::bad_url(url, reason);
    let mut builder = PostgresStore::builder();
    for (k, v) in options {
        builder = match k {
            "schema" => builder.schema(v),
            "table" => builder.table(v),
            "pool" => builder.pool_size(v.parse().map_err(|_| bad("pool must be a number"))?),
            "cleanup_batch" => builder.cleanup_batch(
                v.parse()
                    .map_err(|_| bad("cleanup_batch must be a number"))?,
            ),
            _ => builder.timeout(
                remote::parse_duration(v)
                    .ok_or_else(|| bad("timeout must look like 5s or 500ms"))?,
            ),
        };
    }
    builder.open(&rest).map_err(|e| match e {
        // Report the URL as given (redacted), not the one stripped of options.
        SessionError::Url { reason, .. } => remote::bad_url(url, reason),
        other => other,
    })
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match *$self {
            #[cfg(feature = "memory")]
            AnyStore::Memory(ref $store) => $call,
            #[cfg(feature = "file")]
            AnyStore::File(ref $store) => $call,
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(ref $store) => $call,
            #[cfg(feature = "redis")]
            AnyStore::Redis(ref $store) => $call,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(ref $store) => $call,
            #[cfg(feature = "cookie-store")]
            AnyStore::Cookie(ref $store) => $call,
        }
    };
}

impl SessionStore for AnyStore {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        dispatch!(self, store => store.load(key, now).await)
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        dispatch!(self, store => store.save(key, record).await)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        dispatch!(self, store => store.delete(key).await)
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        dispatch!(self, store => store.delete_expired(now).await)
    }
}

#[cfg(all(test, feature = "memory", feature = "file", feature = "sqlite"))]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_their_store() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        assert!(matches!(
            AnyStore::from_url("memory:"),
            Ok(AnyStore::Memory(_))
        ));
        assert!(matches!(
            AnyStore::from_url("memory:?max_entries=5"),
            Ok(AnyStore::Memory(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("file:{d}/f")),
            Ok(AnyStore::File(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("file://{d}/g?fsync=false")),
            Ok(AnyStore::File(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("sqlite:{d}/s.db")),
            Ok(AnyStore::Sqlite(_))
        ));
        assert!(matches!(
            AnyStore::from_url(&format!("sqlite://{d}/t.db?synchronous=FULL&pool=3")),
            Ok(AnyStore::Sqlite(_))
        ));
        for bad in [
            "",
            "memory",
            "gopher://x",
            "memory:/x",
            "file:",
            "sqlite:",
            "memory:?size=3",
            "sqlite:/x.db?synchronous=off",
        ] {
            assert!(
                matches!(AnyStore::from_url(bad), Err(SessionError::Url { .. })),
                "{bad}"
            );
        }
    }

    #[cfg(feature = "redis")]
    #[test]
    fn redis_urls_pick_the_redis_store_and_hide_passwords() {
        match AnyStore::from_url("redis://:hunter2@127.0.0.1:6379/3?prefix=app:s:&timeout=250ms") {
            Ok(AnyStore::Redis(store)) => {
                assert_eq!(store.prefix(), "app:s:");
                let shown = format!("{store:?}");
                assert!(
                    shown.contains("250ms") && !shown.contains("hunter2"),
                    "{shown}"
                );
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            "redis://:hunter2@h/0?timeout=5",
            "redis://:hunter2@h/0?prefix",
            "redis://:hunter2@[::1/0",
            #[cfg(not(feature = "redis-tls"))]
            "rediss://:hunter2@h/0",
        ] {
            let err = AnyStore::from_url(bad).unwrap_err();
            assert!(matches!(err, SessionError::Url { .. }), "{bad}");
            assert!(
                !format!("{err} {err:?}").contains("hunter2"),
                "{bad}: {err:?}"
            );
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_urls_pick_the_postgres_store_and_hide_passwords() {
        for url in [
            "postgres://app:hunter2@127.0.0.1/app?schema=s&table=t&pool=2&timeout=1s&cleanup_batch=10",
            "postgresql://app:hunter2@127.0.0.1/app?table=t&connect_timeout=3",
        ] {
            match AnyStore::from_url(url) {
                Ok(AnyStore::Postgres(store)) => {
                    assert!(store.table().ends_with("\"t\""), "{store:?}");
                    assert!(!format!("{store:?}").contains("hunter2"));
                }
                other => panic!("{other:?}"),
            }
        }
        for bad in [
            "postgres://app:hunter2@h/app?table=a-b",
            "postgres://app:hunter2@h/app?pool=many",
            "postgres://app:hunter2@h/app?timeout=soon",
            "postgres://app:hunter2@h/app?sslmode=require",
            "postgres://app:hunter2@h/app?password=hunter2&bogus=1",
        ] {
            let err = AnyStore::from_url(bad).unwrap_err();
            assert!(matches!(err, SessionError::Url { .. }), "{bad}");
            assert!(
                !format!("{err} {err:?}").contains("hunter2"),
                "{bad}: {err:?}"
            );
        }
    }
}
