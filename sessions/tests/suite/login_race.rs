//! Requests in flight during a login (issue 16, item 6): a request that
//! loaded the session before a concurrent login rotated its id must not
//! answer a removal cookie, which would arrive after the login's cookie and
//! log the user out again. It drops its stale changes and sends no
//! `Set-Cookie`; only a request that destroyed the session itself removes
//! the cookie. A request still carrying the old id that arrives just after
//! the login (sent before the new cookie reached the browser) must not
//! replace the new cookie with a fresh session's either.

use std::convert::Infallible;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use pastry_sessions::{SessionError, SessionExt, SessionLayer, SessionStore};
use pastry_testkit::{Body, TestClient};
use tokio::sync::{Barrier, Semaphore};
use tower::ServiceBuilder;

use crate::common::{Env, url};

/// The session cookie's name under `Env::layer` (Secure by default).
const COOKIE: &str = "id";
const IN_FLIGHT: usize = 3;
const LOGINS: usize = 20;

/// Lets the test know a request has loaded its session.
#[derive(Clone)]
struct Loaded(Arc<Barrier>);

/// Holds a request after it loaded its session until a permit is added.
#[derive(Clone)]
struct Release(Arc<Semaphore>);

/// Holds a request before it loads its session: it meets the test at the
/// barrier (so it was sent with the cookies of that moment), then waits
/// for a permit.
#[derive(Clone)]
struct Before(Arc<Barrier>, Arc<Semaphore>);

/// `/login`: rotates the id (as `pastry_auth::login` does) and records the
/// user. `/touch`: loads the session, waits as told, bumps a counter.
/// `/whoami`: the user or `anonymous`. `/logout`: destroys the session.
fn client(layer: SessionLayer) -> TestClient {
    let app = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<Body>| async move {
            let answer = async {
                let session = req.session().expect("behind a SessionLayer");
                match req.uri().path() {
                    "/login" => {
                        session.cycle_id().await?;
                        session.insert("user", "alice").await?;
                        Ok::<_, SessionError>("welcome".to_owned())
                    }
                    "/touch" => {
                        if let Some(Before(arrived, gate)) = req.extensions().get::<Before>() {
                            arrived.wait().await;
                            gate.acquire().await.expect("open gate").forget();
                        }
                        let n = session.get::<u64>("n").await?.unwrap_or(0);
                        if let Some(Loaded(barrier)) = req.extensions().get::<Loaded>() {
                            barrier.wait().await;
                        }
                        if let Some(Release(gate)) = req.extensions().get::<Release>() {
                            gate.acquire().await.expect("open gate").forget();
                        }
                        session.insert("n", &(n + 1)).await?;
                        Ok("touched".to_owned())
                    }
                    "/logout" => {
                        session.destroy().await?;
                        Ok("bye".to_owned())
                    }
                    _ => Ok(session
                        .get::<String>("user")
                        .await?
                        .unwrap_or_else(|| "anonymous".to_owned())),
                }
            };
            let (status, body) = match answer.await {
                Ok(body) => (StatusCode::OK, body),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
            let mut res = Response::new(body);
            *res.status_mut() = status;
            Ok::<_, Infallible>(res)
        });
    TestClient::new(app)
}

/// Logs in `LOGINS` times, each time with `IN_FLIGHT` requests that loaded
/// the pre-login session and finish after the login answered; counts the
/// logins that ended logged out.
async fn requests_in_flight_during_a_login_keep_the_user_logged_in<S: SessionStore>(
    store: S,
    env: Env,
) {
    let mut logged_out = 0;
    let mut removals = 0;
    let mut other_cookies = 0;
    let layer = env.layer(store);
    for _ in 0..LOGINS {
        let client = client(layer.clone());
        client.get(url("/touch")).await;
        let old = client.cookie(COOKIE).expect("a session before login");
        let loaded = Loaded(Arc::new(Barrier::new(IN_FLIGHT + 1)));
        let release = Release(Arc::new(Semaphore::new(0)));
        let in_flight: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let request = client
                    .get(url("/touch"))
                    .extension(loaded.clone())
                    .extension(release.clone())
                    .into_future();
                tokio::spawn(request)
            })
            .collect();
        // Every in-flight request has loaded the old session.
        loaded.0.wait().await;
        let login = client.get(url("/login")).await;
        assert!(login.cookie(COOKIE).is_some(), "login sets the new id");
        release.0.add_permits(IN_FLIGHT);
        for request in in_flight {
            let response = request.await.expect("request task");
            assert_eq!(response.status(), 200, "{}", response.text());
            let set_cookie = response.header_all("set-cookie");
            if set_cookie.iter().any(|c| c.contains("Max-Age=0")) {
                removals += 1;
            } else if !set_cookie.is_empty() {
                other_cookies += 1;
            }
        }
        let cookie = client.cookie(COOKIE);
        assert_ne!(cookie.as_deref(), Some(old.as_str()), "the id was rotated");
        if cookie.is_none() || client.get(url("/whoami")).await.text() != "alice" {
            logged_out += 1;
        }
    }
    assert_eq!(
        (logged_out, removals, other_cookies),
        (0, 0, 0),
        "(logins undone, removal cookies, other cookies) from {IN_FLIGHT} requests \
         in flight during each of {LOGINS} logins"
    );
}

/// Requests sent with the old id before the login answered, but handled
/// after it: they find the old id gone, and must neither start a fresh
/// session with a cookie of its own nor remove the new cookie.
async fn requests_arriving_just_after_a_login_keep_the_user_logged_in<S: SessionStore>(
    store: S,
    env: Env,
) {
    let mut logged_out = 0;
    let mut cookies = 0;
    let layer = env.layer(store);
    for _ in 0..LOGINS {
        let client = client(layer.clone());
        client.get(url("/touch")).await;
        let before = Before(
            Arc::new(Barrier::new(IN_FLIGHT + 1)),
            Arc::new(Semaphore::new(0)),
        );
        let late: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let request = client
                    .get(url("/touch"))
                    .extension(before.clone())
                    .into_future();
                tokio::spawn(request)
            })
            .collect();
        // Every late request was sent with the old id.
        before.0.wait().await;
        client.get(url("/login")).await;
        before.1.add_permits(IN_FLIGHT);
        for request in late {
            let response = request.await.expect("request task");
            assert_eq!(response.status(), 200, "{}", response.text());
            cookies += response.header_all("set-cookie").len();
        }
        if client.cookie(COOKIE).is_none() || client.get(url("/whoami")).await.text() != "alice" {
            logged_out += 1;
        }
    }
    assert_eq!(
        (logged_out, cookies),
        (0, 0),
        "(logins undone, cookies) from {IN_FLIGHT} requests with the old id after each of \
         {LOGINS} logins"
    );
}

/// The grace lasts a minute: later, the old id is an unknown one, and a
/// request that stores something gets a fresh session and cookie as usual.
async fn after_a_minute_an_old_id_gets_a_fresh_session_again<S: SessionStore>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/touch")).await;
    let old = client.cookie(COOKIE).expect("a session");
    client.get(url("/login")).await;
    let replay = |client: &TestClient| {
        client.clear_cookies();
        client.set_cookie(COOKIE, &old);
        client.get(url("/touch")).into_future()
    };
    let res = replay(&client).await;
    assert_eq!(res.header("set-cookie"), None, "within the minute");
    env.clock.advance(std::time::Duration::from_secs(61));
    let res = replay(&client).await;
    let fresh = res
        .cookie(COOKIE)
        .expect("a fresh session after the minute");
    assert_ne!(fresh.value(), old);
}

/// The session's own destroy still removes the cookie.
async fn a_request_that_destroys_its_session_still_removes_the_cookie<S: SessionStore>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    client.get(url("/login")).await;
    let res = client.get(url("/logout")).await;
    let removal = res.header("set-cookie").expect("removal cookie").to_owned();
    assert!(removal.starts_with(&format!("{COOKIE}=;")), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(client.cookie(COOKIE), None);
}

/// A logout in flight while another request saves the session: the logout
/// removes the cookie, the other request's stale changes are dropped with
/// no `Set-Cookie`, and the session stays gone.
async fn a_request_racing_a_logout_does_not_revive_the_session<S: SessionStore>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    client.get(url("/login")).await;
    let loaded = Loaded(Arc::new(Barrier::new(2)));
    let release = Release(Arc::new(Semaphore::new(0)));
    let touch = tokio::spawn(
        client
            .get(url("/touch"))
            .extension(loaded.clone())
            .extension(release.clone())
            .into_future(),
    );
    loaded.0.wait().await;
    let res = client.get(url("/logout")).await;
    assert!(
        res.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=0")
    );
    release.0.add_permits(1);
    let touched = touch.await.expect("request task");
    assert_eq!(touched.header("set-cookie"), None);
    assert_eq!(client.cookie(COOKIE), None);
    assert_eq!(client.get(url("/whoami")).await.text(), "anonymous");
}

macro_rules! each_store {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::common::Env;
            use pastry_sessions::{FileStore, MemoryStore, SqliteStore};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name(MemoryStore::new(), Env::new()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn file() {
                let env = Env::new();
                let store = FileStore::new(env.sessions_dir()).expect("file store");
                super::$name(store, env).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let env = Env::new();
                let store = SqliteStore::open(env.dir.path().join("s.db")).expect("sqlite store");
                super::$name(store, env).await;
            }
        }
    )*};
}

each_store!(
    requests_in_flight_during_a_login_keep_the_user_logged_in,
    requests_arriving_just_after_a_login_keep_the_user_logged_in,
    after_a_minute_an_old_id_gets_a_fresh_session_again,
    a_request_that_destroys_its_session_still_removes_the_cookie,
    a_request_racing_a_logout_does_not_revive_the_session,
);
