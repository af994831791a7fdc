//! The Redis and PostgreSQL servers the tests use, named by
//! `PASTRY_TEST_REDIS_URL` and `PASTRY_TEST_POSTGRES_URL`.
//!
//! Unset, a test that needs one returns early and the test binary prints
//! one line saying so (straight to stderr, past the harness's capture). In
//! CI (`CI` set) an unset variable fails the test instead: there they must
//! run. Each test gets a key prefix or schema of its own, removed when it
//! ends, so runs and tests never see each other's sessions.

#![allow(dead_code)]

use std::io::Write;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The variable naming the Redis server.
pub const REDIS_VAR: &str = "PASTRY_TEST_REDIS_URL";
/// The variable naming the PostgreSQL server.
pub const POSTGRES_VAR: &str = "PASTRY_TEST_POSTGRES_URL";

/// The URL in `var`, or `None` after saying (once per test binary) that
/// the tests needing it are skipped.
pub fn server_url(var: &str, once: &'static Once, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} is not set: in CI the {what} tests must run (.ci/run sets it)"
            );
            once.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: the {what} store tests ({var} is not set; e.g. {var}={example})",
                    example = if what == "Redis" {
                        "redis://127.0.0.1:6379"
                    } else {
                        "postgres://postgres@127.0.0.1:5432/test"
                    }
                );
            });
            None
        }
    }
}

/// A name no other test, process or run uses: letters, digits and `_`.
pub fn unique(tag: &str) -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
        % 1_000_000_000_000;
    format!(
        "{tag}_{}_{nanos}_{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with `name=value` added to its query.
pub fn with_option(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={value}")
}

/// A Redis key prefix of this test's own; its keys go when this drops.
#[cfg(feature = "redis")]
pub struct Redis {
    pub url: String,
    pub prefix: String,
}

#[cfg(feature = "redis")]
impl Redis {
    /// `None` (the test is skipped) when no server is named.
    pub fn new() -> Option<Self> {
        static ONCE: Once = Once::new();
        let url = server_url(REDIS_VAR, &ONCE, "Redis")?;
        Some(Self {
            url,
            prefix: format!("{}:", unique("pastry_test")),
        })
    }

    /// A store on this test's prefix.
    pub fn store(&self) -> pastry_sessions::RedisStore {
        pastry_sessions::RedisStore::builder()
            .prefix(self.prefix.as_str())
            .open(&self.url)
            .expect("redis store")
    }

    /// The server's URL with this test's prefix as an option.
    pub fn url_with_prefix(&self) -> String {
        with_option(&self.url, "prefix", &self.prefix)
    }

    /// A plain connection to the server, to look behind the store's back.
    pub fn raw(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .and_then(|c| c.get_connection())
            .expect("redis connection")
    }

    /// Every key under this test's prefix.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut self.raw())
            .expect("KEYS");
        keys.sort();
        keys
    }
}

#[cfg(feature = "redis")]
impl Drop for Redis {
    fn drop(&mut self) {
        if let Ok(mut c) = redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection()) {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}*", self.prefix))
                .query(&mut c)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query(&mut c);
            }
        }
    }
}

/// A PostgreSQL schema of this test's own, dropped when this drops.
#[cfg(feature = "postgres")]
pub struct Postgres {
    pub url: String,
    pub schema: String,
}

#[cfg(feature = "postgres")]
impl Postgres {
    /// `None` (the test is skipped) when no server is named.
    pub fn new() -> Option<Self> {
        static ONCE: Once = Once::new();
        let url = server_url(POSTGRES_VAR, &ONCE, "PostgreSQL")?;
        Some(Self {
            url,
            schema: unique("pastry_test"),
        })
    }

    /// Settings for a store in this test's schema.
    pub fn builder(&self) -> pastry_sessions::PostgresStoreBuilder {
        pastry_sessions::PostgresStore::builder().schema(self.schema.as_str())
    }

    /// A store in this test's schema.
    pub fn store(&self) -> pastry_sessions::PostgresStore {
        self.builder().open(&self.url).expect("postgres store")
    }

    /// The server's URL with this test's schema as an option.
    pub fn url_with_schema(&self) -> String {
        with_option(&self.url, "schema", &self.schema)
    }

    /// Runs `sql` on a connection of its own (on a thread of its own, so
    /// it works in `Drop` and from any runtime).
    pub fn batch(&self, sql: String) -> Result<(), String> {
        let url = self.url.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::spawn(connection);
                client.batch_execute(&sql).await.map_err(|e| e.to_string())
            })
        })
        .join()
        .unwrap_or_else(|_| Err("panicked".into()))
    }

    /// The one value `sql` selects, as text.
    pub fn select(&self, sql: String) -> Result<String, String> {
        let url = self.url.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::spawn(connection);
                let rows = client.simple_query(&sql).await.map_err(|e| e.to_string())?;
                rows.iter()
                    .find_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => {
                            Some(row.get(0).unwrap_or("NULL").to_owned())
                        }
                        _ => None,
                    })
                    .ok_or_else(|| "no row".to_owned())
            })
        })
        .join()
        .unwrap_or_else(|_| Err("panicked".into()))
    }
}

#[cfg(feature = "postgres")]
impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.batch(format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema));
    }
}
