//! A fleet: several app processes sharing one Redis, then one PostgreSQL.
//!
//! - Two `altdemo` processes on different ports share the store: a client
//!   that logs in on one is logged in on the other, and logging out on the
//!   second logs it out of the first.
//! - 2 processes × 8 tasks update their own key in 100 shared sessions
//!   through `SessionLayer`, 313 updates per task (5 008 in all): every
//!   request succeeds, and afterwards each session holds each task's key
//!   with the exact count (the multi-process test RELIABILITY.md has for
//!   the file and SQLite stores). The workers are this test binary re-run
//!   with `PASTRY_FLEET_CHILD` set.
//!
//! The servers are named by `PASTRY_TEST_REDIS_URL` and
//! `PASTRY_TEST_POSTGRES_URL`; unset, the tests say so on one line and
//! return (in CI, with `CI` set, they fail instead). Each run uses a key
//! prefix or schema of its own.

#![cfg(any(feature = "redis", feature = "postgres"))]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use pastry::BoxError;
use pastry::sessions::{AnyStore, SessionExt, SessionLayer};
use tower::{ServiceBuilder, ServiceExt, service_fn};

const CHILD_ENV: &str = "PASTRY_FLEET_CHILD";
const PROCESSES: usize = 2;
const TASKS: usize = 8;
const SESSIONS: usize = 100;
/// Updates per task: 16 tasks x 313 = 5 008 updates per store.
const UPDATES_PER_TASK: usize = 313;

/// The server URL in `var`, or `None` after saying why the test is skipped.
fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} is not set: in CI the fleet tests must run (.ci/run sets it)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "skipped: a fleet test ({var} is not set)"
            );
            None
        }
    }
}

/// A name no other run uses: letters, digits and `_`.
fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
        % 1_000_000_000_000;
    format!("{tag}_{}_{nanos}", std::process::id())
}

fn with_option(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={value}")
}

/// The store URL for this run: the server with its own prefix or schema.
fn redis_url() -> Option<String> {
    let url = server_url("PASTRY_TEST_REDIS_URL")?;
    Some(with_option(
        &url,
        "prefix",
        &format!("{}:", unique("fleet")),
    ))
}

/// The PostgreSQL URL for this run, and a guard dropping its schema.
fn postgres_url() -> Option<(String, DropSchema)> {
    let url = server_url("PASTRY_TEST_POSTGRES_URL")?;
    let schema = unique("fleet");
    Some((
        with_option(&url, "schema", &schema),
        DropSchema { url, schema },
    ))
}

/// Drops the run's schema at the end (best effort, with `psql`).
struct DropSchema {
    url: String,
    schema: String,
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.url)
            .args([
                "-qc",
                &format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

// ---- two altdemo processes, one login --------------------------------------

/// The altdemo binary built beside this test binary.
fn altdemo_exe() -> std::path::PathBuf {
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().unwrap().parent().unwrap();
    profile_dir.join("examples").join("altdemo")
}

/// A running altdemo process and its address; killed when dropped.
struct Demo {
    child: Child,
    base: String,
}

impl Demo {
    fn start(sessions: &str) -> Demo {
        let exe = altdemo_exe();
        assert!(exe.exists(), "{} was not built", exe.display());
        let mut child = Command::new(exe)
            .args(["--addr", "127.0.0.1:0", "--sessions", sessions])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("altdemo starts");
        // The first line names the address: "Pastry altdemo on http://ADDR/ (…)".
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the banner");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        Demo { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login_on_one_is_login_on_the_other(sessions: &str) {
    let one = Demo::start(sessions);
    let two = Demo::start(sessions);
    assert_ne!(one.base, two.base);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let res = client.get(two.url("/private")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "not logged in yet");

    let res = client
        .post(one.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("next", "/private"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/private");

    // Cookies are not per port: the same session cookie goes to both.
    let res = client.get(two.url("/private")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "logged in on the other process"
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("<strong id=\"user\">alice</strong>")
    );

    let res = client.post(two.url("/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client.get(one.url("/private")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "logged out on both");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_two_demo_processes_share_a_login() {
    let Some(url) = redis_url() else { return };
    login_on_one_is_login_on_the_other(&url).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_two_demo_processes_share_a_login() {
    let Some((url, _schema)) = postgres_url() else {
        return;
    };
    login_on_one_is_login_on_the_other(&url).await;
}

// ---- 2 processes x 8 tasks, 5 008 updates ----------------------------------

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

/// Not a test of its own: a worker process, idle unless `PASTRY_FLEET_CHILD`
/// is `<process>|<store url>|<ids file>`.
#[test]
fn fleet_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, '|');
    let (Some(process), Some(url), Some(ids)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("bad {CHILD_ENV}");
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

async fn no_update_is_lost_across_processes(url: &str) {
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
                .args(["fleet_child", "--exact", "--test-threads=1"])
                .env(CHILD_ENV, format!("{process}|{url}|{}", ids_file.display()))
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

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store_loses_no_update_across_processes() {
    let Some(url) = redis_url() else { return };
    no_update_is_lost_across_processes(&url).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store_loses_no_update_across_processes() {
    let Some((url, _schema)) = postgres_url() else {
        return;
    };
    no_update_is_lost_across_processes(&url).await;
}
