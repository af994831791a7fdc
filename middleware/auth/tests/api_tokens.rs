//! API tokens: `Authorization: Bearer` through `BearerAuthLayer`, the
//! memory and file stores, the throttle, and what is never logged.

mod common;

use std::time::{Duration, SystemTime};

use base64::Engine;
use common::{addr, hasher, users, whoami};
use pastry_auth::{
    ApiToken, Authenticator, BearerAuthLayer, FileTokenStore, MemoryTokenStore, RequireRoleLayer,
    TOKEN_PREFIX, TokenDigest, TokenStore,
};
use pastry_testkit::{LogCapture, TestClient};
use tower::ServiceBuilder;

fn client(tokens: MemoryTokenStore) -> TestClient {
    TestClient::new(
        ServiceBuilder::new()
            .layer(BearerAuthLayer::new(tokens))
            .service(whoami()),
    )
}

fn bearer(secret: &str) -> String {
    format!("Bearer {secret}")
}

#[tokio::test]
async fn a_valid_token_sets_the_user_and_the_tokens_roles() {
    let tokens = MemoryTokenStore::new();
    let secret = tokens
        .create("ci", "alice", ["deploy", "read"], None)
        .unwrap();
    let res = client(tokens)
        .get("/api")
        .header("authorization", bearer(secret.expose()))
        .await;
    res.assert_status(200)
        .assert_text_contains("user=alice;roles=deploy,read")
        .assert_header("cache-control", "private");
}

#[tokio::test]
async fn the_scheme_is_case_insensitive() {
    let tokens = MemoryTokenStore::new();
    let secret = tokens.create("ci", "alice", ["read"], None).unwrap();
    let res = client(tokens)
        .get("/api")
        .header("authorization", format!("bEaReR {}", secret.expose()))
        .await;
    res.assert_status(200)
        .assert_text_contains("user=alice;roles=read");
}

#[tokio::test]
async fn without_bearer_credentials_the_request_passes_on_anonymous() {
    let client = client(MemoryTokenStore::new());
    let res = client.get("/").await;
    res.assert_status(200).assert_text_contains("user=-;roles=");
    res.assert_no_header("cache-control");
    // Another scheme is someone else's business (Basic auth beside it).
    let res = client
        .get("/")
        .header("authorization", "Basic YWxpY2U6eA==")
        .await;
    res.assert_status(200).assert_text_contains("user=-;roles=");
}

#[tokio::test]
async fn unknown_revoked_and_expired_tokens_get_401_invalid_token() {
    let tokens = MemoryTokenStore::new();
    let revoked = tokens.create("old", "alice", ["read"], None).unwrap();
    assert!(tokens.revoke("old"));
    let past = SystemTime::now() - Duration::from_secs(1);
    let expired = tokens
        .create("expired", "alice", ["read"], Some(past))
        .unwrap();
    let client = client(tokens);
    let forged = format!("{TOKEN_PREFIX}{}", "A".repeat(43));
    for token in [forged.as_str(), revoked.expose(), expired.expose()] {
        let res = client
            .get("/api")
            .header("authorization", bearer(token))
            .expect_status(401)
            .await;
        res.assert_header("www-authenticate", "Bearer error=\"invalid_token\"");
        assert!(!res.text().contains("user="), "the app never ran");
    }
}

#[tokio::test]
async fn malformed_bearer_credentials_get_401_never_500() {
    let client = client(MemoryTokenStore::new());
    let long = format!("Bearer {}", "a".repeat(600));
    for value in [
        "Bearer ",
        "Bearer  ",
        "Bearer a b",
        "Bearer é",
        "Bearer ==",
        long.as_str(),
    ] {
        client
            .get("/api")
            .header("authorization", value)
            .expect_status(401)
            .await
            .assert_header("www-authenticate", "Bearer error=\"invalid_token\"");
    }
    // Two Authorization fields are refused, not one of them picked.
    client
        .get("/api")
        .header("authorization", "Bearer one")
        .header("authorization", "Bearer two")
        .expect_status(401)
        .await;
}

#[tokio::test]
async fn failures_from_one_address_lock_it_out_and_not_another() {
    let client = client(MemoryTokenStore::new());
    let guess = |n: u8| bearer(&format!("{TOKEN_PREFIX}guess{n}"));
    for n in 0..5 {
        client
            .get("/api")
            .client_addr(addr(1))
            .header("authorization", guess(n))
            .expect_status(401)
            .await;
    }
    let res = client
        .get("/api")
        .client_addr(addr(1))
        .header("authorization", guess(9))
        .expect_status(429)
        .await;
    assert!(res.header("retry-after").is_some());
    client
        .get("/api")
        .client_addr(addr(2))
        .header("authorization", guess(9))
        .expect_status(401)
        .await;
}

#[tokio::test]
async fn a_shared_throttle_bounds_token_failures_with_the_password_settings() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher))
        .hasher(hasher)
        .max_failures(2);
    let tokens = MemoryTokenStore::new();
    let secret = tokens.create("ci", "alice", [] as [&str; 0], None).unwrap();
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BearerAuthLayer::new(tokens).share_throttle(&auth))
            .service(whoami()),
    );
    for _ in 0..2 {
        client
            .get("/")
            .client_addr(addr(3))
            .header("authorization", bearer("pst_wrong"))
            .expect_status(401)
            .await;
    }
    // Two failures lock the address out, as the authenticator's setting says,
    // the right token included, until the lockout ends.
    client
        .get("/")
        .client_addr(addr(3))
        .header("authorization", bearer(secret.expose()))
        .expect_status(429)
        .await;
    assert!(
        auth.throttle_len() > 0,
        "the failures are in the shared tables"
    );
}

#[tokio::test]
async fn require_role_reads_the_tokens_roles() {
    let tokens = MemoryTokenStore::new();
    let deployer = tokens
        .create("deployer", "alice", ["deploy"], None)
        .unwrap();
    let reader = tokens.create("reader", "alice", ["read"], None).unwrap();
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(BearerAuthLayer::new(tokens))
            .layer(RequireRoleLayer::new("deploy"))
            .service(whoami()),
    );
    client
        .get("/deploy")
        .header("authorization", bearer(deployer.expose()))
        .expect_status(200)
        .await;
    client
        .get("/deploy")
        .header("authorization", bearer(reader.expose()))
        .expect_status(403)
        .await;
}

#[tokio::test]
async fn the_token_is_never_logged_and_its_name_is() {
    let tokens = MemoryTokenStore::new();
    let secret = tokens
        .create("nightly-build", "alice", ["read"], None)
        .unwrap();
    let client = client(tokens);
    let logs = LogCapture::start();
    client
        .get("/")
        .header("authorization", bearer(secret.expose()))
        .expect_status(200)
        .await;
    let wrong = format!("{TOKEN_PREFIX}wrongwrongwrong");
    client
        .get("/")
        .header("authorization", bearer(&wrong))
        .expect_status(401)
        .await;
    let text = logs.text();
    assert!(text.contains("nightly-build"), "{text}");
    assert!(text.contains("unknown or revoked"), "{text}");
    assert!(!text.contains(secret.expose()), "{text}");
    assert!(!text.contains(&wrong), "{text}");
}

#[test]
fn tokens_carry_256_random_bits_and_only_their_digest_is_kept() {
    let (first, one) = ApiToken::generate("a", "alice").unwrap();
    let (_, two) = ApiToken::generate("b", "alice").unwrap();
    assert_ne!(one.expose(), two.expose());
    let random = one.expose().strip_prefix(TOKEN_PREFIX).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(random)
        .unwrap();
    assert_eq!(bytes.len(), 32);
    assert_eq!(first.digest(), TokenDigest::of(one.expose()));
    assert!(!format!("{first:?}").contains(random));
}

#[test]
fn names_and_roles_are_checked_and_names_are_unique() {
    assert!(ApiToken::generate("a:b", "alice").is_err());
    assert!(ApiToken::generate("ci", "").is_err());
    let (token, _) = ApiToken::generate("ci", "alice").unwrap();
    assert!(token.roles(["has space"]).is_err());
    let tokens = MemoryTokenStore::new();
    tokens.create("ci", "alice", ["read"], None).unwrap();
    assert!(matches!(
        tokens.create("ci", "bob", ["read"], None),
        Err(pastry_auth::AuthError::TokenExists(name)) if name == "ci"
    ));
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pastry-auth-tokens-{name}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn the_tokens_file_keeps_digests_and_survives_a_reopen() {
    let dir = temp_dir("reopen");
    let path = dir.join("tokens");
    let in_a_day = SystemTime::now() + Duration::from_secs(86_400);
    let secret = FileTokenStore::open(&path)
        .unwrap()
        .create("ci", "alice", ["deploy", "read"], Some(in_a_day))
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(secret.expose()),
        "only the digest is written"
    );
    assert!(text.contains(&TokenDigest::of(secret.expose()).to_hex()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let reopened = FileTokenStore::open(&path).unwrap();
    let found = reopened
        .find(&TokenDigest::of(secret.expose()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user(), "alice");
    assert!(found.granted_roles().contains("deploy"));
    let expiry = found.expiry().unwrap();
    let drift = in_a_day.duration_since(expiry).unwrap_or_default();
    assert!(drift < Duration::from_secs(1), "expiry kept to the second");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_revoke_by_another_process_is_seen_by_list_at_once() {
    let dir = temp_dir("revoke");
    let path = dir.join("tokens");
    let server = FileTokenStore::open(&path).unwrap();
    server.create("ci", "alice", ["read"], None).unwrap();
    server.create("backup", "bob", ["read"], None).unwrap();
    // The CLI, another process, revokes one.
    assert!(FileTokenStore::open(&path).unwrap().revoke("ci").unwrap());
    let names: Vec<String> = server
        .list()
        .unwrap()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(names, ["backup"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn bad_lines_in_the_tokens_file_are_skipped_with_their_number() {
    let dir = temp_dir("bad");
    let path = dir.join("tokens");
    let good = TokenDigest::of("pst_good").to_hex();
    std::fs::write(
        &path,
        format!(
            "# comment\nci:alice:{good}:read:\nno colons here\nx:alice:nothex:read:\nci:bob:{good}:read:\n"
        ),
    )
    .unwrap();
    let logs = LogCapture::start();
    let store = FileTokenStore::open(&path).unwrap();
    let names: Vec<String> = store
        .list()
        .unwrap()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(names, ["ci"]);
    let warnings = logs.lines_at(tracing::Level::WARN);
    for line in ["line=3", "line=4", "line=5"] {
        assert!(
            warnings.iter().any(|w| w.contains(line)),
            "{line}: {warnings:?}"
        );
    }
    assert!(
        !logs.text().contains(&good),
        "a line's text is never logged"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
