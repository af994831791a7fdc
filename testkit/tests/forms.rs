//! Forms and links, as WebTest has them: find, fill in, submit, click.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};

use http::{Method, Request, Response};
use http_body_util::BodyExt;
use pastry_testkit::{Body, TestClient};

/// The page under test; every other request is echoed back as
/// `METHOD uri\ncontent-type\norigin\ncookie\nbody`.
const PAGE: &str = r#"<!DOCTYPE html>
<html><head><title>Forms</title></head><body>
<a href="/about">About  us</a>
<a class="next" href="page/2?x=1#frag">Next page</a>
<nav><a id="out" href="https://localhost/logout">Log out</a></nav>
<form id="login" name="signin" action="../session" method="POST">
  <input type="hidden" name="next" value="/private">
  <input type="hidden" name="csrf" value="tok&en">
  <input name="user">
  <input type="password" name="pw">
  <input name="nameless-sibling" disabled value="nope">
  <input value="no name">
  <fieldset disabled><input name="in-disabled-fieldset" value="x"></fieldset>
  <input type="checkbox" name="remember">
  <input type="checkbox" name="tags" value="a" checked>
  <input type="checkbox" name="tags" value="b">
  <input type="radio" name="plan" value="free" checked>
  <input type="radio" name="plan" value="pro">
  <select name="lang">
    <option value="en">English</option>
    <option value="fr" selected>Français</option>
    <option disabled value="de">Deutsch</option>
  </select>
  <select name="colours" multiple>
    <option selected>red</option><option>green</option><option selected>blue</option>
  </select>
  <textarea name="note">line one
line two</textarea>
  <input type="reset" name="reset" value="Reset">
  <input type="button" name="noop" value="Nothing">
  <button name="action" value="login">Log in</button>
  <input type="submit" name="action" value="Sign up" formaction="/signup" formmethod="get">
  <button id="upload-button" name="go" formenctype="multipart/form-data">Upload</button>
</form>
<form action="/search" method="get">
  <input name="q" value="first">
  <input type="submit" value="Search">
</form>
<form id="blank"><input name="x" value="1"></form>
<form id="files" action="/upload" method="post" enctype="multipart/form-data">
  <input name="title" value="Holiday">
  <input type="file" name="photo">
</form>
<input form="blank" name="outside" value="2">
</body></html>"#;

async fn app(req: Request<Body>) -> Result<Response<String>, Infallible> {
    let path = req.uri().path().to_owned();
    if req.method() == Method::GET && path.starts_with("/app/") {
        return Ok(Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .header("set-cookie", "sid=s1; Path=/")
            .body(PAGE.to_owned())
            .unwrap());
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let head = format!(
        "{} {}\n{}\n{}\n{}\n",
        req.method(),
        req.uri(),
        header("content-type"),
        header("origin"),
        header("cookie")
    );
    let body = req.into_body().collect().await.unwrap().to_bytes();
    Ok(Response::new(format!(
        "{head}{}",
        String::from_utf8_lossy(&body)
    )))
}

fn page() -> pastry_testkit::TestResponse {
    TestClient::new(tower::service_fn(app))
        .get("/app/dir/forms")
        .send_blocking()
}

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap()
}

#[test]
fn forms_are_found_by_id_name_and_index() {
    let page = page();
    assert_eq!(page.forms().len(), 4);
    assert_eq!(page.form("login").index(), 0);
    assert_eq!(page.form("signin").id(), Some("login"));
    assert_eq!(page.form_at(1).id(), None);
    assert_eq!(page.form_at(1).action(), "http://localhost/search");
    assert_eq!(page.form("files").method(), Method::POST);
    assert_eq!(page.form_at(1).method(), Method::GET);
}

#[test]
fn a_missing_form_is_named_and_the_forms_listed() {
    let page = page();
    let msg = panic_message(|| {
        page.form("nope");
    });
    assert!(msg.contains("no form has the id or name \"nope\""), "{msg}");
    assert!(
        msg.contains("form #0 (id=\"login\" name=\"signin\" action=\"../session\")"),
        "{msg}"
    );
    assert!(msg.contains("form #1 (action=\"/search\")"), "{msg}");
    assert!(msg.contains("status: 200 OK"), "{msg}");
    let msg = panic_message(|| {
        page.form_at(9);
    });
    assert!(msg.contains("there is no form #9"), "{msg}");
}

#[test]
fn a_page_without_forms_says_so() {
    let client = TestClient::new(tower::service_fn(app));
    let res = client.post("/plain").send_blocking();
    let msg = panic_message(|| {
        res.form_at(0);
    });
    assert!(msg.contains("the page has no <form>"), "{msg}");
}

#[test]
fn default_values_follow_the_html_rules() {
    let form = page().form("login");
    assert_eq!(
        form.fields(),
        [
            ("next", "/private"),
            ("csrf", "tok&en"),
            ("user", ""),
            ("pw", ""),
            ("tags", "a"),
            ("plan", "free"),
            ("lang", "fr"),
            ("colours", "red"),
            ("colours", "blue"),
            ("note", "line one\nline two"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    assert_eq!(
        form.value("remember"),
        None,
        "an unchecked box sends nothing"
    );
    assert_eq!(form.value("in-disabled-fieldset"), None);
    assert_eq!(form.value("action"), None, "buttons only send when pressed");
}

#[test]
fn a_single_select_with_nothing_selected_shows_its_first_option() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let page = r#"<form><select name="s"><option disabled>x</option><option>y</option><option>z</option></select></form>"#;
        Ok::<_, Infallible>(Response::new(page.to_owned()))
    });
    let form = TestClient::new(app).get("/").send_blocking().form_at(0);
    assert_eq!(form.value("s").as_deref(), Some("y"));
}

#[test]
fn fields_are_set_by_kind() {
    let form = page()
        .form("login")
        .set("user", "alice")
        .set("pw", "wonder land")
        .check("remember")
        .set("tags", "b")
        .set("plan", "pro")
        .set("lang", "English")
        .set_all("colours", &["green"])
        .set("note", "new");
    let fields = form.fields();
    let get = |name: &str| -> Vec<&str> {
        fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(get("user"), ["alice"]);
    assert_eq!(get("remember"), ["on"]);
    assert_eq!(get("tags"), ["a", "b"]);
    assert_eq!(get("plan"), ["pro"]);
    assert_eq!(get("lang"), ["en"]);
    assert_eq!(get("colours"), ["green"]);
    assert_eq!(get("note"), ["new"]);
    let form = form.uncheck("tags").set_all("tags", &["b"]);
    assert_eq!(form.value("tags").as_deref(), Some("b"));
}

#[test]
fn setting_what_is_not_there_lists_what_is() {
    let form = page().form("login");
    let msg = panic_message(|| {
        form.clone().set("username", "x");
    });
    assert!(msg.contains("no field is called `username`"), "{msg}");
    assert!(msg.contains("user (text)"), "{msg}");
    assert!(msg.contains("next (hidden)"), "{msg}");
    let msg = panic_message(|| {
        form.clone().set("lang", "es");
    });
    assert!(msg.contains("has no option \"es\""), "{msg}");
    assert!(msg.contains("[\"en\", \"fr\", \"de\"]"), "{msg}");
    let msg = panic_message(|| {
        form.clone().set("plan", "gold");
    });
    assert!(msg.contains("[\"free\", \"pro\"]"), "{msg}");
    let msg = panic_message(|| {
        form.clone().check("tags");
    });
    assert!(
        msg.contains("several checkboxes are called `tags`"),
        "{msg}"
    );
    let msg = panic_message(|| {
        form.clone().set("action", "x");
    });
    assert!(msg.contains("submit button"), "{msg}");
    let msg = panic_message(|| {
        let _ = form.submit_with("Delete");
    });
    assert!(
        msg.contains("no submit button is called \"Delete\""),
        "{msg}"
    );
    assert!(msg.contains("action (submit button \"Log in\")"), "{msg}");
    assert!(msg.contains("action (submit button \"Sign up\")"), "{msg}");
}

#[test]
fn submit_posts_urlencoded_to_the_resolved_action_with_cookies_and_origin() {
    let res = page()
        .form("login")
        .set("user", "alice")
        .set("pw", "a b&c")
        .submit()
        .send_blocking();
    assert_eq!(
        res.text(),
        "POST /app/session\napplication/x-www-form-urlencoded\nhttp://localhost\nsid=s1\n\
         next=%2Fprivate&csrf=tok%26en&user=alice&pw=a+b%26c&tags=a&plan=free&lang=fr&\
         colours=red&colours=blue&note=line+one%0D%0Aline+two"
    );
}

#[test]
fn the_pressed_button_sends_its_value_and_overrides_the_form() {
    let form = page().form("login");
    let res = form.submit_with("Log in").send_blocking();
    assert!(res.text().ends_with("&action=login"), "{}", res.text());
    let res = form.submit_with("Sign up").send_blocking();
    let first_line = res.text().lines().next().unwrap().to_owned();
    assert!(
        first_line.starts_with("GET /signup?next=%2Fprivate&csrf=tok%26en&"),
        "{first_line}"
    );
    assert!(first_line.ends_with("&action=Sign+up"), "{first_line}");
    let res = form.submit_with("upload-button").send_blocking();
    let text = res.text();
    assert!(
        text.starts_with("POST /app/session\nmultipart/form-data; boundary="),
        "{text}"
    );
    assert!(text.contains("name=\"go\"\r\n\r\n\r\n"), "{text}");
}

#[test]
fn get_forms_replace_the_actions_query() {
    let res = page()
        .form_at(1)
        .set("q", "green tea")
        .submit()
        .send_blocking();
    assert_eq!(res.url(), "http://localhost/search?q=green+tea");
    assert!(
        res.text().starts_with("GET /search?q=green+tea\n\n\n"),
        "{}",
        res.text()
    );
}

#[test]
fn a_form_without_action_submits_to_the_page_and_takes_outside_fields() {
    let form = page().form("blank");
    assert_eq!(form.action(), "http://localhost/app/dir/forms");
    assert_eq!(form.method(), Method::GET);
    let res = form.submit().send_blocking();
    assert_eq!(res.url(), "http://localhost/app/dir/forms?x=1&outside=2");
}

#[test]
fn multipart_forms_send_files() {
    let res = page()
        .form("files")
        .file("photo", "cat.png", "image/png", &b"\x89PNG"[..])
        .submit()
        .send_blocking();
    let text = res.text();
    assert!(
        text.starts_with("POST /upload\nmultipart/form-data; boundary="),
        "{text}"
    );
    assert!(text.contains("name=\"title\"\r\n\r\nHoliday\r\n"), "{text}");
    assert!(
        text.contains("name=\"photo\"; filename=\"cat.png\"\r\ncontent-type: image/png\r\n\r\n"),
        "{text}"
    );
}

#[test]
fn an_empty_file_input_sends_an_empty_file_part() {
    let res = page().form("files").submit().send_blocking();
    assert!(
        res.text().contains("name=\"photo\"; filename=\"\""),
        "{}",
        res.text()
    );
}

#[test]
fn links_are_listed_and_followed_by_text() {
    let page = page();
    assert_eq!(
        page.links()[0],
        ("About us".to_owned(), "/about".to_owned())
    );
    let res = page.click("About us").send_blocking();
    assert_eq!(res.url(), "http://localhost/about");
    assert_eq!(
        res.text(),
        "GET /about


sid=s1
",
        "the jar's cookies go along"
    );
    let res = page.click("Next").send_blocking();
    assert_eq!(res.url(), "http://localhost/app/dir/page/2?x=1");
}

#[test]
fn links_are_followed_by_css_selector() {
    let page = page();
    let res = page.click_selector("a.next").send_blocking();
    assert_eq!(res.url(), "http://localhost/app/dir/page/2?x=1");
    let res = page.click_selector("nav #out").send_blocking();
    assert_eq!(res.url(), "https://localhost/logout");
}

#[test]
fn a_missing_link_is_named_and_the_links_listed() {
    let page = page();
    let msg = panic_message(|| {
        let _ = page.click("Contact");
    });
    assert!(
        msg.contains("no link's text is or contains \"Contact\""),
        "{msg}"
    );
    assert!(msg.contains("\"About us\" -> /about"), "{msg}");
    let msg = panic_message(|| {
        let _ = page.click_selector("a.prev");
    });
    assert!(
        msg.contains("no element with an href matches \"a.prev\""),
        "{msg}"
    );
    let msg = panic_message(|| {
        let _ = page.click_selector("a[");
    });
    assert!(msg.contains("is not a CSS selector"), "{msg}");
}

#[test]
fn base_href_changes_where_links_and_actions_go() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let page = r#"<head><base href="/root/"></head><a href="x">x</a><form action="y"></form>"#;
        Ok::<_, Infallible>(Response::new(page.to_owned()))
    });
    let page = TestClient::new(app).get("/a/b/c").send_blocking();
    assert_eq!(page.form_at(0).action(), "http://localhost/root/y");
    assert_eq!(
        page.click("x").send_blocking().url(),
        "http://localhost/root/x"
    );
    let app = tower::service_fn(|req: Request<Body>| async move {
        let page = r#"<head><base href="https://cdn.example/"></head><form method="post" action="/p"></form>"#;
        let origin = req
            .headers()
            .get("origin")
            .map(|v| v.to_str().unwrap().to_owned());
        Ok::<_, Infallible>(Response::new(origin.unwrap_or_else(|| page.to_owned())))
    });
    let page = TestClient::new(app)
        .get("http://shop.example/a")
        .send_blocking();
    let form = page.form_at(0);
    assert_eq!(form.action(), "https://cdn.example/p");
    assert_eq!(
        form.submit().send_blocking().text(),
        "http://shop.example",
        "Origin is the page's, not the base URL's"
    );
}

#[test]
fn a_later_checked_radio_unchecks_an_earlier_one() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let page = r#"<form><input type=radio name=r value=a checked><input type=radio name=r value=b checked></form>"#;
        Ok::<_, Infallible>(Response::new(page.to_owned()))
    });
    let form = TestClient::new(app).get("/").send_blocking().form_at(0);
    assert_eq!(form.fields(), [("r".to_owned(), "b".to_owned())]);
}

#[tokio::test]
async fn forms_submit_and_links_follow_with_await_too() {
    let client = TestClient::new(tower::service_fn(app));
    let page = client.get("/app/x").await;
    let res = page.form("login").set("user", "bob").submit().await;
    assert!(res.text().contains("user=bob"));
    let res = page.click("About").await;
    assert_eq!(res.url(), "http://localhost/about");
}
