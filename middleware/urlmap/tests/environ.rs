//! What a mounted app sees: script name (cumulative), path info, the query,
//! the original URI, the exact-prefix rule both ways and `url_for`.

mod common;

use std::convert::Infallible;
use std::future::ready;

use common::echo;
use http::{Request, Response, StatusCode, header::LOCATION};
use pastry_core::{EmptyPathInfo, Environ};
use pastry_testkit::{Body, TestClient};
use pastry_urlmap::{Mount, UrlMap};
use tower::service_fn;

#[tokio::test]
async fn exact_prefix_gives_empty_path_info_by_default() {
    let map = UrlMap::builder()
        .mount("/blog", echo("blog"))
        .build()
        .unwrap();
    let res = TestClient::new(map).get("/blog?page=2").await;
    assert_eq!(
        res.text(),
        "blog script=/blog path= uri=/?page=2 original=/blog?page=2"
    );
}

#[tokio::test]
async fn exact_prefix_redirects_to_the_slash_form_when_the_mount_asks() {
    let map = UrlMap::builder()
        .mount(Mount::at("/forum").slash_redirect(true), echo("forum"))
        .build()
        .unwrap();
    let client = TestClient::new(map);
    let res = client.get("/forum?t=1").await;
    res.assert_status(StatusCode::PERMANENT_REDIRECT);
    res.assert_header("location", "/forum/?t=1");
    let res = client.get("/forum?t=1").follow_redirects().await;
    assert_eq!(
        res.text(),
        "forum script=/forum path=/ uri=/?t=1 original=/forum/?t=1"
    );
    // Only the exact prefix is redirected.
    client
        .get("/forum/x")
        .await
        .assert_text_contains("forum script=/forum path=/x ");
}

#[tokio::test]
async fn query_is_preserved_byte_for_byte() {
    let map = UrlMap::builder()
        .mount("/blog", echo("blog"))
        .build()
        .unwrap();
    let res = TestClient::new(map)
        .get("/blog/./p/%7e?a=%2F..%2f&b=/x/../y&&c")
        .await;
    assert_eq!(
        res.text(),
        "blog script=/blog path=/p/~ uri=/p/~?a=%2F..%2f&b=/x/../y&&c original=/blog/./p/%7e?a=%2F..%2f&b=/x/../y&&c"
    );
}

fn nested() -> UrlMap<Body> {
    let inner = UrlMap::builder()
        .mount("/forum", echo("forum"))
        .mount(Mount::at("/wiki").slash_redirect(true), echo("wiki"))
        .mount("/", echo("inner-root"))
        .build()
        .unwrap();
    UrlMap::builder().mount("/apps", inner).build().unwrap()
}

#[tokio::test]
async fn nested_maps_accumulate_the_script_name_and_keep_the_first_original_uri() {
    let client = TestClient::new(nested());
    let res = client.get("/apps/forum/t/1?q=2").await;
    assert_eq!(
        res.text(),
        "forum script=/apps/forum path=/t/1 uri=/t/1?q=2 original=/apps/forum/t/1?q=2"
    );
    let res = client.get("/apps//forum").await;
    assert_eq!(
        res.text(),
        "forum script=/apps/forum path= uri=/ original=/apps//forum"
    );
}

#[tokio::test]
async fn exact_prefix_of_the_outer_map_stays_empty_in_the_inner_one() {
    let res = TestClient::new(nested()).get("/apps").await;
    assert_eq!(
        res.text(),
        "inner-root script=/apps path= uri=/ original=/apps"
    );
}

#[tokio::test]
async fn nested_slash_redirect_names_the_whole_path() {
    let res = TestClient::new(nested()).get("/apps/wiki?x").await;
    res.assert_status(StatusCode::PERMANENT_REDIRECT);
    res.assert_header("location", "/apps/wiki/?x");
}

#[tokio::test]
async fn script_name_set_upstream_is_extended() {
    let map = UrlMap::builder()
        .mount("/blog", echo("blog"))
        .build()
        .unwrap();
    let res = TestClient::new(map)
        .get("/blog/x")
        .script_name("/site")
        .await;
    res.assert_text_contains("blog script=/site/blog path=/x ");
}

#[tokio::test]
async fn url_for_inside_a_mounted_app_points_under_its_prefix() {
    let app = service_fn(|req: Request<Body>| {
        let mut res = Response::new(req.url_for("/login"));
        *res.status_mut() = StatusCode::SEE_OTHER;
        res.headers_mut()
            .insert(LOCATION, req.url_for("/login").parse().unwrap());
        ready(Ok::<_, Infallible>(res))
    });
    let inner = UrlMap::builder().mount("/forum", app).build().unwrap();
    let map = UrlMap::builder()
        .mount("/forum", app)
        .mount("/apps", inner)
        .mount("/login", echo("login"))
        .mount("/apps/forum/login", echo("nested-login"))
        .build()
        .unwrap();
    let client = TestClient::new(map);
    client
        .get("/forum/t/1")
        .await
        .assert_header("location", "/forum/login");
    client
        .get("/apps/forum/t/1")
        .await
        .assert_header("location", "/apps/forum/login");
    client
        .get("/apps/forum/t/1")
        .follow_redirects()
        .await
        .assert_text_contains("nested-login script=/apps/forum/login ");
}

#[tokio::test]
async fn stale_empty_path_info_marker_is_dropped_for_a_slash_path() {
    let map = UrlMap::builder()
        .mount("/blog", echo("blog"))
        .build()
        .unwrap();
    let res = TestClient::new(map)
        .get("/blog/")
        .extension(EmptyPathInfo)
        .await;
    res.assert_text_contains("blog script=/blog path=/ uri=/ ");
}
