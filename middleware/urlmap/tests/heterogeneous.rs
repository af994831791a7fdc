//! Apps of different types side by side: an axum `Router`, a `service_fn`
//! and a nested map in one map.

mod common;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use common::echo;
use pastry_core::ScriptName;
use pastry_testkit::TestClient;
use pastry_urlmap::UrlMap;

fn blog() -> Router {
    Router::new()
        .route("/", get(|| async { "blog index" }))
        .route(
            "/posts/{id}",
            get(|Path(id): Path<u32>, axum::Extension(script): axum::Extension<ScriptName>| async move {
                format!("post {id} under {script}")
            }),
        )
}

fn client() -> TestClient {
    let inner = UrlMap::builder()
        .mount("/forum", echo("forum"))
        .build()
        .unwrap();
    let map = UrlMap::builder()
        .mount("/blog", blog())
        .mount("/apps", inner)
        .mount("/static", echo("static"))
        .build()
        .unwrap();
    TestClient::new(map)
}

#[tokio::test]
async fn axum_router_routes_below_its_prefix() {
    let client = client();
    assert_eq!(
        client.get("/blog/posts/7").await.text(),
        "post 7 under /blog"
    );
    assert_eq!(client.get("/blog/").await.text(), "blog index");
    // The exact prefix reaches the router as `/`.
    assert_eq!(client.get("/blog").await.text(), "blog index");
    client.get("/blog/nope").expect_status(404).await;
}

#[tokio::test]
async fn service_fn_and_nested_map_sit_beside_the_router() {
    let client = client();
    client
        .get("/static/app.css")
        .await
        .assert_text_contains("static script=/static path=/app.css ");
    client
        .get("/apps/forum/t/1")
        .await
        .assert_text_contains("forum script=/apps/forum path=/t/1 ");
}

#[tokio::test]
async fn an_app_error_reaches_the_caller() {
    let failing = tower::service_fn(|_req: http::Request<pastry_testkit::Body>| async {
        Err::<http::Response<String>, _>(std::io::Error::other("database down"))
    });
    let map = UrlMap::builder()
        .mount("/db", failing)
        .mount("/ok", echo("ok"))
        .build()
        .unwrap();
    let client = TestClient::new(map);
    let err = client.get("/db/x").try_send().await.unwrap_err();
    assert!(err.to_string().contains("database down"), "{err}");
    client.get("/ok").await.assert_text_contains("ok ");
}
