//! The altdemo's black-box behaviour, run against the stack built in code
//! (`tests/altdemo.rs`) and the one built from `examples/altdemo/pastry.toml`
//! (`tests/altdemo_config.rs`): both must answer alike. The including file
//! defines `client_with(debug)`, and `app` (the demo's `app.rs`).

use crate::{app, client, client_with};
use pastry_testkit::TestClient;

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
