//! RequireLogin and RequireRole: redirects, JSON 401, 403.

mod common;

use common::{hasher, site, users};
use pastry_testkit::TestClient;

#[tokio::test]
async fn anonymous_html_request_is_sent_to_login_with_next() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client
        .get("/private?tab=2")
        .header("accept", "text/html")
        .expect_status(303)
        .await;
    res.assert_header("location", "/login?next=/private%3Ftab%3D2");
}

#[tokio::test]
async fn redirect_uses_the_mount_prefix() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client
        .get("/private")
        .script_name("/forum")
        .expect_status(303)
        .await;
    res.assert_header("location", "/forum/login?next=/forum/private");
}

#[tokio::test]
async fn anonymous_json_request_gets_401() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client
        .get("/private")
        .header("accept", "application/json")
        .expect_status(401)
        .await;
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.json::<serde_json::Value>()["error"], "login required");
}

#[tokio::test]
async fn following_the_redirect_round_trip_lands_on_next() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client.get("/private").expect_status(303).await;
    let location = res.header("location").unwrap().to_owned();
    let form = client.get(&location).await;
    form.assert_text_contains("name=\"next\" value=\"/private\"");
    let res = client
        .post("/login")
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("next", "/private"),
        ])
        .follow_redirects()
        .await;
    assert_eq!(res.text(), "user=alice;roles=admin,staff");
}

#[tokio::test]
async fn user_without_the_role_gets_403() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    client
        .post("/login")
        .form(&[("username", "bob"), ("password", "builder")])
        .expect_status(303)
        .await;
    client.get("/admin").expect_status(403).await;
    client.get("/private").expect_status(200).await;
}

#[tokio::test]
async fn user_with_the_role_passes() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    client
        .post("/login")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(303)
        .await;
    assert_eq!(
        client.get("/admin").await.text(),
        "user=alice;roles=admin,staff"
    );
}

#[tokio::test]
async fn anonymous_admin_request_goes_to_login_not_403() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    client.get("/admin").expect_status(303).await;
}
