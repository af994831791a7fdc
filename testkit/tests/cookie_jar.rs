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

#[tokio::test]
async fn secure_cookies_are_kept_and_sent_over_plain_http_to_loopback_hosts() {
    for origin in [
        "http://localhost",
        "http://localhost:8080",
        "http://app.localhost",
        "http://127.0.0.1:3000",
        "http://127.8.9.10",
        "http://[::1]:8080",
    ] {
        let c = client();
        set(&c, &format!("{origin}/"), "sec=1; Secure; Path=/").await;
        assert_eq!(c.cookie("sec").as_deref(), Some("1"), "kept from {origin}");
        assert_eq!(
            sent(&c, &format!("{origin}/x")).await,
            "sec=1",
            "sent to {origin}"
        );
    }
    // The default, origin-form target is http://localhost.
    let c = client();
    set(&c, "/", "sec=1; Secure").await;
    assert_eq!(sent(&c, "/").await, "sec=1");
}

#[tokio::test]
async fn a_secure_cookie_from_plain_http_to_another_host_is_refused_and_said() {
    let c = client();
    for origin in [
        "http://example.com",
        "http://localhost.example.com",
        "http://127.0.0.1.example",
    ] {
        let res = c
            .get(format!("{origin}/"))
            .query(&[("set", "sec=1; Secure")])
            .await;
        assert_eq!(c.cookie("sec"), None, "{origin}");
        let notes = res.cookie_notes().join("\n");
        assert!(notes.contains("was refused"), "{origin}: {notes}");
        assert!(
            notes.contains("neither https nor a loopback host"),
            "{notes}"
        );
    }
    // Later requests to that host say so too, until the app sets a cookie
    // of that name the jar keeps.
    let message = failure(&c, "http://example.com/account").await;
    assert!(
        message.contains("`sec` was refused when set: it is Secure and http://example.com is neither https nor a loopback host (from http://example.com/?set="),
        "{message}"
    );
    assert!(!failure(&c, "http://other.example/").await.contains("`sec`"));
    set(&c, "http://example.com/", "sec=2").await;
    assert!(!failure(&c, "http://example.com/").await.contains("refused"));
}

/// The failure message of a request that expects 201 from `url`.
async fn failure(c: &TestClient, url: &str) -> String {
    c.get(url)
        .expect_status(201)
        .try_send()
        .await
        .expect_err("the app answers 200")
        .to_string()
}

#[tokio::test]
async fn failure_output_says_which_cookies_the_jar_held_back_and_why() {
    let c = client();
    set(&c, "https://example.com/", "sec=1; Secure").await;
    set(&c, "https://example.com/", "adm=1; Path=/admin").await;
    set(&c, "https://example.com/", "short=1; Max-Age=60").await;
    set(&c, "https://other.example/", "there=1").await;
    c.advance_time(Duration::from_secs(61));

    let message = failure(&c, "http://example.com/").await;
    assert!(message.contains("cookie jar:"), "{message}");
    assert!(
        message.contains(
            "`sec` is Secure and http://example.com is neither https nor a loopback host"
        ),
        "{message}"
    );
    assert!(
        message.contains("TestClient::base_url"),
        "the fix is named: {message}"
    );
    assert!(
        message.contains("`adm` has Path=/admin, which does not match /"),
        "{message}"
    );
    assert!(message.contains("`short` expired"), "{message}");
    assert!(
        message.contains("`there` is for host other.example only, not example.com"),
        "{message}"
    );

    // The same lines end a failed assertion on the response.
    let res = c.get("http://example.com/").await;
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        res.assert_status(201);
    }))
    .expect_err("assert_status fails");
    let text = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(text.contains("`sec` is Secure"), "{text}");
}

#[tokio::test]
async fn a_refused_set_cookie_is_said_in_failure_output() {
    let c = client();
    let res = c
        .get("http://a.example/")
        .query(&[("set", "x=1; Domain=b.example")])
        .expect_status(201)
        .try_send()
        .await
        .expect_err("the app answers 200")
        .to_string();
    assert!(
        res.contains("Set-Cookie `x=1; Domain=b.example` was refused: Domain=b.example does not cover the host a.example"),
        "{res}"
    );
}

#[tokio::test]
async fn a_request_that_sends_every_cookie_has_no_notes() {
    let c = client();
    set(&c, "/", "a=1").await;
    let res = c.get("/").await;
    assert!(res.cookie_notes().is_empty(), "{:?}", res.cookie_notes());
}
