//! Saving happens after a successful answer only.

use pastry_sessions::SessionStore;

use crate::common::{Counting, Env, client, url};

crate::store_suite!(
    cycle_id_then_server_error_keeps_the_session,
    setting_only_the_expiry_saves_it
);
// Not the cookie store: this one counts saves through a wrapper store,
// which the layer does not recognise as a cookie store.
crate::store_suite!(except_cookie: server_error_response_saves_nothing);

async fn server_error_response_saves_nothing<S: SessionStore + Clone>(store: S, env: Env) {
    let store = Counting::new(store);
    let client = client(env.layer(store.clone()));
    client.get(url("/set?k=before")).await;
    let saves = store.calls().1;
    let res = client
        .get(url("/set-fail?k=after"))
        .expect_status(500)
        .await;
    assert!(res.header("set-cookie").is_none());
    assert_eq!(store.calls().1, saves);
    assert_eq!(client.get(url("/get?k")).await.text(), "before");
}

async fn cycle_id_then_server_error_keeps_the_session<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/set?user=alice")).await;
    let old = client.cookie("id").expect("id");
    let res = client.get(url("/cycle-fail")).expect_status(500).await;
    assert!(res.header("set-cookie").is_none());
    assert_eq!(client.cookie("id"), Some(old));
    assert_eq!(client.get(url("/get?user")).await.text(), "alice");
}

async fn setting_only_the_expiry_saves_it<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/set?k=v")).await;
    let res = client.get(url("/expiry-idle?secs=120")).await;
    assert!(
        res.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=120")
    );
    assert_eq!(client.get(url("/get?k")).await.text(), "v");
}

#[tokio::test]
async fn session_used_after_the_response_reports_finished() {
    use std::sync::{Arc, Mutex};

    use http::{Request, Response};
    use pastry_sessions::{MemoryStore, Session, SessionError, SessionExt};
    use pastry_testkit::{Body, TestClient};
    use tower::ServiceBuilder;

    let env = Env::new();
    let kept: Arc<Mutex<Option<Session>>> = Arc::default();
    let stash = Arc::clone(&kept);
    let app = ServiceBuilder::new()
        .layer(env.layer(MemoryStore::new()))
        .service_fn(move |req: Request<Body>| {
            let stash = Arc::clone(&stash);
            async move {
                let session = req.session().expect("layer").clone();
                session.insert("k", "v").await?;
                *stash.lock().expect("stash") = Some(session);
                Ok::<_, SessionError>(Response::new(String::new()))
            }
        });
    TestClient::new(app).get(url("/")).await;
    let session = kept.lock().expect("stash").take().expect("session kept");
    assert!(matches!(
        session.insert("late", "x").await,
        Err(SessionError::Finished)
    ));
}
