//! Thirty-two concurrent requests on one session (issue 16, item 5): none
//! answers a 5xx and no increment is lost, on every store.
//!
//! Every request of a round loads the same version of the session, then
//! (after all of them have loaded) increments a key of its own: request `i`
//! sets `k{i}` to its old value plus one. Every save but the first of a round
//! conflicts and must be replayed onto the record as the others left it. Two
//! rounds make every `k{i}` end at 2 only if no request's change was lost and
//! every replay kept the other requests' keys.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

use http::{Request, Response, StatusCode};
use pastry_sessions::{
    Record, SaveOutcome, SessionError, SessionExt, SessionKey, SessionLayer, SessionStore,
};
use pastry_testkit::{Body, TestClient};
use tokio::sync::Barrier;
use tower::ServiceBuilder;

use crate::common::{Env, Meet, url};

const N: usize = 32;
const ROUNDS: u64 = 2;

/// `/inc?k`: loads the session, waits at the request's `Meet` barrier (if
/// any), then increments the integer under `k`. `/dump`: every key and value.
fn client(layer: SessionLayer) -> TestClient {
    let app = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<Body>| async move {
            let answer = async {
                let session = req.session().expect("behind a SessionLayer");
                match req.uri().path() {
                    "/inc" => {
                        let key = req.uri().query().unwrap_or("k");
                        let old = session.get::<u64>(key).await?.unwrap_or(0);
                        if let Some(Meet(barrier)) = req.extensions().get::<Meet>() {
                            barrier.wait().await;
                        }
                        session.insert(key, &(old + 1)).await?;
                        Ok::<_, SessionError>("ok".to_owned())
                    }
                    _ => {
                        let mut pairs = Vec::new();
                        for key in session.keys().await? {
                            let value = session.get::<u64>(&key).await?.unwrap_or(0);
                            pairs.push(format!("{key}={value}"));
                        }
                        Ok(pairs.join(","))
                    }
                }
            };
            let (status, body) = match answer.await {
                Ok(body) => (StatusCode::OK, body),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
            let mut res = Response::new(body);
            *res.status_mut() = status;
            Ok::<_, Infallible>(res)
        });
    TestClient::new(app)
}

/// Runs the rounds and checks the outcome; returns the number of 5xx.
async fn thirty_two_requests_on_one_session<S: SessionStore>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/inc?base")).await;
    let mut server_errors = 0;
    for _ in 0..ROUNDS {
        let meet = Meet(Arc::new(Barrier::new(N)));
        let requests = (0..N).map(|i| {
            let request = client
                .get(url(&format!("/inc?k{i:02}")))
                .extension(meet.clone())
                .any_status()
                .into_future();
            tokio::spawn(request)
        });
        for response in futures_util::future::join_all(requests).await {
            let response = response.expect("request task");
            if response.status().is_server_error() {
                server_errors += 1;
            }
        }
    }
    assert_eq!(server_errors, 0, "5xx among {} requests", N as u64 * ROUNDS);
    let mut expected = vec!["base=1".to_owned()];
    expected.extend((0..N).map(|i| format!("k{i:02}={ROUNDS}")));
    assert_eq!(
        client.get(url("/dump")).await.text(),
        expected.join(","),
        "every increment kept"
    );
}

/// A store of someone else's making: the layer knows nothing of it but the
/// `SessionStore` trait, so it replays conflicts with back-off.
#[derive(Clone)]
struct Foreign<S>(S);

impl<S: SessionStore> SessionStore for Foreign<S> {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        self.0.load(key, now).await
    }
    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        self.0.save(key, record).await
    }
    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        self.0.delete(key).await
    }
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        self.0.delete_expired(now).await
    }
}

mod thirty_two_concurrent_requests_lose_nothing_and_never_500 {
    use super::*;
    use pastry_sessions::{AnyStore, FileStore, MemoryStore, SqliteStore};

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory() {
        thirty_two_requests_on_one_session(MemoryStore::new(), Env::new()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn file() {
        let env = Env::new();
        let store = FileStore::new(env.sessions_dir()).expect("file store");
        thirty_two_requests_on_one_session(store, env).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        let env = Env::new();
        let store = SqliteStore::open(env.dir.path().join("s.db")).expect("sqlite store");
        thirty_two_requests_on_one_session(store, env).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn any_file() {
        let env = Env::new();
        let url = format!("file:{}", env.sessions_dir().display());
        let store = AnyStore::from_url(&url).expect("file url");
        thirty_two_requests_on_one_session(store, env).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn any_sqlite() {
        let env = Env::new();
        let url = format!("sqlite:{}", env.dir.path().join("s.db").display());
        let store = AnyStore::from_url(&url).expect("sqlite url");
        thirty_two_requests_on_one_session(store, env).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn foreign_store_over_files() {
        let env = Env::new();
        let store = FileStore::new(env.sessions_dir()).expect("file store");
        thirty_two_requests_on_one_session(Foreign(store), env).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn foreign_store_in_memory() {
        thirty_two_requests_on_one_session(Foreign(MemoryStore::new()), Env::new()).await;
    }
}
