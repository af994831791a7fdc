//! The cookie jar follows RFC 6265.

use std::convert::Infallible;
use std::time::Duration;

use http::{Request, Response};
use pastry_core::UrlScheme;
use pastry_testkit::{Body, TestClient};

/// Any request with `?set=<Set-Cookie value>` gets that header back; every
/// response body is the `Cookie` header the app received.
async fn app(req: Request<Body>) -> Result<Response<String>, Infallible> {
    let received = req
        .headers()
        .get("cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let mut res = Response::builder();
    if let Some(query) = req.uri().query() {
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "set" {
                res = res.header("set-cookie", value.into_owned());
            }
        }
    }
    Ok(res.body(received).unwrap())
}

fn client() -> TestClient {
    TestClient::new(tower::service_fn(app))
}

async fn set(client: &TestClient, url: &str, cookie: &str) {
    client.get(url).query(&[("set", cookie)]).await;
}

async fn sent(client: &TestClient, url: &str) -> String {
    client.get(url).await.text()
}

#[tokio::test]
async fn cookies_are_kept_and_sent_back() {
    let c = client();
    set(&c, "/", "a=1").await;
    set(&c, "/", "b=2").await;
    assert_eq!(sent(&c, "/").await, "a=1; b=2");
    assert_eq!(c.cookie("a").as_deref(), Some("1"));
}

#[tokio::test]
async fn setting_a_cookie_again_replaces_it() {
    let c = client();
    set(&c, "/", "a=1").await;
    set(&c, "/", "a=2").await;
    assert_eq!(sent(&c, "/").await, "a=2");
}

#[tokio::test]
async fn host_only_cookie_is_not_sent_to_subdomains() {
    let c = client();
    set(&c, "http://example.com/", "h=1").await;
    assert_eq!(sent(&c, "http://example.com/").await, "h=1");
    assert_eq!(sent(&c, "http://www.example.com/").await, "");
    assert_eq!(sent(&c, "http://other.com/").await, "");
}

#[tokio::test]
async fn domain_cookie_is_sent_to_subdomains_only() {
    let c = client();
    set(&c, "http://www.example.com/", "d=1; Domain=.example.com").await;
    assert_eq!(sent(&c, "http://example.com/").await, "d=1");
    assert_eq!(sent(&c, "http://a.b.example.com/").await, "d=1");
    assert_eq!(sent(&c, "http://badexample.com/").await, "");
}

#[tokio::test]
async fn domain_not_covering_the_host_is_refused() {
    let c = client();
    set(&c, "http://example.com/", "x=1; Domain=other.com").await;
    set(&c, "http://example.com/", "y=1; Domain=www.example.com").await;
    set(&c, "http://example.com/", "z=1; Domain=com").await;
    assert_eq!(c.cookie("x"), None);
    assert_eq!(c.cookie("y"), None);
    assert_eq!(c.cookie("z"), None);
    // A single-label host may name itself.
    set(&c, "/", "l=1; Domain=localhost").await;
    assert_eq!(sent(&c, "/").await, "l=1");
}

#[tokio::test]
async fn path_matches_on_segment_boundaries() {
    let c = client();
    set(&c, "/", "p=1; Path=/admin").await;
    assert_eq!(sent(&c, "/admin").await, "p=1");
    assert_eq!(sent(&c, "/admin/users").await, "p=1");
    assert_eq!(sent(&c, "/administrator").await, "");
    assert_eq!(sent(&c, "/").await, "");
}

#[tokio::test]
async fn default_path_is_the_request_directory() {
    let c = client();
    set(&c, "/shop/cart/add", "cart=9").await;
    assert_eq!(sent(&c, "/shop/cart/view").await, "cart=9");
    assert_eq!(sent(&c, "/shop/other").await, "");
}

#[tokio::test]
async fn longer_paths_are_sent_first() {
    let c = client();
    set(&c, "/", "a=root; Path=/").await;
    set(&c, "/", "a=deep; Path=/x/y").await;
    assert_eq!(sent(&c, "/x/y/z").await, "a=deep; a=root");
}

#[tokio::test]
async fn max_age_zero_removes_the_cookie_for_good() {
    let c = client();
    set(&c, "/", "s=abc").await;
    set(&c, "/", "s=; Max-Age=0").await;
    assert_eq!(c.cookie("s"), None);
    assert_eq!(sent(&c, "/").await, "");
}

#[tokio::test]
async fn expires_in_the_past_removes_the_cookie() {
    let c = client();
    set(&c, "/", "s=abc").await;
    set(&c, "/", "s=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT").await;
    assert_eq!(c.cookie("s"), None);
    assert_eq!(sent(&c, "/").await, "");
}

#[tokio::test]
async fn a_cookie_born_expired_is_never_stored() {
    let c = client();
    set(&c, "/", "n=1; Max-Age=-5").await;
    assert_eq!(sent(&c, "/").await, "");
}

#[tokio::test]
async fn max_age_cookie_expires_when_time_passes() {
    let c = client();
    set(&c, "/", "t=1; Max-Age=60").await;
    c.advance_time(Duration::from_secs(59));
    assert_eq!(sent(&c, "/").await, "t=1");
    c.advance_time(Duration::from_secs(2));
    assert_eq!(sent(&c, "/").await, "");
    assert_eq!(c.cookie("t"), None);
}

#[tokio::test]
async fn max_age_wins_over_expires() {
    let c = client();
    set(
        &c,
        "/",
        "m=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    )
    .await;
    assert_eq!(sent(&c, "/").await, "m=1");
}

#[tokio::test]
async fn secure_cookie_is_sent_only_over_https() {
    let c = client();
    set(&c, "https://example.com/", "sec=1; Secure").await;
    assert_eq!(sent(&c, "http://example.com/").await, "");
    assert_eq!(sent(&c, "https://example.com/").await, "sec=1");
    let res = c.get("http://example.com/").scheme(UrlScheme::Https).await;
    assert_eq!(res.text(), "sec=1");
}

#[tokio::test]
async fn user_set_cookies_go_everywhere_and_clear_empties_the_jar() {
    let c = client();
    c.set_cookie("lang", "fr");
    assert_eq!(
        sent(&c, "http://anywhere.example/deep/path").await,
        "lang=fr"
    );
    set(&c, "/", "a=1").await;
    assert_eq!(c.cookies().len(), 2);
    c.clear_cookies();
    assert!(c.cookies().is_empty());
    assert_eq!(sent(&c, "/").await, "");
}

#[tokio::test]
async fn explicit_cookie_header_is_merged_with_the_jar() {
    let c = client();
    set(&c, "/", "a=1").await;
    let res = c.get("/").header("cookie", "mine=2").await;
    assert_eq!(res.text(), "mine=2; a=1");
}

#[tokio::test]
async fn clones_share_the_jar() {
    let c = client();
    let other = c.clone();
    set(&c, "/", "shared=yes").await;
    assert_eq!(sent(&other, "/").await, "shared=yes");
}

#[tokio::test]
async fn response_cookies_are_parsed() {
    let res = client()
        .get("/")
        .query(&[("set", "a=1; Path=/x; HttpOnly")])
        .await;
    let cookie = res.cookie("a").unwrap();
    assert_eq!(cookie.value(), "1");
    assert_eq!(cookie.path(), Some("/x"));
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(res.cookies().len(), 1);
}

#[tokio::test]
async fn explicit_host_header_scopes_cookies_of_a_relative_uri() {
    let c = client();
    c.get("/")
        .header("host", "shop.example")
        .query(&[("set", "cart=1")])
        .await;
    assert_eq!(
        c.get("/").header("host", "shop.example").await.text(),
        "cart=1"
    );
    assert_eq!(sent(&c, "/").await, "");
    assert_eq!(sent(&c, "http://shop.example/").await, "cart=1");
}
