//! Shared parts of the behaviour suite: one set of behaviours, run against
//! every store (`store_suite!`), an app that exercises the session API, and
//! a counting wrapper store.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Request, Response, StatusCode};
use pastry_sessions::{
    Expiry, ManualClock, Record, SaveOutcome, SessionError, SessionExt, SessionKey, SessionLayer,
    SessionStore,
};
use pastry_testkit::{Body, TestClient};
use tokio::sync::{Barrier, Notify};
use tower::ServiceBuilder;

#[path = "servers.rs"]
pub mod servers;

/// The test's private world: a temp dir and a stopped clock.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            clock: ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
        }
    }

    pub fn now(&self) -> SystemTime {
        pastry_sessions::Clock::now(&self.clock)
    }

    /// The default layer on `store`, driven by this env's clock, with the
    /// cookie named `id` (the default is `__Host-id`: see `host_prefix.rs`).
    pub fn layer<S: SessionStore>(&self, store: S) -> SessionLayer {
        SessionLayer::new(store)
            .cookie_name("id")
            .clock(self.clock.clone())
    }

    pub fn sessions_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("sessions")
    }
}

/// Runs each named behaviour `async fn name<S: SessionStore + Clone>(store: S, env: Env)`
/// against every store: memory, file, SQLite, and the same three through
/// `AnyStore::from_url`; then Redis and PostgreSQL (directly and by URL)
/// when their features are on and `PASTRY_TEST_REDIS_URL` /
/// `PASTRY_TEST_POSTGRES_URL` name a server (see `servers`).
///
/// With feature `cookie-store`, also against the cookie store (see
/// `cookie_stores!`); `store_suite!(except_cookie: name, …)` leaves it out.
///
/// `store_suite!(except_redis: name, …)` leaves Redis (and the cookie
/// store) out, for a behaviour its native TTL replaces (a record saved already expired is dropped by
/// the server at once, so no sweep ever counts it).
#[macro_export]
macro_rules! store_suite {
    (except_redis: $($name:ident),* $(,)?) => {$(
        mod $name {
            $crate::local_stores!($name);
            $crate::postgres_stores!($name);
        }
    )*};
    (except_cookie: $($name:ident),* $(,)?) => {$(
        mod $name {
            $crate::local_stores!($name);
            $crate::redis_stores!($name);
            $crate::postgres_stores!($name);
        }
    )*};
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            $crate::local_stores!($name);
            $crate::cookie_stores!($name);
            $crate::redis_stores!($name);
            $crate::postgres_stores!($name);
        }
    )*};
}

/// The cookie-store half of `store_suite!` (feature `cookie-store`): a
/// `CookieStore` directly and from a `cookie:?key_file=` URL. Behaviours a
/// cookie store cannot have are listed with `store_suite!(except_cookie:
/// …)` (and `except_redis:`, whose one behaviour saves to the store
/// directly), each file saying why.
#[macro_export]
macro_rules! cookie_stores {
    ($name:ident) => {
        #[cfg(feature = "cookie-store")]
        #[tokio::test]
        async fn cookie() {
            let keys = pastry_sessions::CookieKeys::parse(&pastry_sessions::CookieKeys::generate())
                .expect("keys");
            super::$name(
                pastry_sessions::CookieStore::new(keys),
                $crate::common::Env::new(),
            )
            .await;
        }

        #[cfg(feature = "cookie-store")]
        #[tokio::test]
        async fn any_cookie() {
            let env = $crate::common::Env::new();
            // Outside the env's dir, which some behaviours list.
            let file = tempfile::NamedTempFile::new().expect("key file");
            std::fs::write(file.path(), pastry_sessions::CookieKeys::generate()).expect("key");
            let url = format!("cookie:?key_file={}", file.path().display());
            let store = pastry_sessions::AnyStore::from_url(&url).expect("cookie url");
            super::$name(store, env).await;
        }
    };
}

/// The Redis half of `store_suite!`: each test gets its own key prefix,
/// whose keys are deleted when it ends.
#[macro_export]
macro_rules! redis_stores {
    ($name:ident) => {
        #[cfg(feature = "redis")]
        #[tokio::test]
        async fn redis() {
            let Some(server) = $crate::common::servers::Redis::new() else {
                return;
            };
            super::$name(server.store(), $crate::common::Env::new()).await;
        }

        #[cfg(feature = "redis")]
        #[tokio::test]
        async fn any_redis() {
            let Some(server) = $crate::common::servers::Redis::new() else {
                return;
            };
            let store =
                pastry_sessions::AnyStore::from_url(&server.url_with_prefix()).expect("redis url");
            super::$name(store, $crate::common::Env::new()).await;
        }
    };
}

/// The PostgreSQL half of `store_suite!`: each test gets its own schema,
/// dropped when it ends.
#[macro_export]
macro_rules! postgres_stores {
    ($name:ident) => {
        #[cfg(feature = "postgres")]
        #[tokio::test]
        async fn postgres() {
            let Some(server) = $crate::common::servers::Postgres::new() else {
                return;
            };
            super::$name(server.store(), $crate::common::Env::new()).await;
        }

        #[cfg(feature = "postgres")]
        #[tokio::test]
        async fn any_postgres() {
            let Some(server) = $crate::common::servers::Postgres::new() else {
                return;
            };
            let store = pastry_sessions::AnyStore::from_url(&server.url_with_schema())
                .expect("postgres url");
            super::$name(store, $crate::common::Env::new()).await;
        }
    };
}

/// The memory, file and SQLite half of `store_suite!`.
#[macro_export]
macro_rules! local_stores {
    ($name:ident) => {
        use $crate::common::Env;

        #[tokio::test]
        async fn memory() {
            let env = Env::new();
            super::$name(pastry_sessions::MemoryStore::new(), env).await;
        }

        #[tokio::test]
        async fn file() {
            let env = Env::new();
            let store = pastry_sessions::FileStore::new(env.sessions_dir()).expect("file store");
            super::$name(store, env).await;
        }

        #[tokio::test]
        async fn sqlite() {
            let env = Env::new();
            let store = pastry_sessions::SqliteStore::open(env.dir.path().join("s.db"))
                .expect("sqlite store");
            super::$name(store, env).await;
        }

        #[tokio::test]
        async fn any_memory() {
            let env = Env::new();
            let store = pastry_sessions::AnyStore::from_url("memory:").expect("memory url");
            super::$name(store, env).await;
        }

        #[tokio::test]
        async fn any_file() {
            let env = Env::new();
            let url = format!("file:{}", env.sessions_dir().display());
            let store = pastry_sessions::AnyStore::from_url(&url).expect("file url");
            super::$name(store, env).await;
        }

        #[tokio::test]
        async fn any_sqlite() {
            let env = Env::new();
            let url = format!(
                "sqlite:{}?synchronous=full",
                env.dir.path().join("s.db").display()
            );
            let store = pastry_sessions::AnyStore::from_url(&url).expect("sqlite url");
            super::$name(store, env).await;
        }
    };
}

/// Makes concurrent requests meet after loading their session.
#[derive(Clone)]
pub struct Meet(pub Arc<Barrier>);

/// Holds a request after it loaded its session, until notified.
#[derive(Clone)]
pub struct Hold(pub Arc<Notify>);

fn query(req: &Request<Body>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// Answers one route of the test app; errors become a 500 with the message.
async fn route(req: Request<Body>) -> Result<(StatusCode, String), SessionError> {
    let Some(session) = req.session() else {
        return Ok((StatusCode::INTERNAL_SERVER_ERROR, "no session layer".into()));
    };
    let q = query(&req);
    let first = q.first().cloned().unwrap_or_default();
    let ok = |body: String| Ok((StatusCode::OK, body));
    match req.uri().path() {
        "/noop" => ok("untouched".into()),
        "/get" => {
            let value = session.get::<String>(&first.0).await?;
            ok(value.unwrap_or_else(|| "none".into()))
        }
        "/set" => {
            for (k, v) in &q {
                session.insert(k, v).await?;
            }
            ok("set".into())
        }
        "/set-fail" => {
            session.insert(&first.0, &first.1).await?;
            Ok((StatusCode::INTERNAL_SERVER_ERROR, "handler failed".into()))
        }
        "/remove" => {
            session.remove(&first.0).await?;
            ok("removed".into())
        }
        "/take" => {
            let old = session.take::<String>(&first.0).await?;
            ok(old.unwrap_or_else(|| "none".into()))
        }
        "/clear" => {
            session.clear().await?;
            ok("cleared".into())
        }
        "/contains" => ok(session.contains(&first.0).await?.to_string()),
        "/keys" => ok(session.keys().await?.join(",")),
        "/id" => {
            session.contains("x").await?;
            ok(session.id().unwrap_or_default())
        }
        "/cycle" => {
            session.cycle_id().await?;
            ok(session.id().unwrap_or_default())
        }
        "/cycle-fail" => {
            session.cycle_id().await?;
            Ok((StatusCode::INTERNAL_SERVER_ERROR, "handler failed".into()))
        }
        "/destroy" => {
            session.destroy().await?;
            ok("destroyed".into())
        }
        "/destroy-then-set" => {
            session.destroy().await?;
            session.insert(&first.0, &first.1).await?;
            ok(session.id().unwrap_or_default())
        }
        "/expiry-at" => {
            let unix_secs: u64 = first.1.parse().unwrap_or(0);
            session.set_expiry(Expiry::At(UNIX_EPOCH + Duration::from_secs(unix_secs)));
            ok("at".into())
        }
        "/expiry-idle" => {
            session.set_expiry(Expiry::Idle(Duration::from_secs(
                first.1.parse().unwrap_or(0),
            )));
            ok("idle".into())
        }
        "/expiry-browser" => {
            session.set_expiry(Expiry::BrowserSession);
            ok("browser".into())
        }
        "/meet-set" => {
            session.keys().await?;
            if let Some(Meet(barrier)) = req.extensions().get::<Meet>() {
                barrier.wait().await;
            }
            if let Some(Hold(notify)) = req.extensions().get::<Hold>() {
                notify.notified().await;
            }
            for (k, v) in &q {
                session.insert(k, v).await?;
            }
            ok("set".into())
        }
        _ => Ok((StatusCode::NOT_FOUND, "no route".into())),
    }
}

/// The test app behind `layer`.
pub fn client(layer: SessionLayer) -> TestClient {
    let app = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<Body>| async move {
            let (status, body) = match route(req).await {
                Ok(answer) => answer,
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
            let mut res = Response::new(body);
            *res.status_mut() = status;
            Ok::<_, Infallible>(res)
        });
    TestClient::new(app)
}

/// `https://localhost` + `path`: the default cookies are `Secure`.
pub fn url(path: &str) -> String {
    format!("https://localhost{path}")
}

/// The session id in the response's `Set-Cookie`, if it sets one.
pub fn set_id(res: &pastry_testkit::TestResponse) -> Option<String> {
    res.cookie("id").map(|c| c.value().to_owned())
}

/// A store wrapper that counts calls: proves what the layer does to a real
/// store, without mocking it.
#[derive(Clone)]
pub struct Counting<S> {
    pub inner: S,
    pub loads: Arc<AtomicUsize>,
    pub saves: Arc<AtomicUsize>,
    pub deletes: Arc<AtomicUsize>,
}

impl<S> Counting<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            loads: Arc::default(),
            saves: Arc::default(),
            deletes: Arc::default(),
        }
    }

    /// (loads, saves, deletes) so far.
    pub fn calls(&self) -> (usize, usize, usize) {
        (
            self.loads.load(Ordering::SeqCst),
            self.saves.load(Ordering::SeqCst),
            self.deletes.load(Ordering::SeqCst),
        )
    }
}

impl<S: SessionStore> SessionStore for Counting<S> {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load(key, now).await
    }
    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.inner.save(key, record).await
    }
    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.deletes.fetch_add(1, Ordering::SeqCst);
        self.inner.delete(key).await
    }
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        self.inner.delete_expired(now).await
    }
}

/// Every file name directly in `dir`.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
