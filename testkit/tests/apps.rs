//! The kit drives any conforming app: a `service_fn`, an axum `Router`, and
//! a stack of layers.

use std::convert::Infallible;

use axum::routing::{get, post};
use axum::{Form, Json, Router};
use http::{Request, Response};
use pastry_testkit::{Body, TestClient, ValidateLayer};
use serde::Deserialize;
use tower::ServiceBuilder;
use tower::limit::ConcurrencyLimitLayer;

#[tokio::test]
async fn drives_a_service_fn() {
    let app = tower::service_fn(|req: Request<Body>| async move {
        Ok::<_, Infallible>(Response::new(format!("you asked for {}", req.uri().path())))
    });
    let res = TestClient::new(app).get("/thing").await;
    assert_eq!(res.text(), "you asked for /thing");
}

#[derive(Deserialize)]
struct Login {
    username: String,
}

fn router() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route(
            "/login",
            post(|Form(login): Form<Login>| async move { format!("hi {}", login.username) }),
        )
        .route(
            "/json",
            post(|Json(v): Json<serde_json::Value>| async move { Json(v) }),
        )
}

#[tokio::test]
async fn drives_an_axum_router() {
    let client = TestClient::new(router());
    client
        .get("/")
        .await
        .assert_status(200)
        .assert_text_contains("home");
    let res = client.post("/login").form(&[("username", "ann")]).await;
    assert_eq!(res.text(), "hi ann");
    let res = client
        .post("/json")
        .json(&serde_json::json!({"a": [1]}))
        .await;
    res.assert_json(&serde_json::json!({"a": [1]}));
    client.get("/missing").expect_status(404).await;
    client.get("/login").expect_status(405).await;
}

#[test]
fn drives_an_axum_router_from_a_plain_test() {
    TestClient::new(router())
        .get("/")
        .send_blocking()
        .assert_text_contains("home");
}

#[tokio::test]
async fn drives_a_stack_of_layers() {
    let app = ServiceBuilder::new()
        .layer(ConcurrencyLimitLayer::new(1))
        .map_request(|mut req: Request<Body>| {
            req.headers_mut()
                .insert("x-added", "by-layer".parse().unwrap());
            req
        })
        .map_response(|mut res: Response<_>| {
            res.headers_mut().insert("x-stack", "1".parse().unwrap());
            res
        })
        // Validate inside the stack checks the layers above call poll_ready.
        .layer(ValidateLayer::new())
        .service_fn(|req: Request<Body>| async move {
            let added = req.headers()["x-added"].to_str().unwrap().to_owned();
            Ok::<_, Infallible>(Response::new(added))
        });
    let client = TestClient::new(app);
    for _ in 0..3 {
        let res = client.get("/").await;
        assert_eq!(res.text(), "by-layer");
        res.assert_header("x-stack", "1");
    }
}
