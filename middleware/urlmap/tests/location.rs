//! Opt-in rewriting of root-relative `Location` headers from apps that
//! ignore their prefix.

use std::convert::Infallible;
use std::future::ready;

use http::header::LOCATION;
use http::{HeaderValue, Request, Response, StatusCode};
use pastry_testkit::{Body, TestClient};
use pastry_urlmap::{Mount, UrlMap};
use tower::service_fn;

/// Redirects to whatever the `to` query parameter says, ignoring its mount.
fn legacy() -> impl tower::Service<
    Request<Body>,
    Response = Response<String>,
    Error = Infallible,
    Future = std::future::Ready<Result<Response<String>, Infallible>>,
> + Clone
+ Send
+ Sync
+ 'static {
    service_fn(|req: Request<Body>| {
        let to = req
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("to="))
            .unwrap_or("/login");
        let mut res = Response::new(String::new());
        *res.status_mut() = StatusCode::FOUND;
        res.headers_mut()
            .insert(LOCATION, HeaderValue::from_str(to).unwrap());
        ready(Ok(res))
    })
}

fn client() -> TestClient {
    let inner = UrlMap::builder()
        .mount(Mount::at("/old").rewrite_location(true), legacy())
        .build()
        .unwrap();
    let map = UrlMap::builder()
        .mount(Mount::at("/legacy").rewrite_location(true), legacy())
        .mount("/plain", legacy())
        .mount(Mount::at("/apps").rewrite_location(true), inner)
        .build()
        .unwrap();
    TestClient::new(map)
}

#[tokio::test]
async fn root_relative_location_is_rewritten_under_the_prefix() {
    let client = client();
    client
        .get("/legacy/x")
        .await
        .assert_header("location", "/legacy/login");
    client
        .get("/legacy/x?to=/a/b?c=/d")
        .await
        .assert_header("location", "/legacy/a/b?c=/d");
}

#[tokio::test]
async fn location_is_left_alone_without_the_opt_in() {
    client()
        .get("/plain/x")
        .await
        .assert_header("location", "/login");
}

#[tokio::test]
async fn absolute_scheme_relative_and_relative_locations_are_left_alone() {
    let client = client();
    for to in [
        "https://example.com/x",
        "//example.com/x",
        "next",
        "?page=2",
    ] {
        client
            .get(format!("/legacy/x?to={to}"))
            .await
            .assert_header("location", to);
    }
}

#[tokio::test]
async fn nested_maps_that_opt_in_each_add_their_prefix() {
    client()
        .get("/apps/old/x")
        .await
        .assert_header("location", "/apps/old/login");
}
