//! Synchronizer tokens: `CsrfTokenLayer` behind a `SessionLayer`, through
//! the test kit.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use pastry_auth::{User, login};
use pastry_origin::{CheckedBody, CsrfToken, CsrfTokenLayer};
use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

const HASH: &str = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

async fn app(req: Request<CheckedBody<Body>>) -> Result<Response<String>, Infallible> {
    let token = req.extensions().get::<CsrfToken>().cloned();
    let path = req.uri().path().to_owned();
    let text = match path.as_str() {
        "/form" => match token {
            Some(token) => format!("<form method=post>{}</form>", token.hidden_input()),
            None => "no token".to_owned(),
        },
        "/plain" => "nothing to protect here".to_owned(),
        "/login" => {
            let session = req.session().cloned().expect("a session");
            login(&session, &User::new("alice", HASH))
                .await
                .expect("login");
            "logged in".to_owned()
        }
        _ => {
            let content_type = req
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap_or("?").to_owned())
                .unwrap_or_default();
            let body = req.into_body().collect().await.map(|b| b.to_bytes());
            let body = body.unwrap_or_else(|_| Bytes::from_static(b"<body error>"));
            format!("{content_type}|{}", String::from_utf8_lossy(&body))
        }
    };
    Ok(Response::new(text))
}

fn client_with(layer: CsrfTokenLayer) -> TestClient {
    TestClient::new(
        ServiceBuilder::new()
            .layer(SessionLayer::new(MemoryStore::new()))
            .layer(layer)
            .service_fn(app),
    )
}

fn client() -> TestClient {
    client_with(CsrfTokenLayer::new())
}

/// The token in the form of `/form`.
async fn token(client: &TestClient) -> String {
    let page = client.get("/form").await.text();
    let start = page.find("value=\"").expect("a hidden input") + 7;
    let end = start + page[start..].find('"').expect("a closing quote");
    page[start..end].to_owned()
}

#[tokio::test]
async fn the_form_helper_renders_a_hidden_input_with_the_token() {
    let client = client();
    let page = client.get("/form").await.text();
    assert!(
        page.contains(r#"<input type="hidden" name="csrf_token" value=""#),
        "{page}"
    );
    let token = token(&client).await;
    assert_eq!(token.len(), 43);
    assert_eq!(token, self::token(&client).await, "one token per session");
}

#[tokio::test]
async fn post_without_a_token_is_refused() {
    let client = client();
    // No session yet, so no token at all.
    let res = client
        .post("/echo")
        .form(&[("a", "1")])
        .expect_status(403)
        .await;
    assert!(res.text().contains("CSRF token"), "{}", res.text());
    // A session with a token, but none sent.
    token(&client).await;
    client
        .post("/echo")
        .form(&[("a", "1")])
        .expect_status(403)
        .await;
    client.delete("/echo").expect_status(403).await;
    client.post("/echo").body("raw").expect_status(403).await;
}

#[tokio::test]
async fn wrong_token_is_refused() {
    let client = client();
    let right = token(&client).await;
    let mut wrong = right.clone();
    wrong.replace_range(..1, if right.starts_with('A') { "B" } else { "A" });
    client
        .post("/echo")
        .form(&[("csrf_token", wrong.as_str())])
        .expect_status(403)
        .await;
    client
        .post("/echo")
        .header("x-csrf-token", wrong.as_str())
        .expect_status(403)
        .await;
    client
        .post("/echo")
        .form(&[("csrf_token", &right[..42])])
        .expect_status(403)
        .await;
    // Another session's token is worth nothing here.
    let other = self::client();
    let theirs = token(&other).await;
    client
        .post("/echo")
        .header("x-csrf-token", theirs.as_str())
        .expect_status(403)
        .await;
}

#[tokio::test]
async fn right_token_passes_in_the_form_or_the_header() {
    let client = client();
    let token = token(&client).await;
    client
        .post("/echo")
        .form(&[("csrf_token", token.as_str())])
        .expect_status(200)
        .await;
    let res = client
        .put("/echo")
        .header("x-csrf-token", token.as_str())
        .header("content-type", "application/json")
        .body(r#"{"a":1}"#)
        .expect_status(200)
        .await;
    assert_eq!(res.text(), r#"application/json|{"a":1}"#);
}

#[tokio::test]
async fn form_body_reaches_the_app_intact_after_the_token_check() {
    let client = client();
    let token = token(&client).await;
    let long = "é&=+ ".repeat(2000);
    let res = client
        .post("/echo")
        .form(&[
            ("title", "a & b = c"),
            ("csrf_token", token.as_str()),
            ("text", long.as_str()),
        ])
        .expect_status(200)
        .await;
    let expected: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("title", "a & b = c")
        .append_pair("csrf_token", &token)
        .append_pair("text", &long)
        .finish();
    assert_eq!(
        res.text(),
        format!("application/x-www-form-urlencoded|{expected}")
    );
}

#[tokio::test]
async fn token_rotates_on_login() {
    let client = client();
    let before = token(&client).await;
    client
        .post("/login")
        .form(&[("csrf_token", before.as_str())])
        .expect_status(200)
        .await;
    let after = token(&client).await;
    assert_ne!(before, after, "login must give the session a new token");
    client
        .post("/echo")
        .form(&[("csrf_token", before.as_str())])
        .expect_status(403)
        .await;
    client
        .post("/echo")
        .form(&[("csrf_token", after.as_str())])
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn a_page_that_does_not_use_the_token_makes_no_session() {
    let client = client();
    let res = client.get("/plain").await;
    assert_eq!(res.header("set-cookie"), None);
    let res = client.get("/form").await;
    assert!(res.header("set-cookie").is_some(), "a used token is stored");
}

#[tokio::test]
async fn an_oversized_form_is_a_413() {
    let client = client_with(CsrfTokenLayer::builder().max_form(64).build().unwrap());
    let token = token(&client).await;
    let big = "x".repeat(100);
    client
        .post("/echo")
        .form(&[("csrf_token", token.as_str()), ("text", big.as_str())])
        .expect_status(StatusCode::PAYLOAD_TOO_LARGE)
        .await;
    // The header way needs no body read.
    client
        .post("/echo")
        .header("x-csrf-token", token.as_str())
        .form(&[("text", big.as_str())])
        .expect_status(200)
        .await;
}

#[tokio::test]
async fn exempt_paths_need_no_token() {
    let client = client_with(
        CsrfTokenLayer::builder()
            .exempt_path("/hook")
            .build()
            .unwrap(),
    );
    client.post("/hook").body("event").expect_status(200).await;
    client.post("/echo").body("event").expect_status(403).await;
}

#[tokio::test]
async fn without_a_session_layer_every_request_is_a_500() {
    let client = TestClient::new(
        ServiceBuilder::new()
            .layer(CsrfTokenLayer::new())
            .service_fn(app),
    );
    client.get("/form").expect_status(500).await;
}

#[tokio::test]
async fn an_http2_websocket_connect_needs_no_token() {
    let client = client().lenient();
    token(&client).await;
    let res = client
        .request(http::Method::CONNECT, "/chat")
        .version(http::Version::HTTP_2)
        .extension(hyper::ext::Protocol::from_static("websocket"))
        .any_status()
        .await;
    assert_eq!(res.status(), 200, "{}", res.text());
    client.post("/chat").expect_status(403).await;
}
