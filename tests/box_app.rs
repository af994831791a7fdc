//! One `fn app() -> BoxApp` serves hyper over TCP and the test kit alike.

use std::future::IntoFuture;

use axum::Router;
use axum::routing::get;
use pastry::BoxApp;
use pastry::catch::CatchLayer;
use pastry::gzip::GzipLayer;
use pastry::sessions::{MemoryStore, SessionExt, SessionLayer};
use pastry_testkit::TestClient;
use tokio::net::TcpListener;
use tower::ServiceBuilder;

async fn visits(req: axum::extract::Request) -> String {
    let session = req.session().expect("session layer");
    let n = session.get::<u64>("n").await.unwrap().unwrap_or(0) + 1;
    session.insert("n", &n).await.unwrap();
    format!("visit {n}")
}

/// The function a user writes once for `main` and for tests.
fn app() -> BoxApp {
    ServiceBuilder::new()
        .layer(BoxApp::layer())
        .layer(CatchLayer::new())
        .layer(GzipLayer::new())
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .service(Router::new().route("/visits", get(visits)))
}

#[tokio::test]
async fn boxed_app_runs_in_the_test_kit() {
    let client = TestClient::new(app());
    client.get("/visits").await.assert_status(200);
    let res = client.get("/visits").await;
    res.assert_status(200);
    assert_eq!(res.text(), "visit 2");
}

#[tokio::test]
async fn boxed_app_runs_in_serve() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = pastry::serve(listener, app()).with_graceful_shutdown(async {
        stopped.await.ok();
    });
    let server = tokio::spawn(server.into_future());

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let url = format!("http://{addr}/visits");
    for expected in ["visit 1", "visit 2"] {
        let res = client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), expected);
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
