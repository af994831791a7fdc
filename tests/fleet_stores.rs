//! A fleet: several app processes sharing one Redis, then one PostgreSQL.
//!
//! - Two `altdemo` processes on different ports share the store: a client
//!   that logs in on one is logged in on the other, and logging out on the
//!   second logs it out of the first.
//! - 2 processes × 8 tasks update their own key in 100 shared sessions
//!   through `SessionLayer`, 313 updates per task (5 008 in all): every
//!   request succeeds, and afterwards each session holds each task's key
//!   with the exact count (`support/concurrent_updates.rs`, the check
//!   RELIABILITY.md has for the file and SQLite stores too). The workers
//!   are this test binary re-run with `PASTRY_FLEET_CHILD` set.
//!
//! The servers are named by `PASTRY_TEST_REDIS_URL` and
//! `PASTRY_TEST_POSTGRES_URL`; unset, the tests say so on one line and
//! return (in CI, with `CI` set, they fail instead). Each run uses a key
//! prefix or schema of its own.

#![cfg(any(feature = "redis", feature = "postgres"))]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use http::StatusCode;

#[path = "support/concurrent_updates.rs"]
mod concurrent_updates;
use concurrent_updates::no_update_is_lost_across_processes;

const CHILD_ENV: &str = "PASTRY_FLEET_CHILD";

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

/// Not a test of its own: a worker process, idle unless `PASTRY_FLEET_CHILD`
/// is set.
#[test]
fn fleet_child() {
    concurrent_updates::worker(CHILD_ENV);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store_loses_no_update_across_processes() {
    let Some(url) = redis_url() else { return };
    no_update_is_lost_across_processes(&url, CHILD_ENV, "fleet_child").await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store_loses_no_update_across_processes() {
    let Some((url, _schema)) = postgres_url() else {
        return;
    };
    no_update_is_lost_across_processes(&url, CHILD_ENV, "fleet_child").await;
}
