//! The `axum` feature: `Session` extracted in an axum handler, the
//! rejection without a `SessionLayer`, and `SessionError` as a response,
//! all through the test kit.

use axum::Router;
use axum::routing::get;
use pastry_sessions::{MemoryStore, Session, SessionError, SessionLayer};
use pastry_testkit::{LogCapture, TestClient};
use tracing::Level;

async fn visits(session: Session) -> Result<String, SessionError> {
    let n = session.get::<u64>("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", &n).await?;
    Ok(format!("visit {n}"))
}

/// Reads `visits` as a string: a stored number makes `get` fail.
async fn wrong_type(session: Session) -> Result<String, SessionError> {
    Ok(session.get::<String>("visits").await?.unwrap_or_default())
}

fn app() -> Router {
    Router::new()
        .route("/", get(visits))
        .route("/wrong-type", get(wrong_type))
        .layer(SessionLayer::new(MemoryStore::new()))
}

#[tokio::test]
async fn the_session_extractor_works_in_an_axum_handler() {
    let client = TestClient::new(app());
    client
        .get("https://localhost/")
        .await
        .assert_text_contains("visit 1");
    client
        .get("https://localhost/")
        .await
        .assert_text_contains("visit 2");
}

#[test]
fn without_a_session_layer_the_extractor_answers_500_naming_the_layer() {
    let logs = LogCapture::at(Level::ERROR);
    let bare: Router = Router::new().route("/", get(visits));
    let res = TestClient::new(bare)
        .get("https://localhost/")
        .expect_status(500)
        .send_blocking();
    res.assert_text_contains("no SessionLayer wraps this route");
    let logged = logs.text();
    assert!(logged.contains("ERROR"), "{logged}");
    assert!(logged.contains("SessionLayer"), "{logged}");
}

#[test]
fn a_session_error_is_a_500_with_an_error_id_and_no_internals() {
    let logs = LogCapture::at(Level::ERROR);
    let client = TestClient::new(app());
    client.get("https://localhost/").send_blocking();
    let res = client
        .get("https://localhost/wrong-type")
        .expect_status(500)
        .send_blocking();
    let id = res
        .header("x-error-id")
        .expect("x-error-id header")
        .to_owned();
    let body = res.text();
    assert!(body.contains(&id), "{body}");
    for internal in ["visits", "convert", "invalid type", "String"] {
        assert!(!body.contains(internal), "body leaks {internal:?}: {body}");
    }
    let logged = logs.text();
    assert!(logged.contains("ERROR"), "{logged}");
    assert!(logged.contains(&format!("error_id={id}")), "{logged}");
    assert!(logged.contains("visits"), "the log has the cause: {logged}");
}

#[test]
fn an_unreachable_store_is_a_503_with_an_error_id() {
    use axum::response::IntoResponse;
    let logs = LogCapture::at(Level::ERROR);
    let unreachable = std::io::Error::new(std::io::ErrorKind::TimedOut, "redis at 10.0.0.9:6379");
    let res = pastry_sessions::SessionError::Unavailable(Box::new(unreachable)).into_response();
    assert_eq!(res.status(), 503);
    let id = res.headers()["x-error-id"].to_str().unwrap().to_owned();
    let logged = logs.text();
    assert!(logged.contains(&format!("error_id={id}")), "{logged}");
    assert!(logged.contains("status=503"), "{logged}");
}
