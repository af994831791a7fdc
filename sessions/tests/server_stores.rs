//! What the Redis and PostgreSQL stores do beyond the shared suite: how
//! they keep records on the server, and how they behave when the server is
//! unreachable, answers nothing, or goes away and comes back.
//!
//! The servers are named by `PASTRY_TEST_REDIS_URL` and
//! `PASTRY_TEST_POSTGRES_URL` (unset: skipped, with one line saying so).
//! Outages are made with a TCP proxy in front of the real server, stopped
//! and restarted on the same port, so the store under test sees its server
//! vanish and return.

#![cfg(any(feature = "redis", feature = "postgres"))]

#[allow(dead_code, unused_imports)]
#[path = "suite/common.rs"]
mod common;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::StatusCode;
use pastry_sessions::{Record, SaveOutcome, SessionError, SessionKey, SessionStore};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Barrier, Notify};
use tokio::task::{JoinHandle, JoinSet};

use common::{Env, Hold, Meet, client, url};

/// Fails a test that hangs instead of letting it run forever (a guard, not
/// a timing assertion: every operation below has a much shorter timeout).
async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), test)
        .await
        .expect("the test hung")
}

fn key(n: u8) -> SessionKey {
    SessionKey::from_bytes([n; 32])
}

fn live_record() -> Record {
    let now = SystemTime::now();
    let mut record = Record::new(now, now + Duration::from_secs(3600));
    record.data.insert("k".into(), "v".into());
    record
}

/// Whether `error` is the store saying its server is unreachable.
fn is_unavailable(error: &SessionError) -> bool {
    matches!(error, SessionError::Unavailable(_))
        && error.status() == StatusCode::SERVICE_UNAVAILABLE
}

/// `url` pointed at `addr` instead of its own host and port, and the
/// address it named (with `default_port` when it named none).
fn retarget(url: &str, addr: SocketAddr, default_port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("scheme://");
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let target = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    };
    (format!("{scheme}://{userinfo}{addr}{tail}"), target)
}

/// A port nothing listens on: bound, then released.
fn refused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// A TCP forwarder to a real server that can be stopped (its port then
/// refuses, and every forwarded connection is cut) and started again on
/// the same port.
struct Proxy {
    addr: SocketAddr,
    target: String,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let mut proxy = Self {
            addr: "127.0.0.1:0".parse().expect("addr"),
            target,
            task: None,
        };
        proxy.resume().await;
        proxy
    }

    async fn resume(&mut self) {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket.bind(self.addr).expect("bind the proxy port");
        let listener: TcpListener = socket.listen(64).expect("listen");
        self.addr = listener.local_addr().expect("addr");
        let target = self.target.clone();
        self.task = Some(tokio::spawn(async move {
            // Dropped with the task: aborting it cuts every connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Retries `op` until it succeeds (the store reconnecting by itself),
/// at most 100 times, 100 ms apart; the last error if it never does.
async fn eventually<T>(
    mut op: impl AsyncFnMut() -> Result<T, SessionError>,
) -> Result<T, SessionError> {
    let mut last = None;
    for _ in 0..100 {
        match op().await {
            Ok(value) => return Ok(value),
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last.expect("tried"))
}

/// Through the layer, with the store's server unreachable: a request that
/// does not use its session is served; one that does fails with a server
/// error at once (no hang); the store error it got says "unavailable".
async fn unreachable_store_fails_session_requests_and_serves_the_rest<S>(store: S)
where
    S: SessionStore + Clone,
{
    let env = Env::new();
    let error = store
        .load(&key(1), SystemTime::now())
        .await
        .expect_err("the server is unreachable");
    assert!(is_unavailable(&error), "{error:?}");
    let error = store
        .save(&key(1), &live_record())
        .await
        .expect_err("the server is unreachable");
    assert!(is_unavailable(&error), "{error:?}");

    let client = client(env.layer(store));
    let res = client.get(url("/noop")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text(), "untouched");
    let res = client.get(url("/set?k=v")).expect_failure().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}

/// The whole outage cycle on one store object: works, the server goes
/// away (requests using the session fail, others are served; a save at the
/// end of a request fails with the layer's own server error), the server
/// comes back and the same store works again without being rebuilt.
async fn store_recovers_by_itself_when_its_server_returns<S>(store: S, mut proxy: Proxy)
where
    S: SessionStore + Clone,
{
    let env = Env::new();
    let client = client(env.layer(store.clone()));
    assert_eq!(client.get(url("/set?k=before")).await.status(), 200);
    assert_eq!(client.get(url("/get?k")).await.text(), "before");

    // A request that loaded its session just before the outage: its save,
    // after the handler, fails, and the layer answers a server error.
    let meet = Meet(Arc::new(Barrier::new(2)));
    let hold = Hold(Arc::new(Notify::new()));
    let held = tokio::spawn(
        client
            .get(url("/meet-set?k=during"))
            .expect_failure()
            .extension(meet.clone())
            .extension(hold.clone())
            .into_future(),
    );
    meet.0.wait().await;
    proxy.stop().await;
    hold.0.notify_one();
    let res = held.await.expect("held request");
    // The layer's own answer to a save the store could not make: 503.
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.header("set-cookie"), None);

    assert_eq!(client.get(url("/noop")).await.status(), 200);
    let res = client.get(url("/get?k")).expect_failure().await;
    assert!(res.status().is_server_error(), "{}", res.status());
    let error = store
        .load(&key(9), SystemTime::now())
        .await
        .expect_err("down");
    assert!(is_unavailable(&error), "{error:?}");

    proxy.resume().await;
    eventually(async || store.load(&key(9), SystemTime::now()).await)
        .await
        .expect("the store reconnects by itself");
    // The session from before the outage is intact; the held request's
    // change was never half-written.
    assert_eq!(client.get(url("/get?k")).await.text(), "before");
    assert_eq!(client.get(url("/set?k=after")).await.status(), 200);
    assert_eq!(client.get(url("/get?k")).await.text(), "after");
}

#[cfg(feature = "redis")]
mod redis_store {
    use super::*;
    use common::servers::Redis;
    use pastry_sessions::{AnyStore, RedisStore};
    use sha2::{Digest, Sha256};

    /// `ms` since the Unix epoch.
    fn millis(t: SystemTime) -> i64 {
        i64::try_from(
            t.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn records_live_under_the_hashed_id_with_the_expiry_as_native_ttl() {
        let Some(server) = Redis::new() else { return };
        let env = Env::new();
        let client = client(env.layer(server.store()));
        client.get(url("/set?k=v")).await;
        let id = client.cookie("id").expect("session cookie");
        let hashed = format!("{:x}", Sha256::digest(id.as_bytes()));
        assert_eq!(server.keys(), [format!("{}{hashed}", server.prefix)]);
        assert!(
            !server.keys()[0].contains(&id),
            "the id never reaches Redis"
        );

        let store = server.store();
        let record = live_record();
        assert_eq!(
            store.save(&key(1), &record).await.unwrap(),
            SaveOutcome::Saved
        );
        let redis_key = format!("{}{}", server.prefix, key(1).to_hex());
        let expire_at: i64 = redis::cmd("PEXPIRETIME")
            .arg(&redis_key)
            .query(&mut server.raw())
            .unwrap();
        assert_eq!(expire_at, millis(record.expires_at));
    }

    #[tokio::test]
    async fn a_record_saved_already_expired_is_dropped_by_the_server() {
        let Some(server) = Redis::new() else { return };
        let store = server.store();
        let now = SystemTime::now();
        let expired = Record::new(
            now - Duration::from_secs(120),
            now - Duration::from_secs(60),
        );
        assert_eq!(
            store.save(&key(1), &expired).await.unwrap(),
            SaveOutcome::Saved
        );
        assert_eq!(server.keys(), Vec::<String>::new());
        assert!(store.load(&key(1), now).await.unwrap().is_none());
        assert_eq!(store.delete_expired(now).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_corrupt_record_loads_as_missing() {
        let Some(server) = Redis::new() else { return };
        let store = server.store();
        let redis_key = format!("{}{}", server.prefix, key(1).to_hex());
        let _: i64 = redis::cmd("HSET")
            .arg(&redis_key)
            .arg("v")
            .arg("1")
            .arg("d")
            .arg("{not json")
            .query(&mut server.raw())
            .unwrap();
        assert!(
            store
                .load(&key(1), SystemTime::now())
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn delete_expired_leaves_keys_outside_the_prefix_alone() {
        let Some(server) = Redis::new() else { return };
        let Some(other) = Redis::new() else { return };
        let now = SystemTime::now();
        let record = live_record();
        assert_eq!(
            server.store().save(&key(1), &record).await.unwrap(),
            SaveOutcome::Saved
        );
        assert_eq!(
            other.store().save(&key(1), &record).await.unwrap(),
            SaveOutcome::Saved
        );
        // By this caller's clock both records have expired; only this
        // store's prefix is swept.
        let later = now + Duration::from_secs(7200);
        assert_eq!(server.store().delete_expired(later).await.unwrap(), 1);
        assert_eq!(server.keys(), Vec::<String>::new());
        assert_eq!(other.keys().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_compare_and_swap_is_atomic_across_connections() {
        let Some(server) = Redis::new() else { return };
        // Separate stores: separate connections, as separate processes have.
        let stores: Vec<RedisStore> = (0..8).map(|_| server.store()).collect();
        let record = live_record();
        for round in 0..20u8 {
            let saves = stores.iter().map(|s| {
                let s = s.clone();
                let record = record.clone();
                tokio::spawn(async move { s.save(&key(round), &record).await.unwrap() })
            });
            let outcomes = futures_util::future::join_all(saves).await;
            let saved = outcomes
                .into_iter()
                .filter(|o| *o.as_ref().unwrap() == SaveOutcome::Saved)
                .count();
            assert_eq!(saved, 1, "round {round}: exactly one version-0 save wins");
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_session_requests_and_serves_the_rest() {
        bounded(async {
            let url = format!("redis://{}/0", refused_addr());
            let store = RedisStore::builder()
                .timeout(Duration::from_secs(2))
                .open(&url)
                .unwrap();
            unreachable_store_fails_session_requests_and_serves_the_rest(store.clone()).await;
            let any = AnyStore::from_url(&format!("{url}?timeout=2s")).unwrap();
            unreachable_store_fails_session_requests_and_serves_the_rest(any).await;
        })
        .await;
    }

    #[tokio::test]
    async fn a_server_that_never_answers_fails_after_the_timeout() {
        bounded(async {
            // Accepts connections (the kernel's backlog) and never answers.
            let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("redis://{}/0", silent.local_addr().unwrap());
            let store = RedisStore::builder()
                .timeout(Duration::from_millis(300))
                .open(&url)
                .unwrap();
            let error = store.load(&key(1), SystemTime::now()).await.unwrap_err();
            assert!(is_unavailable(&error), "{error:?}");
            let error = store.save(&key(1), &live_record()).await.unwrap_err();
            assert!(is_unavailable(&error), "{error:?}");
        })
        .await;
    }

    #[tokio::test]
    async fn the_store_recovers_by_itself_when_the_server_returns() {
        let Some(server) = Redis::new() else { return };
        bounded(async {
            let placeholder = "127.0.0.1:1".parse().unwrap();
            let (_, target) = retarget(&server.url, placeholder, 6379);
            let proxy = Proxy::start(target).await;
            let (via_proxy, _) = retarget(&server.url, proxy.addr, 6379);
            let store = RedisStore::builder()
                .prefix(server.prefix.as_str())
                .timeout(Duration::from_secs(2))
                .open(&via_proxy)
                .unwrap();
            store_recovers_by_itself_when_its_server_returns(store, proxy).await;
        })
        .await;
    }
}

#[cfg(feature = "postgres")]
mod postgres_store {
    use super::*;
    use common::servers::Postgres;
    use pastry_sessions::{AnyStore, PostgresStore};

    #[tokio::test]
    async fn the_migration_is_idempotent_and_indexes_expiry() {
        let Some(server) = Postgres::new() else {
            return;
        };
        // Several stores (as several processes) create the table at once.
        let stores: Vec<PostgresStore> = (0..4).map(|_| server.store()).collect();
        let first = key(1);
        let loads = stores.iter().map(|s| s.load(&first, SystemTime::now()));
        for loaded in futures_util::future::join_all(loads).await {
            assert!(loaded.unwrap().is_none());
        }
        let index = server
            .select(format!(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = '{}' \
                 AND indexname = 'pastry_sessions_expires_at'",
                server.schema
            ))
            .unwrap();
        assert!(index.ends_with("(expires_at)"), "{index}");
        // A store opened later finds it all in place.
        assert!(
            server
                .store()
                .load(&key(1), SystemTime::now())
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn delete_expired_removes_everything_in_bounded_batches() {
        let Some(server) = Postgres::new() else {
            return;
        };
        let store = server.builder().cleanup_batch(2).open(&server.url).unwrap();
        let now = SystemTime::now();
        let expired = Record::new(
            now - Duration::from_secs(120),
            now - Duration::from_secs(60),
        );
        for n in 0..5 {
            assert_eq!(
                store.save(&key(n), &expired).await.unwrap(),
                SaveOutcome::Saved
            );
        }
        assert_eq!(
            store.save(&key(9), &live_record()).await.unwrap(),
            SaveOutcome::Saved
        );
        assert_eq!(store.delete_expired(now).await.unwrap(), 5);
        assert_eq!(store.delete_expired(now).await.unwrap(), 0);
        assert!(store.load(&key(9), now).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn tables_of_other_names_are_other_stores() {
        let Some(server) = Postgres::new() else {
            return;
        };
        let a = server.builder().table("a").open(&server.url).unwrap();
        let b = server.builder().table("b").open(&server.url).unwrap();
        assert_eq!(
            a.save(&key(1), &live_record()).await.unwrap(),
            SaveOutcome::Saved
        );
        assert!(b.load(&key(1), SystemTime::now()).await.unwrap().is_none());
        assert_eq!(
            b.save(&key(1), &live_record()).await.unwrap(),
            SaveOutcome::Saved
        );
    }

    #[tokio::test]
    async fn a_corrupt_row_loads_as_missing() {
        let Some(server) = Postgres::new() else {
            return;
        };
        let store = server.store();
        assert_eq!(
            store.save(&key(1), &live_record()).await.unwrap(),
            SaveOutcome::Saved
        );
        server
            .batch(format!(
                "UPDATE \"{}\".pastry_sessions SET data = '{{not json'",
                server.schema
            ))
            .unwrap();
        assert!(
            store
                .load(&key(1), SystemTime::now())
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_session_requests_and_serves_the_rest() {
        let Some(server) = Postgres::new() else {
            return;
        };
        bounded(async {
            let (url, _) = retarget(&server.url, refused_addr(), 5432);
            let store = server
                .builder()
                .timeout(Duration::from_secs(2))
                .open(&url)
                .unwrap();
            unreachable_store_fails_session_requests_and_serves_the_rest(store).await;
            let any = AnyStore::from_url(&format!("{url}?timeout=2s")).unwrap();
            unreachable_store_fails_session_requests_and_serves_the_rest(any).await;
        })
        .await;
    }

    #[tokio::test]
    async fn a_server_that_never_answers_fails_after_the_timeout() {
        let Some(server) = Postgres::new() else {
            return;
        };
        bounded(async {
            let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let (url, _) = retarget(&server.url, silent.local_addr().unwrap(), 5432);
            let store = server
                .builder()
                .timeout(Duration::from_millis(300))
                .open(&url)
                .unwrap();
            let error = store.load(&key(1), SystemTime::now()).await.unwrap_err();
            assert!(is_unavailable(&error), "{error:?}");
        })
        .await;
    }

    #[tokio::test]
    async fn the_store_recovers_by_itself_when_the_server_returns() {
        let Some(server) = Postgres::new() else {
            return;
        };
        bounded(async {
            let placeholder = "127.0.0.1:1".parse().unwrap();
            let (_, target) = retarget(&server.url, placeholder, 5432);
            let proxy = Proxy::start(target).await;
            let (via_proxy, _) = retarget(&server.url, proxy.addr, 5432);
            let store = server
                .builder()
                .timeout(Duration::from_secs(2))
                .open(&via_proxy)
                .unwrap();
            store_recovers_by_itself_when_its_server_returns(store, proxy).await;
        })
        .await;
    }
}

/// `rediss://` against a TLS-only `redis-server` this test starts on a free
/// port with a certificate it makes (`openssl req`), trusted with
/// `#insecure`. Skipped, with one line, where `redis-server` or `openssl`
/// is missing (outside CI).
#[cfg(feature = "redis-tls")]
mod redis_tls {
    use super::*;
    use pastry_sessions::{AnyStore, RedisStore};
    use std::io::Write;
    use std::process::{Child, Command, Stdio};

    struct TlsServer {
        child: Child,
        port: u16,
        _dir: tempfile::TempDir,
    }

    impl Drop for TlsServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn tools_missing() -> bool {
        let missing = ["redis-server", "openssl"].iter().any(|tool| {
            Command::new(tool)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
        });
        if missing {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server and openssl are needed in CI"
            );
            let _ = writeln!(
                std::io::stderr(),
                "skipped: the rediss:// test (redis-server or openssl is missing)"
            );
        }
        missing
    }

    async fn start() -> TlsServer {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success(), "openssl req");
        let port = refused_addr().port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--tls-auth-clients", "no", "--tls-cert-file"])
            .arg(&cert)
            .arg("--tls-key-file")
            .arg(&key)
            .arg("--tls-ca-cert-file")
            .arg(&cert)
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Waits for the port to listen (the server's start-up, not a timing check).
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        TlsServer {
            child,
            port,
            _dir: dir,
        }
    }

    #[tokio::test]
    async fn rediss_urls_reach_a_tls_server() {
        if tools_missing() {
            return;
        }
        bounded(async {
            let server = start().await;
            let url = format!("rediss://127.0.0.1:{}/#insecure", server.port);
            let store = RedisStore::open(&url).unwrap();
            let record = live_record();
            assert_eq!(
                store.save(&key(1), &record).await.unwrap(),
                SaveOutcome::Saved
            );
            let loaded = store.load(&key(1), SystemTime::now()).await.unwrap();
            assert_eq!(loaded.map(|r| r.data), Some(record.data.clone()));

            let url = format!(
                "rediss://127.0.0.1:{}/?prefix=other:&timeout=2s#insecure",
                server.port
            );
            let any = AnyStore::from_url(&url).unwrap();
            assert!(
                any.load(&key(1), SystemTime::now())
                    .await
                    .unwrap()
                    .is_none()
            );
            assert_eq!(
                any.save(&key(1), &record).await.unwrap(),
                SaveOutcome::Saved
            );

            // The plain-text port refuses: the same server without TLS is
            // not reachable, so the round trip above went over TLS.
            let plain = RedisStore::builder()
                .timeout(Duration::from_secs(2))
                .open(&format!("redis://127.0.0.1:{}/", server.port))
                .unwrap();
            assert!(plain.load(&key(1), SystemTime::now()).await.is_err());
        })
        .await;
    }
}
