//! A real nginx on loopback, started with its own config and prefix in a
//! temp dir, in front of `pastry::serve` running the proxy layer, a URL
//! map and an app that echoes its environ: the client address, scheme and
//! prefix the app sees are the browser's, and what a client sends to spoof
//! them is overwritten by nginx or ignored.
//!
//! Needs the Debian package `nginx` (`.ci/install-nginx`). Without it the
//! test says it is skipped and passes, unless `PASTRY_REQUIRE_NGINX` is
//! set, when it fails. `PASTRY_NGINX=/path/to/nginx` picks the binary.

#![cfg(all(feature = "proxy", feature = "urlmap"))]

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use pastry::Environ;
use pastry::proxy::ProxyLayer;
use pastry::urlmap::UrlMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};
use tower::{ServiceBuilder, service_fn};

/// The `proxy_set_header` lines the crate docs and README give.
const PROXY_HEADERS: &str = "
        proxy_set_header Host              $http_host;
        proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Host  $http_host;
        proxy_set_header X-Forwarded-Port  $server_port;
        proxy_set_header Forwarded         \"\";";

/// `PASTRY_NGINX` if set (a path), else `nginx` on `PATH` or in
/// `/usr/sbin`.
fn nginx_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PASTRY_NGINX") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let candidates = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("nginx"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    candidates
        .into_iter()
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|candidate| candidate.is_file())
}

fn required() -> bool {
    std::env::var_os("PASTRY_REQUIRE_NGINX").is_some_and(|v| !v.is_empty() && v != "0")
}

/// nginx in the foreground, killed when dropped.
struct Nginx {
    child: Child,
    prefix: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("error.log")).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(prefix: &Path, port: u16, backend: SocketAddr) -> String {
    let dir = prefix.display();
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        # The app under a prefix.
        location /app/ {{
            proxy_pass http://{backend}/;{PROXY_HEADERS}
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Prefix /app;
        }}
        # As a TLS-terminating front would say it (this nginx has no
        # certificate): the scheme comes from nginx, not from the client.
        location /tls/ {{
            proxy_pass http://{backend}/;{PROXY_HEADERS}
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Prefix /tls;
        }}
        # The app at the root.
        location / {{
            proxy_pass http://{backend};{PROXY_HEADERS}
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Prefix \"\";
        }}
    }}
}}
"
    )
}

async fn start_nginx(binary: &Path, prefix: &Path, backend: SocketAddr) -> (Nginx, u16) {
    let port = free_port();
    std::fs::write(prefix.join("nginx.conf"), config(prefix, port, backend)).unwrap();
    let child = Command::new(binary)
        .arg("-p")
        .arg(prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .arg("-e")
        .arg(prefix.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let nginx = Nginx {
        child,
        prefix: prefix.to_owned(),
    };
    // Wait until it listens (bounded; not a timing assertion).
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (nginx, port);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nginx did not start listening:\n{}", nginx.error_log());
}

/// The app behind nginx: the proxy layer, then a map with `/sub`.
async fn start_backend() -> SocketAddr {
    let echo = service_fn(|req: Request<Incoming>| async move {
        let line = format!(
            "client={} scheme={} host={} script_name={} path_info={} url_for={}",
            req.client_addr().map_or("-".into(), |a| a.ip().to_string()),
            req.url_scheme(),
            req.headers()
                .get("host")
                .map_or("-", |h| h.to_str().unwrap_or("?")),
            req.script_name(),
            req.path_info(),
            req.url_for("/x"),
        );
        Ok::<_, Infallible>(Response::new(line))
    });
    let app = ServiceBuilder::new()
        .layer(
            ProxyLayer::builder()
                .trust("127.0.0.1")
                .trust("::1")
                .hops(1)
                .build()
                .unwrap(),
        )
        .layer(UrlMap::builder().mount("/sub", echo).into_layer().unwrap())
        .service(echo);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pastry::serve(listener, app).quiet(true).into_future());
    addr
}

/// One HTTP/1.1 request from 127.0.0.2 (so the client's address differs
/// from the proxy's), with spoofing headers and `extra` header lines;
/// returns the response head and body.
async fn request_from_client(
    port: u16,
    method: &str,
    path: &str,
    extra: &str,
    body: &str,
) -> (String, String) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n\
         X-Forwarded-Prefix: /evil\r\nX-Forwarded-Host: evil.example\r\n\
         Forwarded: for=6.6.6.6;proto=https\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

/// A GET through [`request_from_client`] that must answer 200; its body.
async fn get_from_client(port: u16, path: &str) -> String {
    let (head, body) = request_from_client(port, "GET", path, "", "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body
}

/// The value of header `name` in a response head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn nginx_or_skip(test: &str) -> Option<PathBuf> {
    let binary = nginx_binary();
    if binary.is_none() {
        if required() {
            panic!("nginx is not installed and PASTRY_REQUIRE_NGINX is set: run .ci/install-nginx");
        }
        println!(
            "{test} skipped: nginx is not installed (.ci/install-nginx installs it; PASTRY_REQUIRE_NGINX=1 makes this a failure)"
        );
    }
    binary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_in_front_gives_the_app_the_clients_address_scheme_and_prefix() {
    let Some(binary) =
        nginx_or_skip("nginx_in_front_gives_the_app_the_clients_address_scheme_and_prefix")
    else {
        return;
    };
    let prefix = tempfile::tempdir().unwrap();
    let backend = start_backend().await;
    let (nginx, port) = start_nginx(&binary, prefix.path(), backend).await;
    let host = format!("127.0.0.1:{port}");

    let body = get_from_client(port, "/app/sub/page?q=1").await;
    assert_eq!(
        body,
        format!(
            "client=127.0.0.2 scheme=http host={host} script_name=/app/sub path_info=/page url_for=/app/sub/x"
        ),
        "{}",
        nginx.error_log()
    );

    let body = get_from_client(port, "/page").await;
    assert_eq!(
        body,
        format!("client=127.0.0.2 scheme=http host={host} script_name= path_info=/page url_for=/x")
    );

    let body = get_from_client(port, "/tls/sub/").await;
    assert_eq!(
        body,
        format!(
            "client=127.0.0.2 scheme=https host={host} script_name=/tls/sub path_info=/ url_for=/tls/sub/x"
        )
    );

    // Straight to the app, past nginx: the peer is not trusted, so the
    // spoofing headers are ignored.
    let body = get_from_client(backend.port(), "/sub/page").await;
    assert_eq!(
        body,
        format!(
            "client=127.0.0.2 scheme=http host=127.0.0.1:{} script_name=/sub path_info=/page url_for=/sub/x",
            backend.port()
        )
    );
}

/// The demo as `--trusted-proxy 127.0.0.1` runs it, with its access log.
async fn start_demo(config: app::Config) -> SocketAddr {
    let stack = app::stack(config).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pastry::serve(listener, stack).quiet(true).into_future());
    addr
}

#[derive(Clone, Default)]
struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_behind_nginx_sees_the_client_and_keeps_the_prefix() {
    let Some(binary) = nginx_or_skip("the_demo_behind_nginx_sees_the_client_and_keeps_the_prefix")
    else {
        return;
    };
    let lines = Lines::default();
    let mut config = app::Config::new(
        pastry::sessions::AnyStore::from_url("memory:").unwrap(),
        false,
        false,
    );
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    config.access_log = pastry::accesslog::AccessLogLayer::new()
        .format(pastry::accesslog::Format::Detailed)
        .writer(lines.clone());
    let demo = start_demo(config).await;
    let prefix = tempfile::tempdir().unwrap();
    let (nginx, port) = start_nginx(&binary, prefix.path(), demo).await;

    let page = get_from_client(port, "/app/").await;
    for expected in [
        "<tr><th>client address</th><td>127.0.0.2:0</td></tr>",
        "<tr><th>scheme</th><td>http</td></tr>",
        "<tr><th>script name</th><td>/app</td></tr>",
        "href=\"/app/static/site.css\"",
        "<a href=\"/app/counter\">counter</a>",
    ] {
        assert!(
            page.contains(expected),
            "{expected} in {page}\n{}",
            nginx.error_log()
        );
    }
    assert!(!page.contains("/evil"), "{page}");
    let css = get_from_client(port, "/app/static/site.css").await;
    assert!(css.contains("font-family"), "{css}");
    let tls_page = get_from_client(port, "/tls/").await;
    assert!(
        tls_page.contains("<tr><th>scheme</th><td>https</td></tr>"),
        "{tls_page}"
    );

    // Logging in through nginx: each redirect keeps the prefix.
    let (head, _) = request_from_client(port, "GET", "/app/private", "", "").await;
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    let login = header(&head, "location").unwrap();
    let next = login
        .strip_prefix("/app/login?next=")
        .unwrap_or_else(|| panic!("the login page below the prefix: {head}"));
    assert_eq!(next, "/app/private");
    let (head, _) = request_from_client(
        port,
        "POST",
        "/app/login",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &format!("username=alice&password=wonderland&next={next}"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 303"), "{head}");
    assert_eq!(header(&head, "location"), Some("/app/private"), "{head}");
    let cookie = header(&head, "set-cookie").expect("a session cookie");
    let (name_value, _) = cookie.split_once(';').unwrap();
    let (head, page) = request_from_client(
        port,
        "GET",
        "/app/private",
        &format!("Cookie: {name_value}\r\n"),
        "",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        page.contains("<strong id=\"user\">alice</strong>"),
        "{page}"
    );

    // The access log names the client, not nginx, and the prefixed path
    // (nginx speaks HTTP/1.0 to its upstream).
    // The entry is written as the body ends, maybe just after the client
    // has it all; wait for it (bounded, not a timing assertion).
    let entry = || {
        let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let line = log
            .lines()
            .find(|line| line.contains("\"GET /app/private HTTP/1.0\" 200"))
            .map(str::to_owned);
        (line, log)
    };
    for _ in 0..100 {
        if entry().0.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (private, log) = entry();
    let private = private.unwrap_or_else(|| panic!("no entry for /app/private in {log}"));
    assert!(private.starts_with("127.0.0.2 - alice ["), "{private}");
}
