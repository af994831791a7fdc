//! The altdemo stack in-process, through the test kit: every route, the login
//! flow, sessions, Basic auth, gzip, error pages and the mounts.

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use pastry::sessions::AnyStore;
use pastry_testkit::TestClient;

fn client_with(debug: bool) -> TestClient {
    let store = AnyStore::from_url("memory:").unwrap();
    let stack = app::stack(app::Config::new(store, debug, false)).unwrap();
    TestClient::new(stack)
}

fn client() -> TestClient {
    client_with(false)
}

#[path = "support/altdemo_cases.rs"]
mod cases;

#[tokio::test]
async fn the_cleanup_task_sweeps_expired_sessions() {
    use pastry::sessions::{Record, SessionKey, SessionStore};
    use std::time::{Duration, SystemTime};

    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::from_url(&format!("file:{}", dir.path().display())).unwrap();
    let past = SystemTime::now() - Duration::from_secs(3600);
    let key = SessionKey::from_bytes([7; 32]);
    let saved = store
        .save(&key, &Record::new(past, past + Duration::from_secs(1)))
        .await
        .unwrap();
    assert!(matches!(saved, pastry::sessions::SaveOutcome::Saved));
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
    assert!(on_disk(), "the expired record is on disk");
    let cleanup = app::spawn_cleanup(&store);
    // The first sweep runs at once; wait for it (no timing assertion).
    for _ in 0..500 {
        if !on_disk() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cleanup.abort();
    assert!(!on_disk(), "the cleanup task deleted the expired record");
}

#[test]
fn options_come_from_flags_then_environment_then_defaults() {
    let none = |_: &str| None;
    let defaults = app::Options::from_args_and_env(Vec::new(), none)
        .unwrap()
        .unwrap();
    assert_eq!(defaults.addr, "127.0.0.1:8080");
    assert_eq!(defaults.sessions, "memory:");
    assert!(!defaults.debug && !defaults.secure_cookies && !defaults.csrf_tokens);

    let env = |name: &str| match name {
        "PASTRY_ADDR" => Some("127.0.0.1:9000".to_owned()),
        "PASTRY_SESSIONS" => Some("sqlite:/tmp/s.db".to_owned()),
        "PASTRY_DEBUG" => Some("1".to_owned()),
        "PASTRY_CSRF_TOKENS" => Some("yes".to_owned()),
        _ => None,
    };
    let from_env = app::Options::from_args_and_env(Vec::new(), env)
        .unwrap()
        .unwrap();
    assert_eq!(from_env.addr, "127.0.0.1:9000");
    assert_eq!(from_env.sessions, "sqlite:/tmp/s.db");
    assert!(from_env.debug && from_env.csrf_tokens);

    let args = [
        "--addr",
        "0.0.0.0:1",
        "--sessions=file:/tmp/x",
        "--secure-cookies",
        "--csrf-tokens",
    ];
    let flags = app::Options::from_args_and_env(args.map(String::from), env)
        .unwrap()
        .unwrap();
    assert_eq!(flags.addr, "0.0.0.0:1");
    assert_eq!(flags.sessions, "file:/tmp/x");
    assert!(flags.secure_cookies && flags.csrf_tokens);

    assert_eq!(
        app::Options::from_args_and_env(["--help".to_owned()], none).unwrap(),
        None
    );
    assert!(app::Options::from_args_and_env(["--bogus".to_owned()], none).is_err());
    assert!(app::Options::from_args_and_env(["--addr".to_owned()], none).is_err());
}

/// The value of the hidden `csrf_token` input in `page`.
fn csrf_token(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a csrf_token field") + marker.len();
    let end = start + page[start..].find('"').expect("a closing quote");
    page[start..end].to_owned()
}

#[tokio::test]
async fn with_csrf_tokens_the_forms_carry_the_token_and_posts_need_it() {
    let store = AnyStore::from_url("memory:").unwrap();
    let mut config = app::Config::new(store, false, false);
    config.csrf_tokens = true;
    let client = TestClient::new(app::stack(config).unwrap());

    // Same-origin, but no token: refused.
    let no_token = [("username", "alice"), ("password", "wonderland")];
    client
        .post("/login")
        .header("sec-fetch-site", "same-origin")
        .form(&no_token)
        .expect_status(403)
        .await
        .assert_text_contains("CSRF token");

    // The login form carries the token; posting it back logs in.
    let before = csrf_token(&client.get("/login").await.text());
    client
        .post("/login")
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", before.as_str()),
        ])
        .expect_status(303)
        .await;
    let page = client.get("/private").await;
    page.assert_text_contains("<strong id=\"user\">alice</strong>");

    // Login rotated the token: the logout button carries the new one, and
    // the old one is refused.
    let after = csrf_token(&page.text());
    assert_ne!(before, after);
    client
        .post("/logout")
        .form(&[("csrf_token", before.as_str())])
        .expect_status(403)
        .await;
    client
        .post("/logout")
        .form(&[("csrf_token", after.as_str())])
        .expect_status(303)
        .await;
    client.get("/private").expect_status(303).await;
}
