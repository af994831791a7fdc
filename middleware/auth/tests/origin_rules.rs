//! `LoginForm` and `Logout` go by the rules of a cross-origin layer outside
//! them (its `CrossOriginChecked` mark), else by the default rule, and the
//! login form carries the synchronizer token when a token layer hands one.

mod common;

use common::{hasher, site, users};
use pastry_core::{CrossOriginChecked, CsrfToken};
use pastry_testkit::TestClient;

#[tokio::test]
async fn login_from_another_origin_is_refused_without_a_layer() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client
        .post("/login")
        .header("origin", "http://evil.example")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(403)
        .await;
    assert_eq!(res.header("set-cookie"), None);
}

#[tokio::test]
async fn login_and_logout_follow_the_layers_decision() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    // The layer outside trusted this origin and marked the request.
    client
        .post("/login")
        .header("origin", "https://trusted.example")
        .extension(CrossOriginChecked)
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(303)
        .await;
    client
        .post("/logout")
        .header("origin", "https://trusted.example")
        .expect_status(403)
        .await;
    client
        .post("/logout")
        .header("origin", "https://trusted.example")
        .extension(CrossOriginChecked)
        .expect_status(303)
        .await;
}

#[tokio::test]
async fn login_form_renders_the_token_field_when_the_token_layer_is_there() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let page = client.get("/login").await.text();
    assert!(!page.contains("csrf_token"), "{page}");
    let token = CsrfToken::new("tok<en>");
    let page = client.get("/login").extension(token.clone()).await.text();
    assert!(
        page.contains(r#"<input type="hidden" name="csrf_token" value="tok&lt;en&gt;">"#),
        "{page}"
    );
    assert!(token.is_used());
    // A failed login shows the form again, with the token.
    let page = client
        .post("/login")
        .extension(token)
        .form(&[("username", "alice"), ("password", "wrong")])
        .expect_status(401)
        .await
        .text();
    assert!(page.contains(r#"name="csrf_token""#), "{page}");
}
