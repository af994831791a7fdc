//! `pastry-sessions` with its `metrics` feature: loads, saves, a
//! compare-and-swap conflict and its replay, and store latency, labelled
//! by store kind only.

mod common;

use std::future::IntoFuture;
use std::sync::Arc;

use http::{Request, Response};
use pastry_metrics::MetricsHandle;
use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
use pastry_testkit::{Body, TestClient};
use tokio::sync::Barrier;
use tower::{ServiceBuilder, service_fn};

use common::value;

#[tokio::test(flavor = "current_thread")]
async fn loads_saves_and_a_concurrent_save_replayed_are_counted() {
    let handle = MetricsHandle::new();
    let _recorder = metrics::set_default_local_recorder(handle.recorder());
    // Two requests marked `x-race` wait for each other after loading, so
    // both hold the same version when they save.
    let barrier = Arc::new(Barrier::new(2));
    let app = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).validate().unwrap())
        .service(service_fn(move |req: Request<Body>| {
            let barrier = Arc::clone(&barrier);
            async move {
                let session = req.session().expect("session layer");
                let _: Option<u64> = session.get("visits").await?;
                if let Some(name) = req.headers().get("x-race") {
                    barrier.wait().await;
                    session.insert(name.to_str()?, &1).await?;
                } else {
                    session.insert("visits", &1).await?;
                }
                Ok::<_, pastry_core::BoxError>(Response::new(String::from("ok")))
            }
        }));
    let client = TestClient::new(app);
    client.get("/").await; // a new session, saved
    let (a, b) = tokio::join!(
        client.get("/").header("x-race", "a").into_future(),
        client.get("/").header("x-race", "b").into_future(),
    );
    a.assert_status(200);
    b.assert_status(200);

    let text = handle.render();
    let store = r#"{store="memory"}"#;
    assert_eq!(
        value(&text, &format!("pastry_sessions_loaded_total{store}")),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, &format!("pastry_sessions_saved_total{store}")),
        Some(3.0)
    );
    assert_eq!(
        value(
            &text,
            &format!("pastry_sessions_cas_conflicts_total{store}")
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&text, &format!("pastry_sessions_cas_replays_total{store}")),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            r#"pastry_sessions_store_duration_seconds_count{store="memory",op="load"}"#
        ),
        Some(2.0)
    );
    assert!(
        value(
            &text,
            r#"pastry_sessions_store_duration_seconds_count{store="memory",op="save"}"#
        )
        .is_some_and(|n| n >= 2.0)
    );
    // The session id never reaches a label.
    let (_, id) = client.cookies().pop().expect("a session cookie");
    assert!(!text.contains(&id));
}
