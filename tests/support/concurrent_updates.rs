//! 2 processes x 8 tasks update their own key in the same 100 sessions
//! through `SessionLayer`, 313 updates per task (5 008 in all): every
//! request must succeed, and afterwards each session holds each task's key
//! with the exact count, so nothing was lost to a concurrent save in this
//! process or the other one. Shared by `reliability_multiprocess.rs` (file
//! and SQLite stores) and `fleet_stores.rs` (Redis and PostgreSQL).
//!
//! The workers are the including test binary itself, re-run with an
//! environment variable set that turns its worker test from a no-op into a
//! worker ([`worker`]).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use pastry::BoxError;
use pastry::sessions::{AnyStore, SessionExt, SessionLayer};
use tower::{ServiceBuilder, ServiceExt, service_fn};

pub const PROCESSES: usize = 2;
pub const TASKS: usize = 8;
pub const SESSIONS: usize = 100;
/// Updates per task: 16 tasks x 313 = 5 008 updates per store. Lower it to
/// scale the test down on a slow machine; the checks hold for any value.
pub const UPDATES_PER_TASK: usize = 313;

/// The session task `task` of process `process` updates on its `i`th
/// request: spread over all 100, different for every task.
fn target(process: usize, task: usize, i: usize) -> usize {
    (process * 53 + task * 13 + i * 7) % SESSIONS
}

/// The app every process runs: `/bump?<key>` adds one to `<key>`,
/// `/dump` returns the session as JSON, `/new` starts a session.
fn app(
    store: AnyStore,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<impl http_body::Body<Data = Bytes, Error = impl std::fmt::Debug>>,
    Error = BoxError,
    Future = impl Send,
> + Clone
+ Send {
    ServiceBuilder::new()
        .layer(SessionLayer::new(store).secure(false))
        .service(service_fn(|req: Request<Full<Bytes>>| async move {
            let session = req.session().expect("behind a SessionLayer").clone();
            let text = match req.uri().path() {
                "/new" => {
                    session.insert("created", &true).await?;
                    String::new()
                }
                "/bump" => {
                    let key = req.uri().query().expect("a key").to_owned();
                    let n = session.get::<u64>(&key).await?.unwrap_or(0) + 1;
                    session.insert(&key, &n).await?;
                    n.to_string()
                }
                _ => {
                    let mut values = BTreeMap::new();
                    for key in session.keys().await? {
                        values.insert(key.clone(), session.get::<serde_json::Value>(&key).await?);
                    }
                    serde_json::to_string(&values)?
                }
            };
            Ok::<_, BoxError>(Response::new(Full::new(Bytes::from(text))))
        }))
}

fn request(path: &str, id: Option<&str>) -> Request<Full<Bytes>> {
    let mut builder = Request::get(path);
    if let Some(id) = id {
        builder = builder.header(header::COOKIE, format!("id={id}"));
    }
    builder.body(Full::new(Bytes::new())).expect("a request")
}

/// The body of the worker test `child_test` of the including test binary:
/// idle unless `env` is `<process>|<store url>|<ids file>`, as
/// [`no_update_is_lost_across_processes`] sets it.
pub fn worker(env: &str) {
    let Ok(spec) = std::env::var(env) else {
        return;
    };
    let mut parts = spec.splitn(3, '|');
    let (Some(process), Some(url), Some(ids)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("bad {env}={spec}");
    };
    let process: usize = process.parse().expect("process number");
    let ids: Vec<String> = std::fs::read_to_string(ids)
        .expect("ids file")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), SESSIONS);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = app(AnyStore::from_url(url).expect("the store"));
        let mut tasks = Vec::new();
        for task in 0..TASKS {
            let app = app.clone();
            let ids = ids.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..UPDATES_PER_TASK {
                    let id = &ids[target(process, task, i)];
                    let path = format!("/bump?p{process}t{task}");
                    let res = app
                        .clone()
                        .oneshot(request(&path, Some(id)))
                        .await
                        .expect("the app answers");
                    assert_eq!(res.status(), StatusCode::OK, "update {i} of task {task}");
                }
            }));
        }
        for task in tasks {
            task.await.expect("a worker task");
        }
    });
}

/// Starts [`SESSIONS`] sessions in the store at `url`, runs
/// [`PROCESSES`] workers (this test binary again, running only
/// `child_test` with `env` set), and checks every session afterwards.
pub async fn no_update_is_lost_across_processes(url: &str, env: &str, child_test: &str) {
    let app = app(AnyStore::from_url(url).expect("the store"));
    let mut ids = Vec::new();
    for _ in 0..SESSIONS {
        let res = app
            .clone()
            .oneshot(request("/new", None))
            .await
            .expect("new");
        let cookie = res.headers()[header::SET_COOKIE].to_str().expect("cookie");
        let id = cookie
            .split(';')
            .next()
            .and_then(|pair| pair.strip_prefix("id="))
            .expect("an id cookie");
        ids.push(id.to_owned());
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ids_file = dir.path().join("ids.txt");
    std::fs::write(&ids_file, ids.join("\n")).expect("writing ids");

    let children: Vec<_> = (0..PROCESSES)
        .map(|process| {
            Command::new(std::env::current_exe().expect("test binary"))
                .args([child_test, "--exact", "--test-threads=1"])
                .env(env, format!("{process}|{url}|{}", ids_file.display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawning a worker")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("a worker");
        assert!(
            out.status.success(),
            "a worker failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let mut expected: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); SESSIONS];
    for process in 0..PROCESSES {
        for task in 0..TASKS {
            for i in 0..UPDATES_PER_TASK {
                *expected[target(process, task, i)]
                    .entry(format!("p{process}t{task}"))
                    .or_default() += 1;
            }
        }
    }
    let mut total = 0;
    for (session, id) in ids.iter().enumerate() {
        let res = app
            .clone()
            .oneshot(request("/dump", Some(id)))
            .await
            .expect("dump");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        let mut found: BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(&body).expect("json");
        assert_eq!(
            found.remove("created"),
            Some(true.into()),
            "session {session} was replaced"
        );
        let found: BTreeMap<String, u64> = found
            .into_iter()
            .map(|(k, v)| (k, v.as_u64().expect("a count")))
            .collect();
        assert_eq!(found, expected[session], "session {session}");
        total += found.values().sum::<u64>();
    }
    assert_eq!(total, (PROCESSES * TASKS * UPDATES_PER_TASK) as u64);
}
