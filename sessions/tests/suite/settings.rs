//! Bad settings are a typed error from `validate`, and a layer applied with
//! bad settings never panics: it answers 500 without calling the app.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{Request, Response, StatusCode};
use pastry_sessions::{ConfigError, MemoryStore, SameSite, SessionLayer};
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

#[tokio::test]
async fn invalid_layer_answers_500_without_calling_the_app() {
    let layer = SessionLayer::new(MemoryStore::new())
        .same_site(SameSite::None)
        .secure(false);
    assert_eq!(
        layer.clone().validate().unwrap_err(),
        ConfigError::SameSiteNoneWithoutSecure
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let app = ServiceBuilder::new()
        .layer(layer)
        .service(tower::service_fn(move |_req: Request<Body>| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, Infallible>(Response::new(Body::from("hello"))) }
        }));
    let client = TestClient::new(app);
    let res = client.get("https://localhost/").expect_status(500).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text(), "");
    assert!(res.header("set-cookie").is_none());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}
