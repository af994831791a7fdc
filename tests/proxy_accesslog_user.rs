//! The access log sits outside the auth layers (behind the proxy layer),
//! so it never sees the request they pass on: it writes the user
//! (`REMOTE_USER`) from the `RemoteUser` that `SessionAuthLayer` and
//! `BasicAuthLayer` put in the response, and the client the proxy layer
//! resolved. A refusal or an anonymous request is logged with `-`, and no
//! password reaches the log.

#![cfg(all(
    feature = "accesslog",
    feature = "auth",
    feature = "proxy",
    feature = "sessions",
    feature = "testkit"
))]

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use http::{Request, Response};
use pastry::accesslog::{AccessLogLayer, Format};
use pastry::auth::{
    Authenticator, BasicAuthLayer, MemoryUserStore, PasswordHasher, SessionAuthLayer, User,
};
use pastry::proxy::ProxyLayer;
use pastry::sessions::{MemoryStore, SessionExt, SessionLayer};
use pastry::{Environ, ManualClock};
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};

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
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

/// `alice`, password `wonderland`, with argon2 parameters cheap enough
/// for tests.
fn alice() -> (User, MemoryUserStore, PasswordHasher) {
    let hasher = PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap();
    let alice = User::new("alice", hasher.hash_blocking("wonderland").unwrap());
    let users = MemoryUserStore::new();
    users.insert(alice.clone());
    (alice, users, hasher)
}

/// The proxy layer (trusting the front server on loopback) and the access
/// log outside whatever `auth` stacks.
fn logged(lines: &Lines) -> ServiceBuilder<Stack<AccessLogLayer, Stack<ProxyLayer, Identity>>> {
    let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(971_186_136));
    ServiceBuilder::new()
        .layer(
            ProxyLayer::builder()
                .trust("127.0.0.1")
                .hops(1)
                .build()
                .unwrap(),
        )
        .layer(
            AccessLogLayer::new()
                .format(Format::Common)
                .writer(lines.clone())
                .clock(clock),
        )
}

fn front_server() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

const DATE: &str = "[10/Oct/2000:13:55:36 +0000]";

#[tokio::test]
async fn a_session_login_is_logged_with_the_user_name() {
    let lines = Lines::default();
    let (user, users, _) = alice();
    let app = logged(&lines)
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .layer(SessionAuthLayer::new(users))
        .service_fn(move |req: Request<Body>| {
            let user = user.clone();
            async move {
                if req.uri().path() == "/login" {
                    pastry::auth::login(req.session().unwrap(), &user).await?;
                }
                let text = format!("user={}", req.remote_user().unwrap_or("-"));
                Ok::<_, pastry::BoxError>(Response::new(text))
            }
        });
    let client = TestClient::new(app);
    let get = |path: &'static str| {
        client
            .get(path)
            .header("x-forwarded-for", "203.0.113.7")
            .client_addr(front_server())
    };

    assert_eq!(get("/page").await.text(), "user=-");
    assert_eq!(get("/login").await.text(), "user=-");
    assert_eq!(get("/page").await.text(), "user=alice");
    assert_eq!(
        lines.take(),
        format!(
            "203.0.113.7 - - {DATE} \"GET /page HTTP/1.1\" 200 6\n\
             203.0.113.7 - - {DATE} \"GET /login HTTP/1.1\" 200 6\n\
             203.0.113.7 - alice {DATE} \"GET /page HTTP/1.1\" 200 10\n"
        )
    );
}

#[tokio::test]
async fn a_basic_auth_user_is_logged_and_a_refusal_is_not() {
    let lines = Lines::default();
    let (_, users, hasher) = alice();
    let app = logged(&lines)
        .layer(BasicAuthLayer::new(
            Authenticator::new(users).hasher(hasher),
        ))
        .service_fn(|req: Request<Body>| async move {
            let text = format!("user={}", req.remote_user().unwrap_or("-"));
            Ok::<_, Infallible>(Response::new(text))
        });
    let client = TestClient::new(app);

    let res = client
        .get("/report")
        .header("x-forwarded-for", "203.0.113.7")
        .client_addr(front_server())
        .basic_auth("alice", "wonderland")
        .await;
    assert_eq!(res.text(), "user=alice");
    client
        .get("/report")
        .header("x-forwarded-for", "203.0.113.8")
        .client_addr(front_server())
        .basic_auth("alice", "looking-glass")
        .expect_status(401)
        .await;

    let log = lines.take();
    let entries: Vec<&str> = log.lines().collect();
    assert_eq!(entries.len(), 2, "{log}");
    assert_eq!(
        entries[0],
        format!("203.0.113.7 - alice {DATE} \"GET /report HTTP/1.1\" 200 10")
    );
    assert!(
        entries[1].starts_with(&format!(
            "203.0.113.8 - - {DATE} \"GET /report HTTP/1.1\" 401 "
        )),
        "{log}"
    );
    for secret in ["wonderland", "looking-glass", "YWxpY2U6"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}
