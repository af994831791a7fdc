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

/// Redirects a path without a trailing slash to its slash form, built from
/// the path it sees (below its mount), as tower-http's `ServeDir` does for
/// a directory.
fn directories() -> impl tower::Service<
    Request<Body>,
    Response = Response<String>,
    Error = Infallible,
    Future = std::future::Ready<Result<Response<String>, Infallible>>,
> + Clone
+ Send
+ Sync
+ 'static {
    service_fn(|req: Request<Body>| {
        let mut res = Response::new(String::new());
        if !req.uri().path().ends_with('/') {
            let to = format!("{}/", req.uri().path());
            *res.status_mut() = StatusCode::TEMPORARY_REDIRECT;
            res.headers_mut()
                .insert(LOCATION, HeaderValue::from_str(&to).unwrap());
        }
        ready(Ok(res))
    })
}

fn client() -> TestClient {
    let inner = UrlMap::builder()
        .mount(Mount::at("/old").rewrite_location(true), legacy())
        .build()
        .unwrap();
    let inner_only = UrlMap::builder()
        .mount(Mount::at("/old").rewrite_location(true), legacy())
        .build()
        .unwrap();
    let outer_only = UrlMap::builder().mount("/old", legacy()).build().unwrap();
    let slashes = UrlMap::builder()
        .mount(Mount::at("/old").slash_redirect(true), legacy())
        .build()
        .unwrap();
    let map = UrlMap::builder()
        .mount(Mount::at("/legacy").rewrite_location(true), legacy())
        .mount("/plain", legacy())
        .mount(Mount::at("/apps").rewrite_location(true), inner)
        .mount("/inner-only", inner_only)
        .mount(Mount::at("/outer-only").rewrite_location(true), outer_only)
        .mount(Mount::at("/slashes").rewrite_location(true), slashes)
        .mount(Mount::at("/static").rewrite_location(true), directories())
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
async fn nested_maps_that_all_opt_in_prefix_the_location_once() {
    client()
        .get("/apps/old/x")
        .await
        .assert_header("location", "/apps/old/login");
}

#[tokio::test]
async fn location_gets_the_script_name_set_outside_the_map() {
    // A proxy's `X-Forwarded-Prefix: /app` arrives as `ScriptName("/app")`.
    let client = client();
    client
        .get("/static/docs")
        .script_name("/app")
        .await
        .assert_status(307)
        .assert_header("location", "/app/static/docs/");
    client
        .get("/static/docs")
        .await
        .assert_header("location", "/static/docs/");
    client
        .get("/legacy/x")
        .script_name("/app")
        .await
        .assert_header("location", "/app/legacy/login");
}

#[tokio::test]
async fn locations_left_alone_stay_alone_under_an_outer_script_name() {
    let client = client();
    client
        .get("/plain/x")
        .script_name("/app")
        .await
        .assert_header("location", "/login");
    client
        .get("/legacy/x?to=//example.com/x")
        .script_name("/app")
        .await
        .assert_header("location", "//example.com/x");
}

#[tokio::test]
async fn nested_maps_add_the_whole_script_name_once() {
    let client = client();
    client
        .get("/apps/old/x")
        .script_name("/app")
        .await
        .assert_header("location", "/app/apps/old/login");
    // Only the inner map opts in: it knows the whole script name.
    client
        .get("/inner-only/old/x")
        .await
        .assert_header("location", "/inner-only/old/login");
    // Only the outer map opts in: its app (the inner map) was given
    // `/outer-only`.
    client
        .get("/outer-only/old/x")
        .await
        .assert_header("location", "/outer-only/login");
    client
        .get("/outer-only/old/x")
        .script_name("/app")
        .await
        .assert_header("location", "/app/outer-only/login");
}

#[tokio::test]
async fn an_inner_maps_slash_redirect_is_not_prefixed_again() {
    let client = client();
    client
        .get("/slashes/old?q=1")
        .await
        .assert_status(308)
        .assert_header("location", "/slashes/old/?q=1");
    client
        .get("/slashes/old")
        .script_name("/app")
        .await
        .assert_header("location", "/app/slashes/old/");
}

#[tokio::test]
async fn a_root_mount_that_opts_in_adds_the_outer_script_name() {
    let map = UrlMap::builder()
        .mount(Mount::at("/").rewrite_location(true), legacy())
        .build()
        .unwrap();
    let client = TestClient::new(map);
    client.get("/x").await.assert_header("location", "/login");
    client
        .get("/x")
        .script_name("/app")
        .await
        .assert_header("location", "/app/login");
}
