//! The altdemo stack served by `pastry::serve` on loopback, driven by a real
//! HTTP client (reqwest with its cookie store and gzip).

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use std::future::IntoFuture;
use std::net::SocketAddr;

use pastry::sessions::AnyStore;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(sessions: &str, debug: bool) -> Server {
        let store = AnyStore::from_url(sessions).unwrap();
        let stack = app::stack(app::Config::new(store, debug, false)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = pastry::serve(listener, stack).with_graceful_shutdown(async {
            stopped.await.ok();
        });
        Server {
            addr,
            stop,
            task: tokio::spawn(serve.into_future()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .gzip(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn count(client: &reqwest::Client, server: &Server) -> u64 {
    let res = client.get(server.url("/counter")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let start = page.find("<strong id=\"count\">").unwrap() + "<strong id=\"count\">".len();
    let end = start + page[start..].find('<').unwrap();
    page[start..end].parse().unwrap()
}

#[tokio::test]
async fn login_flow_over_http() {
    let server = Server::start("memory:", false).await;
    let client = browser();

    let res = client.get(server.url("/private")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=/private");

    let res = client
        .post(server.url("/login"))
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

    let res = client.get(server.url("/private")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("<strong id=\"user\">alice</strong>")
    );
    server.stop().await;
}

#[tokio::test]
async fn counter_and_gzip_over_http() {
    let server = Server::start("memory:", false).await;
    let client = browser();
    assert_eq!(count(&client, &server).await, 1);
    assert_eq!(count(&client, &server).await, 2);

    let res = client.get(server.url("/lorem?n=40")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // reqwest removes Content-Encoding once it has decoded the body.
    assert_eq!(
        res.text().await.unwrap().matches("<p>Lorem ipsum").count(),
        40
    );

    let raw = reqwest::Client::builder().gzip(false).build().unwrap();
    let res = raw
        .get(server.url("/lorem?n=40"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    server.stop().await;
}

#[tokio::test]
async fn server_keeps_serving_after_boom() {
    let server = Server::start("memory:", false).await;
    let client = browser();
    let res = client.get(server.url("/boom")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().contains_key("x-error-id"));
    assert!(!res.text().await.unwrap().contains("deliberate"));
    assert_eq!(count(&client, &server).await, 1);
    server.stop().await;
}

async fn session_survives_restart(sessions: &str) {
    let client = browser();
    let first = Server::start(sessions, false).await;
    assert_eq!(count(&client, &first).await, 1);
    assert_eq!(count(&client, &first).await, 2);
    first.stop().await;

    // Cookies belong to the host, not the port: the same client carries its
    // session cookie to the restarted server.
    let second = Server::start(sessions, false).await;
    assert_eq!(count(&client, &second).await, 3);
    second.stop().await;
}

#[tokio::test]
async fn file_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    session_survives_restart(&format!("file:{}", dir.path().display())).await;
}

#[tokio::test]
async fn sqlite_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    session_survives_restart(&format!(
        "sqlite:{}",
        dir.path().join("sessions.db").display()
    ))
    .await;
}

/// The altdemo binary built beside this test binary.
fn altdemo_exe() -> std::path::PathBuf {
    // `cargo test` builds the examples next to the test binaries:
    // target/<profile>/deps/this-test and target/<profile>/examples/altdemo.
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().unwrap().parent().unwrap();
    profile_dir.join("examples").join("altdemo")
}

#[tokio::test]
async fn the_demo_process_sweeps_expired_sessions_from_its_store() {
    use pastry::sessions::{Record, SaveOutcome, SessionKey, SessionStore};
    use std::time::{Duration, SystemTime};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("file:{}", dir.path().display());
    let store = AnyStore::from_url(&url).unwrap();
    let past = SystemTime::now() - Duration::from_secs(3600);
    let key = SessionKey::from_bytes([9; 32]);
    let saved = store
        .save(&key, &Record::new(past, past + Duration::from_secs(1)))
        .await
        .unwrap();
    assert!(matches!(saved, SaveOutcome::Saved));
    let on_disk = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .any(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&key.to_hex())
            })
    };
    assert!(on_disk());

    let mut demo = std::process::Command::new(altdemo_exe())
        .args(["--addr", "127.0.0.1:0", "--sessions", &url])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The demo sweeps once at start-up; wait for it (no timing assertion).
    for _ in 0..1000 {
        if !on_disk() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let swept = !on_disk();
    demo.kill().unwrap();
    demo.wait().unwrap();
    assert!(swept, "the demo process deleted the expired session");
}

#[test]
fn altdemo_help_runs() {
    let exe = altdemo_exe();
    assert!(exe.exists(), "{} was not built", exe.display());
    let out = std::process::Command::new(exe)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--sessions URL"));
    assert!(help.contains("--secure-cookies"));
}

#[tokio::test]
async fn the_demo_process_writes_an_access_log_line_per_request_to_stderr() {
    use std::io::{BufRead, BufReader};
    let mut demo = std::process::Command::new(altdemo_exe())
        .args(["--addr", "127.0.0.1:0", "--trusted-proxy", "127.0.0.1"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    BufReader::new(demo.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let base = banner
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {banner:?}"))
        .trim_end_matches('/')
        .to_owned();
    let res = reqwest::Client::new()
        .get(format!("{base}/lorem?n=2"))
        .header("x-forwarded-for", "203.0.113.9")
        .header("user-agent", "e2e-test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap();
    // The entry is written when the body ends, maybe just after the client
    // has it all: read stderr until the line comes.
    let (lines, received) = std::sync::mpsc::channel();
    let stderr = demo.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let line = loop {
        match received.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) if line.contains("\"GET /lorem?n=2 HTTP/1.1\"") => break line,
            Ok(other) => seen.push(other),
            Err(_) => panic!("no access-log line in {seen:?}"),
        }
    };
    demo.kill().unwrap();
    demo.wait().unwrap();
    assert!(line.starts_with("203.0.113.9 - - ["), "{line}");
    assert!(
        line.contains(" 200 ") && line.contains("\"e2e-test\""),
        "{line}"
    );
}

#[test]
fn a_bad_trusted_proxy_is_a_usage_error() {
    let out = std::process::Command::new(altdemo_exe())
        .args(["--trusted-proxy", "proxy.example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("proxy.example"), "{stderr}");
}
