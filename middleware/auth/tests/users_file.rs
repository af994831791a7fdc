//! The users file: reload on change, bad lines, atomic saves, rehash writes.

use std::time::Duration;

use pastry_auth::{FileUserStore, PasswordHasher, User, UserStore};

fn hasher() -> PasswordHasher {
    PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap()
}

#[tokio::test]
async fn file_is_reloaded_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let h = hasher();
    FileUserStore::save_user(&path, &User::new("alice", h.hash_blocking("a").unwrap())).unwrap();
    let users = FileUserStore::open(&path)
        .unwrap()
        .check_every(Duration::ZERO);
    assert!(users.find("bob").await.unwrap().is_none());

    FileUserStore::save_user(
        &path,
        &User::builder("bob", h.hash_blocking("b").unwrap())
            .roles(["ops"])
            .build(),
    )
    .unwrap();
    let bob = users.find("bob").await.unwrap().expect("bob after reload");
    assert!(bob.roles().contains("ops"));
    assert!(users.find("alice").await.unwrap().is_some());
}

#[tokio::test]
async fn in_place_edit_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let hash = hasher().hash_blocking("a").unwrap();
    std::fs::write(&path, format!("alice:{hash}\n")).unwrap();
    let users = FileUserStore::open(&path)
        .unwrap()
        .check_every(Duration::ZERO);
    std::fs::write(&path, format!("alice:{hash}\ncarol:{hash}:admin\n")).unwrap();
    assert!(users.find("carol").await.unwrap().is_some());
}

#[tokio::test]
async fn bad_lines_are_reported_with_line_numbers_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let hash = hasher().hash_blocking("a").unwrap();
    std::fs::write(
        &path,
        format!("# users\nalice:{hash}:admin\nbob\n\u{0}:x\ncarol:{hash}\n"),
    )
    .unwrap();
    let users = FileUserStore::open(&path).unwrap();
    let lines: Vec<usize> = users.problems().iter().map(|p| p.line).collect();
    assert_eq!(lines, [3, 4]);
    assert!(users.find("alice").await.unwrap().is_some());
    assert!(users.find("carol").await.unwrap().is_some());
    assert_eq!(users.len(), 2);
}

#[tokio::test]
async fn checks_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let h = hasher();
    FileUserStore::save_user(&path, &User::new("alice", h.hash_blocking("a").unwrap())).unwrap();
    let users = FileUserStore::open(&path)
        .unwrap()
        .check_every(Duration::from_secs(3600));
    FileUserStore::save_user(&path, &User::new("bob", h.hash_blocking("b").unwrap())).unwrap();
    assert!(
        users.find("bob").await.unwrap().is_none(),
        "not checked again within the interval"
    );
    users.refresh().await;
    assert!(users.find("bob").await.unwrap().is_some());
}

#[tokio::test]
async fn missing_file_means_no_users() {
    let dir = tempfile::tempdir().unwrap();
    let users = FileUserStore::open(dir.path().join("absent")).unwrap();
    assert!(users.is_empty());
    assert!(users.find("alice").await.unwrap().is_none());
}

#[tokio::test]
async fn save_keeps_other_lines_and_roles_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let h = hasher();
    let hash = h.hash_blocking("a").unwrap();
    std::fs::write(
        &path,
        format!("# keep me\nalice:{hash}:x\nnot a user line\nbob:{hash}\n"),
    )
    .unwrap();
    let new_hash = h.hash_blocking("new").unwrap();
    FileUserStore::save_user(
        &path,
        &User::builder("alice", new_hash.clone())
            .roles(["y"])
            .build(),
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!("# keep me\nalice:{new_hash}:y\nnot a user line\nbob:{hash}\n")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[tokio::test]
async fn update_password_hash_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let h = hasher();
    FileUserStore::save_user(
        &path,
        &User::builder("alice", h.hash_blocking("a").unwrap())
            .roles(["admin"])
            .build(),
    )
    .unwrap();
    let users = FileUserStore::open(&path).unwrap();
    let new_hash = h.hash_blocking("b").unwrap();
    assert!(
        users
            .update_password_hash("alice", &new_hash)
            .await
            .unwrap()
    );
    assert!(
        !users
            .update_password_hash("nobody", &new_hash)
            .await
            .unwrap()
    );
    let alice = users.find("alice").await.unwrap().unwrap();
    assert_eq!(alice.password_hash(), new_hash);
    assert!(alice.roles().contains("admin"));
    assert!(std::fs::read_to_string(&path).unwrap().contains(&new_hash));
}

#[test]
fn invalid_names_are_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let hash = hasher().hash_blocking("a").unwrap();
    for name in ["", "a:b", "#x", "a\nb"] {
        assert!(
            FileUserStore::save_user(&path, &User::new(name, hash.as_str())).is_err(),
            "{name:?}"
        );
    }
    assert!(!path.exists());
}
