//! Following redirects.

use std::convert::Infallible;

use http::{Request, Response};
use http_body_util::BodyExt;
use pastry_testkit::{Body, TestClient, TestError};

/// `/r/<status>/<target…>` redirects with that status to `/<target…>`;
/// `/offsite` redirects to another host; `/loop` to itself; `/login` sets a
/// cookie while redirecting; anything else describes the request.
async fn app(req: Request<Body>) -> Result<Response<String>, Infallible> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let redirect = |status: u16, location: &str| {
        Response::builder()
            .status(status)
            .header("location", location)
            .body(String::new())
            .unwrap()
    };
    if let Some(rest) = path.strip_prefix("/r/") {
        let (status, target) = rest.split_once('/').unwrap();
        return Ok(redirect(status.parse().unwrap(), &format!("/{target}")));
    }
    match path.as_str() {
        "/offsite" => return Ok(redirect(302, "http://evil.example/steal")),
        "/loop" => return Ok(redirect(302, "/loop")),
        "/relative/start" => return Ok(redirect(302, "next?x=1")),
        "/login" => {
            return Ok(Response::builder()
                .status(303)
                .header("location", "/home")
                .header("set-cookie", "sid=abc; Path=/")
                .body(String::new())
                .unwrap());
        }
        _ => {}
    }
    if parts.method == http::Method::HEAD {
        return Ok(Response::new(String::new()));
    }
    let body = body.collect().await.unwrap().to_bytes();
    let cookie = parts
        .headers
        .get("cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let has_type = parts.headers.contains_key("content-type");
    Ok(Response::new(format!(
        "{} {} body={} cookie={cookie} typed={has_type}",
        parts.method,
        parts.uri,
        String::from_utf8_lossy(&body)
    )))
}

fn client() -> TestClient {
    TestClient::new(tower::service_fn(app))
}

#[tokio::test]
async fn redirects_are_not_followed_by_default() {
    let res = client().get("/r/302/done").await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.header("location"), Some("/done"));
    assert!(res.history().is_empty());
}

#[tokio::test]
async fn see_other_turns_a_post_into_a_get_without_body() {
    for status in [301, 302, 303] {
        let res = client()
            .post(format!("/r/{status}/done"))
            .form(&[("a", "1")])
            .follow_redirects()
            .await;
        assert_eq!(
            res.text(),
            "GET /done body= cookie= typed=false",
            "{status}"
        );
        assert_eq!(res.history().len(), 1);
        assert_eq!(res.history()[0].status(), status);
    }
}

#[tokio::test]
async fn temporary_and_permanent_redirects_keep_method_and_body() {
    for status in [307, 308] {
        let res = client()
            .put(format!("/r/{status}/done"))
            .body("payload")
            .follow_redirects()
            .await;
        assert_eq!(
            res.text(),
            "PUT /done body=payload cookie= typed=false",
            "{status}"
        );
    }
}

#[tokio::test]
async fn chain_of_responses_is_kept_in_order() {
    let res = client()
        .get("/r/301/r/307/r/302/end")
        .follow_redirects()
        .await;
    let statuses: Vec<u16> = res.history().iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [301, 307, 302]);
    assert_eq!(res.url(), "http://localhost/end");
    assert_eq!(res.history()[1].url(), "http://localhost/r/307/r/302/end");
}

#[tokio::test]
async fn cookies_set_by_a_redirect_are_sent_on_the_next_hop() {
    let client = client();
    let res = client
        .post("/login")
        .form(&[("u", "a")])
        .follow_redirects()
        .await;
    assert_eq!(res.text(), "GET /home body= cookie=sid=abc typed=false");
    assert_eq!(client.cookie("sid").as_deref(), Some("abc"));
}

#[tokio::test]
async fn relative_location_resolves_against_the_current_url() {
    let res = client().get("/relative/start").follow_redirects().await;
    assert_eq!(res.url(), "http://localhost/relative/next?x=1");
}

#[tokio::test]
async fn redirect_to_another_host_is_refused() {
    let err = client()
        .get("/offsite")
        .follow_redirects()
        .try_send()
        .await
        .unwrap_err();
    assert!(matches!(err, TestError::Redirect(_)));
    assert!(
        err.to_string()
            .contains("another host: http://evil.example/steal"),
        "{err}"
    );
}

#[tokio::test]
async fn redirect_loop_stops_at_the_limit() {
    let err = client()
        .get("/loop")
        .max_redirects(3)
        .try_send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("more than 3 redirects"), "{err}");
}

#[tokio::test]
async fn expectations_apply_to_the_final_response() {
    client()
        .get("/r/302/r/307/x")
        .follow_redirects()
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn head_stays_head_through_a_see_other() {
    let res = client().head("/r/303/x").follow_redirects().await;
    assert_eq!(res.url(), "http://localhost/x");
    assert!(res.bytes().is_empty());
}
