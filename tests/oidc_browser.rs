#![cfg(all(feature = "oidc", feature = "auth", feature = "sessions"))]

//! The altdemo's "Sign in with the provider" in headless Chromium, against
//! a real OpenID provider (`oidc-provider` under Node.js, on loopback):
//! the private page sends the browser to the demo's login page, its
//! provider link to the provider's login form, which is filled in as
//! `alice`; the provider sends the browser back and the demo shows its
//! private page to alice, the demo user of that name.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/install-browser`)
//! and Node.js with `tests/oidc-provider`'s packages (`npm ci` there).
//! Without them the test says why and passes, unless
//! `PASTRY_REQUIRE_BROWSER` or `PASTRY_REQUIRE_OIDC` is set (CI sets both).

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;
mod oidc_support;

use std::future::IntoFuture;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use pastry::sessions::AnyStore;
use tokio::net::TcpListener;

/// How long any one step may take in the browser before the test fails.
const STEP: Duration = Duration::from_secs(20);

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

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
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

/// Waits until the browser is at a URL that satisfies `ok`.
async fn wait_for_url(client: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_the_provider_in_chromium_reaches_the_private_page() {
    const TEST: &str = "sign_in_with_the_provider_in_chromium_reaches_the_private_page";
    let (chromium, driver_path) = match (on_path("chromium"), on_path("chromedriver")) {
        (Some(chromium), Some(driver)) => (chromium, driver),
        _ if std::env::var_os("PASTRY_REQUIRE_BROWSER").is_some() => {
            panic!(
                "{TEST}: PASTRY_REQUIRE_BROWSER is set but chromium or chromedriver is missing: run .ci/install-browser"
            )
        }
        _ => {
            eprintln!(
                "{TEST} skipped: chromium or chromedriver is not installed (.ci/install-browser)"
            );
            return;
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let demo = listener.local_addr().unwrap();
    let redirect = format!("http://{demo}/auth/oidc/callback");
    let Some(provider) = oidc_support::start_or_skip(TEST, &redirect) else {
        return;
    };
    let options = app::Options::from_args_and_env(
        [
            "--addr".to_owned(),
            demo.to_string(),
            "--oidc-issuer".to_owned(),
            provider.issuer.clone(),
            "--oidc-client-id".to_owned(),
            oidc_support::CLIENT_ID.to_owned(),
        ],
        |name| {
            (name == "PASTRY_OIDC_CLIENT_SECRET").then(|| oidc_support::CLIENT_SECRET.to_owned())
        },
    )
    .unwrap()
    .unwrap();
    let mut config = app::Config::new(AnyStore::from_url("memory:").unwrap(), false, false);
    config.oidc = app::oidc_layer(&options, &config.users_file).unwrap();
    assert!(config.oidc.is_some());
    let stack = app::stack(config).unwrap();
    tokio::spawn(pastry::serve(listener, stack).quiet(true).into_future());

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

    // The private page sends the browser to the login page, which offers
    // the provider.
    client
        .goto(&format!("http://{demo}/private"))
        .await
        .unwrap();
    let link = client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Id("provider-login"))
        .await
        .unwrap();
    assert_eq!(link.text().await.unwrap(), "Sign in with the provider");
    link.click().await.unwrap();

    // The provider's login form.
    let issuer = provider.issuer.clone();
    wait_for_url(&client, "the provider's login page", |url| {
        url.starts_with(&issuer)
    })
    .await;
    let form = client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css("form"))
        .await
        .unwrap();
    form.find(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys("alice")
        .await
        .unwrap();
    form.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("any password")
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Back at the demo, logged in as alice.
    let private = format!("http://{demo}/private");
    wait_for_url(&client, "the private page after login", |url| {
        url == private
    })
    .await;
    let user = client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Id("user"))
        .await
        .unwrap();
    assert_eq!(user.text().await.unwrap(), "alice");
    client.close().await.unwrap();
    drop(driver);
    drop(provider);
}
