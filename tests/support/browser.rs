//! Headless Chromium over WebDriver (chromedriver, driven with fantoccini)
//! for the browser tests: `browser_login.rs`, `browser_cors.rs`,
//! `oidc_browser.rs`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/install-browser`).
//! Without them a test says why it was skipped and passes, unless
//! `PASTRY_REQUIRE_BROWSER` is set (CI sets it): then it fails.

#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// How long any one step may take in the browser before the test fails.
pub const STEP: Duration = Duration::from_secs(20);

/// The Chromium flags: headless, and nothing that reaches the network
/// (this machine's network is closed) or outlives the test.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1024,768",
];

/// A WebDriver session with headless Chromium, in a fresh profile; the
/// driver and its browsers are killed when this is dropped, even when the
/// test fails.
pub struct Browser {
    /// The WebDriver client (a cheap handle: clone it freely).
    pub client: Client,
    driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium session, or says why `test` is
    /// skipped and gives `None` when they are not installed (a failure
    /// when `PASTRY_REQUIRE_BROWSER` is set).
    pub async fn start_or_skip(test: &str) -> Option<Browser> {
        let (chromium, driver_path) = match installed() {
            Ok(found) => found,
            Err(why) if std::env::var_os("PASTRY_REQUIRE_BROWSER").is_none() => {
                eprintln!(
                    "{test} skipped: {why} (run .ci/install-browser; set PASTRY_REQUIRE_BROWSER=1 to make this a failure)"
                );
                return None;
            }
            Err(why) => {
                panic!("{test}: PASTRY_REQUIRE_BROWSER is set but {why}: run .ci/install-browser")
            }
        };
        let driver = Driver::start(&driver_path);
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a WebDriver session with headless Chromium");
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the WebDriver session, then stops the driver.
    pub async fn close(self) {
        self.client.clone().close().await.unwrap();
    }
}

/// `name` found on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Chromium and chromedriver, or why they cannot be used.
fn installed() -> Result<(PathBuf, PathBuf), String> {
    let chromium = on_path("chromium").ok_or("chromium is not installed")?;
    let driver = on_path("chromedriver").ok_or("chromedriver is not installed")?;
    Ok((chromium, driver))
}

/// A chromedriver child, killed with its browsers (its process group)
/// when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        use std::os::unix::process::CommandExt;
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, port };
        let deadline = Instant::now() + STEP;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within {STEP:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the browser is at a URL that satisfies `ok`; gives it.
pub async fn wait_for_url(client: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        let url = client.current_url().await.unwrap().to_string();
        if ok(&url) {
            return url;
        }
        assert!(
            Instant::now() < deadline,
            "the browser never got to {what}; it is at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the element at `css` exists and its text is `text`.
pub async fn wait_for_text(client: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + STEP;
    loop {
        let seen = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if seen == text {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never read {text:?}; it reads {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
