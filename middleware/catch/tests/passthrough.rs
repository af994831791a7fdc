//! Healthy responses go through untouched: status, headers, frames, trailers.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use pastry_catch::CatchLayer;
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

fn app() -> TestClient {
    let svc = ServiceBuilder::new()
        .layer(CatchLayer::new().debug(true))
        .service_fn(|req: Request<Body>| async move {
            let res = match req.uri().path() {
                "/stream" => {
                    let mut trailers = HeaderMap::new();
                    trailers.insert("x-checksum", HeaderValue::from_static("abc"));
                    Response::new(
                        Body::chunks([Bytes::from("one "), Bytes::from("two")])
                            .with_trailers(trailers),
                    )
                }
                _ => Response::builder()
                    .status(StatusCode::CREATED)
                    .header("x-app", "yes")
                    .body(Body::full("made"))
                    .unwrap(),
            };
            Ok::<_, Infallible>(res)
        });
    TestClient::new(svc)
}

#[tokio::test]
async fn status_headers_and_body_pass_through() {
    let res = app().get("/").expect_status(201).await;
    res.assert_header("x-app", "yes")
        .assert_no_header("x-error-id");
    assert_eq!(res.text(), "made");
}

#[tokio::test]
async fn frames_and_trailers_pass_through_one_by_one() {
    let res = app().get("/stream").await;
    assert_eq!(res.frames(), [Bytes::from("one "), Bytes::from("two")]);
    assert_eq!(res.trailers().unwrap()["x-checksum"], "abc");
}

#[tokio::test]
async fn streaming_head_arrives_before_the_body() {
    let client = app();
    let mut stream = client.get("/stream").stream().await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.next_data().await.unwrap(), "one ");
    assert_eq!(stream.next_data().await.unwrap(), "two");
}

#[test]
fn size_hint_is_the_inner_bodys() {
    use http_body::Body as _;
    use tower::{Service, ServiceExt};
    let mut svc = tower::Layer::layer(
        &CatchLayer::new(),
        tower::service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(http_body_util::Full::new(Bytes::from(
                "12345",
            ))))
        }),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let res = rt.block_on(async {
        svc.ready()
            .await
            .unwrap()
            .call(Request::new(()))
            .await
            .unwrap()
    });
    assert_eq!(res.body().size_hint().exact(), Some(5));
    assert!(!res.body().is_end_stream());
}
