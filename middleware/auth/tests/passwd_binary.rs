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

fn token_cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pastry-passwd"))
        .arg("token")
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn passwd_creates_lists_and_revokes_tokens() {
    use pastry_auth::{TokenDigest, TokenStore};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    let path = file.to_str().unwrap();

    let out = token_cli(&[
        "create",
        "--roles",
        "deploy",
        "--expires-in",
        "30d",
        path,
        "ci",
        "alice",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("pst_"), "{secret}");
    let store = pastry_auth::FileTokenStore::open(&file).unwrap();
    let token = store
        .find(&TokenDigest::of(&secret))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.user(), "alice");
    assert!(token.granted_roles().contains("deploy"));
    assert!(token.expiry().is_some());

    let out = token_cli(&["create", path, "ci", "bob"]);
    assert!(!out.status.success(), "a taken name is refused");

    let out = token_cli(&["list", path]);
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.starts_with("ci\talice\tdeploy\t"), "{listed}");
    assert!(!listed.contains(&secret), "list never shows a secret");

    assert!(token_cli(&["revoke", path, "ci"]).status.success());
    assert!(!token_cli(&["revoke", path, "ci"]).status.success());
    assert!(token_cli(&["list", path]).stdout.is_empty());
}

#[test]
fn passwd_token_usage_errors_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["create", "only-a-file"],
        &["create", "--expires-in", "soon", "f", "n", "u"],
    ] {
        assert_eq!(token_cli(args).status.code(), Some(2), "{args:?}");
    }
}
