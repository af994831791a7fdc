//! The `pastry-passwd` program end to end, password on standard input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use pastry_auth::{FileUserStore, PasswordHasher, UserStore};

fn passwd(file: &Path, user: &str, password: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pastry-passwd"))
        .args(["--stdin", "--memory", "64", "--iterations", "1"])
        .args(extra)
        .arg(file)
        .arg(user)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A program that refuses its arguments may exit before reading stdin.
    let written = child.stdin.take().unwrap().write_all(password.as_bytes());
    if let Err(error) = written {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn passwd_adds_then_updates_a_user() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users");
    let hasher = PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap();

    let out = passwd(&file, "alice", "first\n", &["--roles", "admin,ops"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = passwd(&file, "bob", "bobpw\n", &[]);
    assert!(out.status.success());

    let users = FileUserStore::open(&file).unwrap();
    let alice = users.find("alice").await.unwrap().unwrap();
    assert!(hasher.verify_blocking("first", alice.password_hash()));
    assert_eq!(alice.roles().iter().collect::<Vec<_>>(), ["admin", "ops"]);

    let out = passwd(&file, "alice", "second\r\n", &[]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().next().unwrap().starts_with("alice:$argon2id$"));
    let users = FileUserStore::open(&file).unwrap();
    let alice = users.find("alice").await.unwrap().unwrap();
    assert!(hasher.verify_blocking("second", alice.password_hash()));
    assert!(!hasher.verify_blocking("first", alice.password_hash()));
    assert!(
        alice.roles().contains("admin"),
        "roles kept without --roles"
    );
    assert!(!text.contains("second"), "no plaintext in the file");
}

#[test]
fn passwd_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users");
    assert_eq!(passwd(&file, "alice", "\n", &[]).status.code(), Some(1));
    assert_eq!(passwd(&file, "a:b", "pw\n", &[]).status.code(), Some(1));
    assert_eq!(
        passwd(&file, "alice", "pw\n", &["--memory"]).status.code(),
        Some(2)
    );
    assert!(!file.exists());
}
