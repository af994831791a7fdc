//! Every caught failure gets a random id, in the response and in the log.

mod support;

use std::collections::HashSet;

use http::Request;
use pastry_catch::CatchLayer;
use pastry_testkit::{Body, TestClient};
use support::Events;
use tower::ServiceBuilder;
use uuid::Uuid;

fn app() -> TestClient {
    let svc = ServiceBuilder::new().layer(CatchLayer::new()).service_fn(
        |_req: Request<Body>| async move {
            Err::<http::Response<Body>, _>(std::io::Error::other("always failing"))
        },
    );
    TestClient::new(svc)
}

#[tokio::test]
async fn header_id_equals_logged_id() {
    let (events, _recording) = Events::record();
    let res = app().get("/reports/7").expect_status(500).await;
    let header = res
        .header("x-error-id")
        .expect("an x-error-id header")
        .to_owned();
    let event = events.single();
    assert_eq!(event.field("error_id"), Some(header.as_str()));
    assert_eq!(event.field("path"), Some("/reports/7"));
    assert_eq!(event.field("method"), Some("GET"));
    assert_eq!(event.field("error"), Some("always failing"));
}

#[tokio::test]
async fn id_is_a_v4_uuid_shown_in_the_body() {
    let client = app();
    for accept in ["text/html", "application/json", "text/plain"] {
        let res = client
            .get("/")
            .header("accept", accept)
            .expect_status(500)
            .await;
        let header = res.header("x-error-id").unwrap();
        let id = Uuid::parse_str(header).expect("a uuid");
        assert_eq!(id.get_version_num(), 4);
        assert!(res.text().contains(header), "{accept}");
    }
}

#[tokio::test]
async fn every_failure_gets_its_own_id() {
    let client = app();
    let mut ids = HashSet::new();
    for _ in 0..20 {
        let res = client.get("/").expect_status(500).await;
        ids.insert(res.header("x-error-id").unwrap().to_owned());
    }
    assert_eq!(ids.len(), 20);
}

#[tokio::test]
async fn one_log_event_per_failure() {
    let (events, _recording) = Events::record();
    let client = app();
    client.get("/a").expect_status(500).await;
    client.get("/b").expect_status(500).await;
    let paths: Vec<_> = events
        .catch_events()
        .iter()
        .map(|event| event.field("path").unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["/a", "/b"]);
}
