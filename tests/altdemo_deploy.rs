//! The altdemo's deployment side, in-process through the test kit: the
//! stylesheet at `/static`, `--trusted-proxy` (client address, scheme and
//! prefix from the front server, ignored from anyone else) and the access
//! log, one Detailed line per request with nothing secret in it.

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use pastry::accesslog::{AccessLogLayer, Format};
use pastry::sessions::AnyStore;
use pastry_testkit::TestClient;

const FRONT_SERVER: &str = "10.1.2.3:40000";

fn config() -> app::Config {
    app::Config::new(AnyStore::from_url("memory:").unwrap(), false, false)
}

fn behind_a_trusted_proxy() -> TestClient {
    let mut config = config();
    config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    TestClient::new(app::stack(config).unwrap())
}

fn front_server() -> SocketAddr {
    FRONT_SERVER.parse().unwrap()
}

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_pages_link_the_stylesheet_served_at_static() {
    let client = TestClient::new(app::stack(config()).unwrap());
    client
        .get("/")
        .await
        .assert_text_contains("<link rel=\"stylesheet\" href=\"/static/site.css\">");
    client
        .get("/static/site.css")
        .await
        .assert_status(200)
        .assert_header_contains("content-type", "text/css")
        .assert_text_contains("font-family");
    client.get("/static/missing.css").expect_status(404).await;
    // Under a mount the links still point at the site's root.
    client
        .get("/admin/")
        .basic_auth("alice", "wonderland")
        .await
        .assert_text_contains("href=\"/static/site.css\"");
}

#[tokio::test]
async fn a_trusted_front_server_gives_the_client_address_scheme_and_prefix() {
    let client = behind_a_trusted_proxy();
    let page = client
        .get("/")
        .client_addr(front_server())
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-prefix", "/app")
        .await;
    page.assert_status(200)
        .assert_text_contains("<tr><th>client address</th><td>203.0.113.9:0</td></tr>")
        .assert_text_contains("<tr><th>scheme</th><td>https</td></tr>")
        .assert_text_contains("<tr><th>script name</th><td>/app</td></tr>")
        .assert_text_contains("href=\"/app/static/site.css\"")
        .assert_text_contains("<a href=\"/app/counter\">counter</a>")
        .assert_text_contains("action=\"/app/logout\"");
    // The login redirect keeps the prefix too.
    client
        .get("/private")
        .client_addr(front_server())
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-prefix", "/app")
        .expect_status(303)
        .await
        .assert_header_contains("location", "/app/login");
}

#[tokio::test]
async fn forwarded_headers_from_anyone_else_are_ignored() {
    let client = behind_a_trusted_proxy();
    let page = client
        .get("/")
        .client_addr("198.51.100.4:5000".parse().unwrap())
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-prefix", "/evil")
        .await;
    page.assert_text_contains("<tr><th>client address</th><td>198.51.100.4:5000</td></tr>")
        .assert_text_contains("<tr><th>scheme</th><td>http</td></tr>")
        .assert_text_contains("href=\"/static/site.css\"");
    assert!(!page.text().contains("/evil/"), "{}", page.text());

    // Without --trusted-proxy nobody is believed, not even the front server.
    let plain = TestClient::new(app::stack(config()).unwrap());
    plain
        .get("/")
        .client_addr(front_server())
        .header("x-forwarded-for", "203.0.113.9")
        .await
        .assert_text_contains(&format!(
            "<tr><th>client address</th><td>{FRONT_SERVER}</td></tr>"
        ));
}

#[tokio::test]
async fn each_request_is_one_access_log_line_with_the_client_and_no_secrets() {
    let lines = Lines::default();
    let mut config = config();
    config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    config.access_log = AccessLogLayer::new()
        .format(Format::Detailed)
        .writer(lines.clone());
    let client = TestClient::new(app::stack(config).unwrap());

    client
        .post("/login")
        .client_addr(front_server())
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(303)
        .await;
    client
        .get("/private?token=hunter2")
        .client_addr(front_server())
        .header("x-forwarded-for", "203.0.113.9")
        .await
        .assert_status(200);
    client
        .get("/boom")
        .client_addr(front_server())
        .header("x-forwarded-for", "203.0.113.9")
        .expect_status(500)
        .await;

    let log = lines.text();
    let entries: Vec<&str> = log.lines().collect();
    assert_eq!(entries.len(), 3, "{log}");
    assert!(entries[0].starts_with("203.0.113.9 - "), "{log}");
    assert!(
        entries[0].contains("\"POST /login HTTP/1.1\" 303 "),
        "{log}"
    );
    // The user the session auth layer found, after login.
    assert!(entries[1].starts_with("203.0.113.9 - alice ["), "{log}");
    assert!(
        entries[1].contains("\"GET /private?token=[redacted] HTTP/1.1\" 200 "),
        "{log}"
    );
    // The panic's error id, as the catch layer gave it to the client.
    assert!(entries[2].contains("\"GET /boom HTTP/1.1\" 500 "), "{log}");
    assert!(!entries[2].ends_with(" -"), "an error id: {log}");
    for secret in ["wonderland", "hunter2", "id="] {
        assert!(!log.contains(secret), "{secret:?} in the log: {log}");
    }
}

#[test]
fn trusted_proxies_come_from_flags_or_the_environment() {
    let env = |name: &str| match name {
        "PASTRY_TRUSTED_PROXIES" => Some("10.0.0.0/8, ::1".to_owned()),
        _ => None,
    };
    let from_env = app::Options::from_args_and_env(Vec::new(), env)
        .unwrap()
        .unwrap();
    assert_eq!(
        from_env.trusted_proxies,
        vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()]
    );

    let args = [
        "--trusted-proxy",
        "127.0.0.1",
        "--trusted-proxy=192.168.0.0/16",
    ];
    let flags = app::Options::from_args_and_env(args.map(String::from), env)
        .unwrap()
        .unwrap();
    assert_eq!(
        flags.trusted_proxies,
        vec![
            "127.0.0.1".parse().unwrap(),
            "192.168.0.0/16".parse().unwrap()
        ],
        "the flags replace the environment's list"
    );

    let none = |_: &str| None;
    assert!(
        app::Options::from_args_and_env(Vec::new(), none)
            .unwrap()
            .unwrap()
            .trusted_proxies
            .is_empty()
    );
    let bad = app::Options::from_args_and_env(
        ["--trusted-proxy".to_owned(), "10.0.0.0/33".to_owned()],
        none,
    )
    .unwrap_err();
    assert!(
        bad.contains("--trusted-proxy") && bad.contains("10.0.0.0/33"),
        "{bad}"
    );
    let bad_env = app::Options::from_args_and_env(Vec::new(), |name: &str| {
        (name == "PASTRY_TRUSTED_PROXIES").then(|| "proxy.example".to_owned())
    })
    .unwrap_err();
    assert!(bad_env.contains("PASTRY_TRUSTED_PROXIES"), "{bad_env}");
}
