//! The memory store stays within its cap under a flood of anonymous
//! sessions (issue 15 point 5), and a flood evicts its own sessions before
//! those of clients that came back with their cookie.

use http::{HeaderValue, Request, Response, header};
use pastry_sessions::{
    AnyStore, DEFAULT_MAX_ENTRIES, MemoryStore, SessionError, SessionExt, SessionLayer,
};
use tower::{Service, ServiceBuilder, ServiceExt};

/// A `/counter` like the demo's: every request that arrives without a
/// cookie creates and stores a session.
fn counter(
    store: impl pastry_sessions::SessionStore,
) -> impl Service<
    Request<()>,
    Response = Response<pastry_sessions::SessionBody<String>>,
    Error = SessionError,
> + Clone {
    ServiceBuilder::new()
        .layer(SessionLayer::new(store))
        .service_fn(|req: Request<()>| async move {
            let session = req.session().expect("behind a SessionLayer");
            let n = session.get::<u64>("count").await?.unwrap_or(0) + 1;
            session.insert("count", &n).await?;
            Ok::<_, SessionError>(Response::new(n.to_string()))
        })
}

/// Sends `n` requests without a cookie, as a flood would; each gets a
/// session cookie it never sends back.
async fn flood<S>(app: &S, n: usize)
where
    S: Service<
            Request<()>,
            Response = Response<pastry_sessions::SessionBody<String>>,
            Error = SessionError,
        > + Clone,
{
    for _ in 0..n {
        let res = app.clone().oneshot(Request::new(())).await.unwrap();
        assert!(res.headers().contains_key(header::SET_COOKIE));
    }
}

/// Lower bound after eviction: a full store evicts 1/64 at a time.
fn at_cap(len: usize, cap: usize) -> bool {
    len <= cap && len >= cap - cap / 64 - 1
}

#[tokio::test]
async fn two_hundred_thousand_anonymous_sessions_stay_at_the_default_cap() {
    let store = MemoryStore::new();
    flood(&counter(store.clone()), 200_000).await;
    assert!(
        at_cap(store.len(), DEFAULT_MAX_ENTRIES),
        "{} sessions held, cap {DEFAULT_MAX_ENTRIES}",
        store.len()
    );
}

#[tokio::test]
async fn the_memory_url_is_capped_by_default() {
    let AnyStore::Memory(store) = AnyStore::from_url("memory:").unwrap() else {
        panic!("memory: is a MemoryStore");
    };
    flood(&counter(store.clone()), DEFAULT_MAX_ENTRIES + 5_000).await;
    assert!(
        at_cap(store.len(), DEFAULT_MAX_ENTRIES),
        "{} sessions held",
        store.len()
    );
}

#[tokio::test]
async fn the_memory_url_takes_max_entries() {
    let AnyStore::Memory(store) = AnyStore::from_url("memory:?max_entries=500").unwrap() else {
        panic!("memory: is a MemoryStore");
    };
    flood(&counter(store.clone()), 2_000).await;
    assert!(at_cap(store.len(), 500), "{} sessions held", store.len());
}

#[tokio::test]
async fn a_returning_client_keeps_its_session_through_a_flood() {
    let store = MemoryStore::new().max_entries(1_000);
    let app = counter(store.clone());
    // A real visitor: gets a cookie, then comes back with it. Its session
    // is the oldest, so the closest to expiry.
    let res = app.clone().oneshot(Request::new(())).await.unwrap();
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = HeaderValue::from_str(cookie.split(';').next().unwrap()).unwrap();
    let with_cookie = || {
        let mut req = Request::new(());
        req.headers_mut().insert(header::COOKIE, cookie.clone());
        req
    };
    let res = app.clone().oneshot(with_cookie()).await.unwrap();
    assert_eq!(
        http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes(),
        "2"
    );

    flood(&app, 5_000).await;
    assert!(at_cap(store.len(), 1_000), "{} sessions held", store.len());

    let res = app.clone().oneshot(with_cookie()).await.unwrap();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(
        body, "3",
        "the returning visitor's session survived the flood"
    );
}
