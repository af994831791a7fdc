//! The login throttle against hostile clients over real HTTP: `pastry::serve`
//! on loopback, a real client sending from many loopback source addresses.

use std::future::IntoFuture;
use std::net::{IpAddr, SocketAddr};

use pastry::auth::{
    Authenticator, DEFAULT_ACCOUNT_FAILURES, LoginForm, MemoryUserStore, PasswordHasher, User,
};
use pastry::sessions::{MemoryStore, SessionLayer};
use reqwest::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceBuilder;

struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(auth: Authenticator<MemoryUserStore>) -> Server {
    let stack = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .service(LoginForm::new(auth));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = pastry::serve(listener, stack).with_graceful_shutdown(async {
        stopped.await.ok();
    });
    Server {
        addr,
        stop,
        task: tokio::spawn(serve.into_future()),
    }
}

fn setup() -> (Authenticator<MemoryUserStore>, PasswordHasher) {
    let hasher = PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap();
    let users = MemoryUserStore::new();
    users.insert(User::new(
        "alice",
        hasher.hash_blocking("wonderland").unwrap(),
    ));
    (Authenticator::new(users).hasher(hasher.clone()), hasher)
}

/// A client whose connections come from `source` (any 127.0.0.0/8 address
/// is loopback on Linux).
fn client_from(source: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn one_account_from_24_addresses_meets_the_account_limit() {
    let (auth, _) = setup();
    let server = serve(auth).await;
    let clients: Vec<_> = (0..24u8)
        .map(|i| client_from(IpAddr::from([127, 0, 0, 10 + i])))
        .collect();
    let mut statuses = Vec::new();
    for i in 0..120usize {
        let res = clients[i % 24]
            .post(format!("http://{}/login", server.addr))
            .form(&[("username", "alice"), ("password", &format!("guess{i}"))])
            .send()
            .await
            .unwrap();
        statuses.push(res.status());
    }
    let failed = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    println!("over HTTP, 120 wrong passwords from 24 addresses: {failed} x 401, {refused} x 429");
    assert_eq!(failed, DEFAULT_ACCOUNT_FAILURES as usize);
    assert_eq!(refused, 20);
    server.stop.send(()).unwrap();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_thousand_15_kb_names_over_http_cost_nothing_and_keep_no_record() {
    let (auth, hasher) = setup();
    let server = serve(auth.clone()).await;
    let client = client_from(IpAddr::from([127, 0, 0, 1]));
    let runs = hasher.argon2_runs();
    for i in 0..1000 {
        let name = format!("{i:0>15000}");
        let res = client
            .post(format!("http://{}/login", server.addr))
            .form(&[("username", name.as_str()), ("password", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(hasher.argon2_runs(), runs);
    assert_eq!(auth.throttle_len(), 0);
    server.stop.send(()).unwrap();
    server.task.await.unwrap().unwrap();
}
