//! Assertions fail with the whole response: status, headers, a body
//! excerpt; and say what they found instead of what was expected.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};

use http::{Request, Response};
use pastry_testkit::{Body, TestClient, TestResponse};

fn response() -> TestResponse {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let res = Response::builder()
            .status(303)
            .header("location", "/home")
            .header("content-type", "application/json")
            .header("x-trace", "abc")
            .body(format!(
                r#"{{"user":"alice","pad":"{}"}}"#,
                "x".repeat(2000)
            ));
        Ok::<_, Infallible>(res.unwrap())
    });
    TestClient::new(app).get("/me").send_blocking()
}

/// The message of the panic `f` raises; also checks it shows the response.
fn failure(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap();
    assert!(msg.contains("for http://localhost/me"), "{msg}");
    assert!(msg.contains("status: 303 See Other"), "{msg}");
    assert!(msg.contains("x-trace: abc"), "{msg}");
    assert!(msg.contains("location: /home"), "{msg}");
    assert!(
        msg.contains("body (2025 bytes): {\"user\":\"alice\""),
        "{msg}"
    );
    assert!(
        msg.contains("xxx …"),
        "the body is cut to an excerpt: {msg}"
    );
    msg
}

#[derive(serde::Deserialize, Debug)]
struct Me {
    user: String,
}

#[derive(serde::Deserialize, Debug)]
#[allow(dead_code)]
struct Other {
    id: u64,
}

#[test]
fn reading_helpers_work_on_the_decoded_body() {
    let res = response();
    assert_eq!(res.json::<Me>().user, "alice");
    assert!(res.text().starts_with("{\"user\""));
    res.assert_status(303)
        .assert_redirect("/home")
        .assert_header("x-trace", "abc")
        .assert_header_contains("content-type", "json")
        .assert_no_header("set-cookie");
}

#[test]
fn assert_status_shows_the_response() {
    let msg = failure(|| {
        response().assert_status(200);
    });
    assert!(
        msg.starts_with("expected status 200 OK, got 303 See Other"),
        "{msg}"
    );
}

#[test]
fn assert_header_says_what_the_header_holds() {
    let msg = failure(|| {
        response().assert_header("x-trace", "xyz");
    });
    assert!(
        msg.starts_with("expected header x-trace: xyz, but x-trace is [\"abc\"]"),
        "{msg}"
    );
    let msg = failure(|| {
        response().assert_header("x-missing", "1");
    });
    assert!(
        msg.starts_with("expected header x-missing: 1, but there is no x-missing header"),
        "{msg}"
    );
}

#[test]
fn assert_header_contains_shows_the_response() {
    let msg = failure(|| {
        response().assert_header_contains("content-type", "html");
    });
    assert!(
        msg.starts_with("expected header content-type to contain \"html\""),
        "{msg}"
    );
}

#[test]
fn assert_no_header_shows_the_response() {
    let msg = failure(|| {
        response().assert_no_header("x-trace");
    });
    assert!(msg.starts_with("expected no x-trace header"), "{msg}");
}

#[test]
fn assert_redirect_checks_status_and_location() {
    let msg = failure(|| {
        response().assert_redirect("/elsewhere");
    });
    assert!(
        msg.starts_with(
            "expected a redirect to /elsewhere, got 303 See Other, location is [\"/home\"]"
        ),
        "{msg}"
    );
}

#[test]
fn json_of_the_wrong_shape_shows_the_response() {
    let msg = failure(|| {
        response().json::<Other>();
    });
    assert!(
        msg.starts_with("body is not the JSON expected: missing field `id`"),
        "{msg}"
    );
}

#[test]
fn assert_json_and_text_contains_show_the_response() {
    let msg = failure(|| {
        response().assert_json(&serde_json::json!({"user": "bob"}));
    });
    assert!(
        msg.starts_with("expected JSON {\"user\":\"bob\"}, got {\"pad\""),
        "{msg}"
    );
    assert!(
        msg.lines().next().unwrap().len() < 400,
        "the JSON got is cut short: {msg}"
    );
    let msg = failure(|| {
        response().assert_text_contains("carol");
    });
    assert!(
        msg.starts_with("expected the body to contain \"carol\""),
        "{msg}"
    );
}
