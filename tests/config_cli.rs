//! The `pastry` command, run as a process: `check` prints the tree or the
//! error, `serve` answers real requests through the file's stack.
#![cfg(all(feature = "cli", feature = "gzip"))]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PASTRY: &str = env!("CARGO_BIN_EXE_pastry");

/// `pastry ARGS` in `dir`, with no overrides from this process's
/// environment.
fn pastry(dir: &Path) -> Command {
    let mut command = Command::new(PASTRY);
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("PASTRY_") || name.starts_with("LISTEN_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "info").env("NO_COLOR", "1");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    pastry(dir).args(args).output().expect("run pastry")
}

fn body() -> String {
    "Pastry serves this text from its pastry.toml. ".repeat(40)
}

fn site(dir: &Path) {
    std::fs::create_dir(dir.join("public")).expect("mkdir");
    std::fs::write(dir.join("public/hello.txt"), "hello from a file\n").expect("write");
    std::fs::write(
        dir.join("pastry.toml"),
        format!(
            "[server]\n\
             addr = \"127.0.0.1:0\"\n\
             \n\
             [[layer]]\n\
             use = \"gzip\"\n\
             level = 6\n\
             \n\
             [[mount]]\n\
             path = \"/static\"\n\
             app = \"static\"\n\
             settings = {{ dir = \"public\" }}\n\
             \n\
             [[mount]]\n\
             path = \"/\"\n\
             app = \"text\"\n\
             settings = {{ body = \"{}\" }}\n",
            body()
        ),
    )
    .expect("write pastry.toml");
}

#[test]
fn check_prints_the_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    site(dir.path());
    let out = run(dir.path(), &["check", "pastry.toml"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).expect("utf-8"),
        format!(
            "pastry.toml\n\
             ├─ server  addr = \"127.0.0.1:0\"\n\
             ├─ gzip  level = 6\n\
             └─ url map\n\
             \u{20}  ├─ /static → static  dir = \"public\"\n\
             \u{20}  └─ / → text  body = {:?}\n",
            body()
        )
    );
}

#[test]
fn check_of_a_bad_file_prints_the_error_and_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("pastry.toml"),
        "[[layer]]\nuse = \"gzip\"\nlevel = 10\n\n[[mount]]\napp = \"text\"\nsettings = { body = \"hi\" }\n",
    )
    .expect("write");
    let out = run(dir.path(), &["check", "pastry.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8(out.stderr).expect("utf-8"),
        "error: gzip level 10 is out of range (0-9)\n --> pastry.toml:3:9\n  |\n3 | level = 10\n  |         ^^\n",
    );
}

#[test]
fn check_of_a_missing_file_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["check", "nope.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8(out.stderr).expect("utf-8"),
        "error: cannot read nope.toml: No such file or directory (os error 2)\n --> nope.toml\n",
    );
}

#[test]
fn usage_errors_print_the_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("pastry: check or serve a pastry.toml\n")
    );
    let out = run(dir.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pastry check FILE"));
}

/// A child process killed when the test ends, passing or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address in the `listening` line of `serve`'s log
/// (`INFO pastry: listening local_addr=127.0.0.1:PORT …`).
fn listening_addr(line: &str) -> Option<SocketAddr> {
    if !line.contains("listening") {
        return None;
    }
    let start = line.find("127.0.0.1:")?;
    let rest = &line[start..];
    let end = rest
        .char_indices()
        .skip("127.0.0.1:".len())
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

#[tokio::test]
async fn serve_answers_through_the_stack() {
    let dir = tempfile::tempdir().expect("tempdir");
    site(dir.path());
    let mut child = pastry(dir.path())
        .args(["serve", "pastry.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pastry serve");
    // The log (with the `listening` line) goes to stderr.
    let stdout = child.stderr.take().expect("stderr");
    let child = Killed(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
            if let Some(addr) = listening_addr(&line) {
                let _ = tx.send(Ok(addr));
            }
            line.clear();
        }
        // Drained to the end: the process exited.
        let mut rest = String::new();
        let _ = lines.read_to_string(&mut rest);
        let _ = tx.send(Err(rest));
    });
    let addr = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(addr)) => addr,
        other => panic!("no listening line: {other:?}"),
    };
    let client = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let base = format!("http://{addr}");

    let res = client
        .get(format!("{base}/static/hello.txt"))
        .send()
        .await
        .expect("GET /static/hello.txt");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("body"), "hello from a file\n");

    let res = client
        .get(format!("{base}/static/nothing.txt"))
        .send()
        .await
        .expect("GET /static/nothing.txt");
    assert_eq!(res.status(), 404);

    let res = client
        .get(format!("{base}/anything"))
        .send()
        .await
        .expect("GET /anything");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("content-encoding"), None);
    assert_eq!(res.text().await.expect("body"), body());

    let res = client
        .get(format!("{base}/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("GET / gzip");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let compressed = res.bytes().await.expect("body");
    assert!(
        compressed.len() < body().len() / 4,
        "{} bytes",
        compressed.len()
    );
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut plain)
        .expect("gunzip");
    assert_eq!(plain, body());
    drop(child);
}
