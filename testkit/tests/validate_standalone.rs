//! `Validate` on its own: how it reports violations, and the `poll_ready`
//! rule that checks its caller.

use std::convert::Infallible;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use pastry_testkit::{Body, Rule, TestClient, Validate, ValidateLayer, Violation};
use tower::{Service, ServiceBuilder, ServiceExt};

async fn ok(_req: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(Body::from("fine")))
}

#[tokio::test]
async fn head_violation_is_the_service_error() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::CONTINUE;
        Ok::<_, Infallible>(res)
    });
    let err = Validate::new(app, ValidateLayer::new())
        .oneshot(Request::new(Body::empty()))
        .await
        .unwrap_err();
    let violation = Violation::find(&*err).unwrap();
    assert_eq!(violation.rule(), Rule::FinalStatus);
    assert!(
        err.to_string()
            .starts_with("Validate rule `final-status` broken")
    );
}

#[tokio::test]
async fn body_violation_is_the_body_error_then_the_body_ends() {
    let app = tower::service_fn(|_req: Request<Body>| async {
        let mut res = Response::new(Body::from("abc"));
        res.headers_mut()
            .insert("content-length", "5".parse().unwrap());
        Ok::<_, Infallible>(res)
    });
    let res = ServiceBuilder::new()
        .layer(ValidateLayer::new())
        .service(app)
        .oneshot(Request::new(Body::empty()))
        .await
        .unwrap();
    let mut body = res.into_body();
    assert_eq!(
        body.frame().await.unwrap().unwrap().into_data().unwrap(),
        "abc"
    );
    let err = body.frame().await.unwrap().unwrap_err();
    assert_eq!(
        Violation::find(&*err).unwrap().rule(),
        Rule::ContentLengthMatchesBody
    );
    assert!(body.frame().await.is_none());
}

#[tokio::test]
async fn call_without_poll_ready_fires() {
    let mut svc = Validate::new(tower::service_fn(ok), ValidateLayer::new());
    let err = svc.call(Request::new(Body::empty())).await.unwrap_err();
    assert_eq!(
        Violation::find(&*err).unwrap().rule(),
        Rule::PollReadyBeforeCall
    );
}

#[tokio::test]
async fn each_call_needs_its_own_poll_ready() {
    let mut svc = Validate::new(tower::service_fn(ok), ValidateLayer::new());
    svc.ready().await.unwrap();
    svc.call(Request::new(Body::empty())).await.unwrap();
    let err = svc.call(Request::new(Body::empty())).await.unwrap_err();
    assert_eq!(
        Violation::find(&*err).unwrap().rule(),
        Rule::PollReadyBeforeCall
    );
}

#[tokio::test]
async fn a_clone_is_not_ready_because_the_original_was() {
    let mut svc = Validate::new(tower::service_fn(ok), ValidateLayer::new());
    svc.ready().await.unwrap();
    let mut clone = svc.clone();
    let err = clone.call(Request::new(Body::empty())).await.unwrap_err();
    assert_eq!(
        Violation::find(&*err).unwrap().rule(),
        Rule::PollReadyBeforeCall
    );
    svc.call(Request::new(Body::empty())).await.unwrap();
}

/// A middleware that forgets to drive its inner service's readiness.
#[derive(Clone)]
struct Careless<S>(S);

impl<S: Service<Request<Body>>> Service<Request<Body>> for Careless<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> S::Future {
        self.0.call(req)
    }
}

#[tokio::test]
async fn validate_inside_a_middleware_catches_a_skipped_poll_ready() {
    let app = Careless(Validate::new(tower::service_fn(ok), ValidateLayer::new()));
    let err = TestClient::new(app).get("/").try_send().await.unwrap_err();
    assert_eq!(err.violation().unwrap().rule(), Rule::PollReadyBeforeCall);
}

#[test]
fn accessors_reach_the_inner_service() {
    let mut svc = Validate::new(5u8, ValidateLayer::new());
    assert_eq!(*svc.get_ref(), 5);
    *svc.get_mut() = 6;
    assert_eq!(svc.into_inner(), 6);
}

#[tokio::test]
async fn a_conforming_response_goes_through_untouched() {
    let res = ServiceBuilder::new()
        .layer(ValidateLayer::new())
        .service(tower::service_fn(ok))
        .oneshot(Request::new(Body::empty()))
        .await
        .unwrap();
    assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "fine");
}
