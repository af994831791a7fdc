//! The altdemo's login through its real form, as a browser fills it in:
//! the test kit reads the page's form, keeps every hidden field (`next`
//! today, a CSRF token if the form grows one), and submits it with the
//! cookie jar.

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use pastry::sessions::AnyStore;
use pastry_testkit::{Form, TestClient, TestResponse};

fn client() -> TestClient {
    let store = AnyStore::from_url("memory:").unwrap();
    let stack = app::stack(app::Config::new(store, false, false)).unwrap();
    TestClient::new(stack)
}

/// The page's login form: the one with a password field.
fn login_form(page: &TestResponse) -> Form {
    let forms = page.forms();
    let found = forms
        .iter()
        .find(|form| form.fields().iter().any(|(name, _)| name == "password"));
    match found {
        Some(form) => form.clone(),
        None => panic!("no login form on {}: {forms:?}", page.url()),
    }
}

#[tokio::test]
async fn logging_in_through_the_form_goes_back_where_the_user_was_sent_from() {
    let client = client();
    let login_page = client.get("/private").follow_redirects().await;
    assert_eq!(login_page.url(), "http://localhost/login?next=/private");
    let form = login_form(&login_page);
    // The hidden field comes from the page, not from the test.
    assert_eq!(form.value("next").as_deref(), Some("/private"));

    let private = form
        .set("username", "alice")
        .set("password", "wonderland")
        .submit()
        .follow_redirects()
        .await;
    assert_eq!(private.url(), "http://localhost/private");
    assert_eq!(private.history()[0].status(), 303);
    private
        .assert_status(200)
        .assert_text_contains("<strong id=\"user\">alice</strong>");
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_its_fields_kept() {
    let client = client();
    let login_page = client.get("/login?next=/private").await;
    let again = login_form(&login_page)
        .set("username", "alice")
        .set("password", "guess")
        .submit()
        .expect_status(401)
        .await;
    let form = login_form(&again);
    assert_eq!(form.value("username").as_deref(), Some("alice"));
    assert_eq!(form.value("next").as_deref(), Some("/private"));
    assert_eq!(form.value("password").as_deref(), Some(""));
    let private = form
        .set("password", "wonderland")
        .submit()
        .follow_redirects()
        .await;
    private.assert_text_contains("<strong id=\"user\">alice</strong>");
}

#[tokio::test]
async fn links_and_the_logout_form_work_like_in_a_browser() {
    let client = client();
    let login_page = client.get("/").await.click("login").await;
    login_form(&login_page)
        .set("username", "bob")
        .set("password", "builder")
        .submit()
        .follow_redirects()
        .await
        .assert_text_contains("<tr><th>remote user</th><td>bob</td></tr>");

    let context = client.get("/").await;
    let health = context.click("api").await;
    assert_eq!(health.json::<serde_json::Value>()["status"], "ok");

    // The nav's log-out form posts with the page's Origin, which the
    // cross-origin check accepts.
    let logout = context
        .forms()
        .into_iter()
        .find(|form| form.action() == "http://localhost/logout")
        .expect("the nav's log-out form");
    logout.submit().expect_status(303).await;
    client
        .get("/private")
        .expect_status(303)
        .await
        .assert_redirect("/login?next=/private");
}
