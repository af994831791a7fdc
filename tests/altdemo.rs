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

async fn log_in(client: &TestClient, user: &str, password: &str) {
    client
        .post("/login")
        .form(&[
            ("username", user),
            ("password", password),
            ("next", "/private"),
        ])
        .expect_status(303)
        .await
        .assert_header("location", "/private");
}

#[tokio::test]
async fn context_page_shows_the_environ_escaped_and_redacted() {
    let client = client();
    client.set_cookie("theme", "dark");
    let res = client
        .get("/?q=1&r=%3Cscript%3E")
        .header("x-probe", "<b>bold</b>")
        .header("authorization", "Bearer secret-token")
        .await;
    res.assert_status(200)
        .assert_text_contains("<tr><th>method</th><td>GET</td></tr>")
        .assert_text_contains("<tr><th>path info</th><td>/</td></tr>")
        .assert_text_contains("<tr><th>query</th><td>q=1&amp;r=%3Cscript%3E</td></tr>")
        .assert_text_contains("<tr><th>remote user</th><td>(anonymous)</td></tr>")
        .assert_text_contains("&lt;b&gt;bold&lt;/b&gt;")
        .assert_text_contains("<tr><th>header authorization</th><td>(redacted)</td></tr>")
        .assert_text_contains("<tr><th>header cookie</th><td>(redacted)</td></tr>");
    assert!(!res.text().contains("secret-token"));
    assert!(!res.text().contains("dark"));
}

#[tokio::test]
async fn counter_counts_per_session() {
    let client = client();
    for expected in 1..=3 {
        let res = client.get("/counter").await;
        res.assert_text_contains(&format!("<strong id=\"count\">{expected}</strong>"));
    }
    client.clear_cookies();
    client
        .get("/counter")
        .await
        .assert_text_contains("<strong id=\"count\">1</strong>");
}

#[tokio::test]
async fn private_sends_anonymous_users_to_the_login_form() {
    let client = client();
    let res = client.get("/private").expect_status(303).await;
    res.assert_header("location", "/login?next=/private");
}

#[tokio::test]
async fn login_flow_changes_the_session_id_and_shows_the_user() {
    let client = client();
    client.get("/counter").await;
    let before = client
        .cookie("id")
        .expect("a session cookie after /counter");

    client
        .get("/login")
        .await
        .assert_text_contains("name=\"password\"");
    log_in(&client, "alice", "wonderland").await;
    let after = client.cookie("id").expect("a session cookie after login");
    assert_ne!(before, after, "login must give the session a new id");

    client
        .get("/private")
        .await
        .assert_text_contains("<strong id=\"user\">alice</strong>");
    // The counter survived the login: only the id changed.
    client
        .get("/counter")
        .await
        .assert_text_contains("<strong id=\"count\">2</strong>");
    client
        .get("/")
        .await
        .assert_text_contains("<tr><th>remote user</th><td>alice</td></tr>");

    client.post("/logout").expect_status(303).await;
    client.get("/private").expect_status(303).await;
    // Logout cleared the whole session: the counter starts again.
    client
        .get("/counter")
        .await
        .assert_text_contains("<strong id=\"count\">1</strong>");
}

#[tokio::test]
async fn the_next_user_on_the_browser_sees_nothing_of_the_last() {
    let client = client();
    log_in(&client, "alice", "wonderland").await;
    for _ in 0..3 {
        client.get("/counter").await;
    }
    client
        .get("/")
        .await
        .assert_text_contains("<tr><th>session[counter]</th><td>3</td></tr>");
    client.post("/logout").expect_status(303).await;
    log_in(&client, "bob", "builder").await;
    let page = client.get("/").await;
    page.assert_text_contains("<tr><th>remote user</th><td>bob</td></tr>");
    assert!(!page.text().contains("session[counter]"), "{}", page.text());
    client
        .get("/counter")
        .await
        .assert_text_contains("<strong id=\"count\">1</strong>");
}

#[tokio::test]
async fn logout_is_post_only_and_refuses_other_sites() {
    let client = client();
    log_in(&client, "alice", "wonderland").await;
    client
        .get("/logout")
        .expect_status(405)
        .await
        .assert_header("allow", "POST");
    client
        .post("/logout")
        .header("sec-fetch-site", "cross-site")
        .expect_status(403)
        .await;
    client
        .post("/logout")
        .header("host", "127.0.0.1:8080")
        .header("origin", "http://evil.example")
        .expect_status(403)
        .await;
    client
        .get("/private")
        .await
        .assert_text_contains("<strong id=\"user\">alice</strong>");
    client
        .post("/logout")
        .header("sec-fetch-site", "same-origin")
        .form(&[("next", "//evil.example")])
        .expect_status(303)
        .await
        .assert_header("location", "/");
    client.get("/private").expect_status(303).await;
}

#[tokio::test]
async fn a_name_locked_out_on_the_login_form_is_locked_out_on_admin() {
    let client = client();
    for _ in 0..5 {
        client
            .post("/login")
            .form(&[("username", "alice"), ("password", "guess")])
            .expect_status(401)
            .await;
    }
    client
        .post("/login")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(429)
        .await;
    client
        .get("/admin/")
        .basic_auth("alice", "wonderland")
        .expect_status(429)
        .await;
}

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

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let client = client();
    let wrong = client
        .post("/login")
        .form(&[("username", "alice"), ("password", "nope")])
        .expect_status(401)
        .await;
    let unknown = client
        .post("/login")
        .form(&[("username", "mallory"), ("password", "nope")])
        .expect_status(401)
        .await;
    wrong.assert_text_contains("name=\"password\"");
    assert_eq!(
        wrong.text().replace("alice", ""),
        unknown.text().replace("mallory", "")
    );
}

#[tokio::test]
async fn open_redirects_are_refused_at_login() {
    let client = client();
    let res = client
        .post("/login")
        .form(&[
            ("username", "bob"),
            ("password", "builder"),
            ("next", "//evil.example"),
        ])
        .expect_status(303)
        .await;
    res.assert_header("location", "/");
}

#[tokio::test]
async fn admin_needs_basic_auth_and_the_admin_role() {
    let client = client();
    let missing = client.get("/admin/").expect_status(401).await;
    missing.assert_header(
        "www-authenticate",
        "Basic realm=\"pastry admin\", charset=\"UTF-8\"",
    );
    client
        .get("/admin/")
        .basic_auth("alice", "wrong")
        .expect_status(401)
        .await;
    client
        .get("/admin/")
        .basic_auth("bob", "builder")
        .expect_status(403)
        .await;
    client
        .get("/admin/")
        .basic_auth("alice", "wonderland")
        .await
        .assert_text_contains("<strong id=\"user\">alice</strong>");
}

#[tokio::test]
async fn lorem_is_gzipped_and_small_pages_are_not() {
    let client = client();
    let res = client
        .get("/lorem?n=50")
        .header("accept-encoding", "gzip")
        .await;
    res.assert_header("content-encoding", "gzip");
    assert!(res.raw_bytes().len() * 5 < res.bytes().len());
    assert_eq!(res.text().matches("<p>Lorem ipsum").count(), 50);

    let capped = client.get("/lorem?n=100000").await;
    assert_eq!(
        capped.text().matches("<p>Lorem ipsum").count(),
        app::MAX_PARAGRAPHS
    );

    let small = client.get("/blog/").header("accept-encoding", "gzip").await;
    small.assert_no_header("content-encoding");
}

#[tokio::test]
async fn boom_in_production_leaks_no_panic_text() {
    let client = client();
    let res = client.get("/boom").expect_status(500).await;
    let id = res.header("x-error-id").expect("an error id").to_owned();
    res.assert_text_contains(&id);
    assert!(!res.text().contains("deliberate"));
    // The server keeps serving.
    client.get("/counter").await;
}

#[tokio::test]
async fn boom_in_debug_mode_shows_the_panic() {
    let client = client_with(true);
    let res = client.get("/boom").expect_status(500).await;
    res.assert_text_contains("boom: the demo&#39;s deliberate panic");
}

#[tokio::test]
async fn mounted_apps_see_their_script_name() {
    let client = client();
    client
        .get("/blog/posts/1")
        .await
        .assert_text_contains("SCRIPT_NAME = \"/blog\"\nPATH_INFO = \"/posts/1\"");
    client
        .get("/forum")
        .await
        .assert_text_contains("SCRIPT_NAME = \"/forum\"\nPATH_INFO = \"\"");
    client.get("/blogger").expect_status(404).await;
}

#[tokio::test]
async fn the_axum_api_is_mounted() {
    let client = client();
    let routes = serde_json::json!({"routes": ["/api/health", "/api/echo/{word}", "/api/me"]});
    client.get("/api").await.assert_json(&routes);
    client.get("/api/").await.assert_json(&routes);
    client
        .get("/api/health")
        .await
        .assert_json(&serde_json::json!({"status": "ok"}));
    client
        .get("/api/echo/pastry")
        .await
        .assert_text_contains("pastry");
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

#[tokio::test]
async fn the_cross_origin_layer_refuses_other_sites_before_any_session() {
    let client = client();
    // `/counter` changes the session on any method; only the layer stops
    // another site's form from doing it.
    let res = client
        .post("/counter")
        .header("sec-fetch-site", "cross-site")
        .expect_status(403)
        .await;
    res.assert_text_contains("cross-origin request refused");
    assert_eq!(res.header("set-cookie"), None);
    // Login CSRF from another port of the same host (same-site) too.
    let res = client
        .post("/login")
        .header("sec-fetch-site", "same-site")
        .header("origin", "http://127.0.0.1:9999")
        .form(&[("username", "bob"), ("password", "builder")])
        .expect_status(403)
        .await;
    res.assert_text_contains("cross-origin request refused");
    assert_eq!(res.header("set-cookie"), None);
    client.get("/private").expect_status(303).await;
}

#[tokio::test]
async fn a_websocket_handshake_from_another_origin_is_refused() {
    let client = client();
    log_in(&client, "alice", "wonderland").await;
    client
        .get("/")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("origin", "http://evil.example")
        .expect_status(403)
        .await
        .assert_text_contains("WebSocket");
    client
        .get("/")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("origin", "http://localhost")
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn logged_in_pages_are_cache_control_private() {
    let client = client();
    log_in(&client, "alice", "wonderland").await;
    client
        .get("/private")
        .await
        .assert_header("cache-control", "private");
    client
        .get("/counter")
        .await
        .assert_header("cache-control", "private");
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
