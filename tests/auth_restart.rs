//! A restart must not log everyone out when users are built in code: two
//! processes (this test binary and a child it starts), each hashing its
//! users afresh at start-up, share one SQLite session store; a login made
//! in the first is accepted by the second, thanks to the users' credential
//! version.

use std::convert::Infallible;
use std::path::Path;
use std::process::Command;

use http::{Request, Response};
use pastry::auth::{LoginForm, MemoryUserStore, PasswordHasher, SessionAuthLayer, User};
use pastry::sessions::{SessionLayer, SqliteStore};
use pastry::{BoxError, Environ};
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, ServiceExt, service_fn};

const DB_ENV: &str = "PASTRY_AUTH_RESTART_DB";
const COOKIE_ENV: &str = "PASTRY_AUTH_RESTART_COOKIE";

/// What `main` of an app with users built in code does at start-up: a
/// fresh hasher and a fresh salt for every user, plus a credential version
/// from the same configuration as the password.
fn start_app(db: &Path) -> TestClient {
    let hasher = PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap();
    let users = MemoryUserStore::new();
    users.insert(
        User::builder("alice", hasher.hash_blocking("wonderland").unwrap())
            .credential_version(1)
            .build(),
    );
    let form = LoginForm::new(pastry::auth::Authenticator::new(users.clone()).hasher(hasher));
    let router = service_fn(move |req: Request<Body>| {
        let form = form.clone();
        async move {
            let res = match req.uri().path() {
                "/login" => {
                    let res = form.oneshot(req).await?;
                    res.map(|_| String::new())
                }
                _ => Response::new(format!("user={}", req.remote_user().unwrap_or("-"))),
            };
            Ok::<_, Infallible>(res)
        }
    });
    let stack = ServiceBuilder::new()
        .layer(SessionLayer::new(SqliteStore::open(db).unwrap()).secure(false))
        .layer(SessionAuthLayer::new(users))
        .service(router);
    TestClient::new(stack)
}

#[tokio::test]
async fn a_login_survives_into_a_second_process_over_one_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sessions.db");
    let first = start_app(&db);
    first
        .post("/login")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(303)
        .await;
    assert_eq!(first.get("/whoami").await.text(), "user=alice");
    let cookie = first.cookie("id").unwrap();

    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "second_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DB_ENV, &db)
        .env(COOKIE_ENV, &cookie)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("second process saw user=alice"),
        "second process failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run by the test above as the second process; does nothing on its own.
#[tokio::test]
#[ignore = "run as a child process by a_login_survives_into_a_second_process_over_one_sqlite_store"]
async fn second_process() -> Result<(), BoxError> {
    let (Ok(db), Ok(cookie)) = (std::env::var(DB_ENV), std::env::var(COOKIE_ENV)) else {
        return Ok(());
    };
    let second = start_app(Path::new(&db));
    second.set_cookie("id", &cookie);
    let seen = second.get("/whoami").await.text();
    println!("second process saw {seen}");
    assert_eq!(seen, "user=alice");
    Ok(())
}
