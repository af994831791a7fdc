//! `Validate` on upgrades: the answer to an HTTP/2 extended CONNECT (RFC
//! 8441) or to an HTTP/1.1 `Upgrade` has no content (RFC 9110 §9.3.6,
//! §15.2.2), so no body rule or body time limit applies to it; a 2xx to
//! CONNECT must not carry framing headers (`connect-framing`).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Version, header};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::ext::Protocol;
use pastry_testkit::{Rule, ValidateLayer, Violation};
use tower::{Layer, ServiceExt, service_fn};

/// A body that never ends and claims one byte at least, as a tunnel
/// handed back as a body might.
struct Endless;

impl Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(1)
    }
}

fn h2_websocket_connect() -> Request<()> {
    let mut req = Request::builder()
        .method(Method::CONNECT)
        .version(Version::HTTP_2)
        .uri("https://app.example/chat")
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    req.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    req
}

fn h1_websocket_handshake() -> Request<()> {
    Request::get("/chat")
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .body(())
        .unwrap()
}

/// `req` through `Validate` (a one-second time limit) over an app answering
/// `status` and `headers` with an endless body: the head's outcome, and
/// whether the body was still open (no violation) a minute later.
async fn validated(
    req: Request<()>,
    status: StatusCode,
    headers: &[(&'static str, &'static str)],
) -> Result<bool, Rule> {
    let headers = headers.to_vec();
    let app = service_fn(move |_req: Request<()>| {
        let mut res = Response::new(Endless);
        *res.status_mut() = status;
        for (name, value) in &headers {
            res.headers_mut().insert(*name, value.parse().unwrap());
        }
        std::future::ready(Ok::<_, Infallible>(res))
    });
    let validate = ValidateLayer::new()
        .timeout(Duration::from_secs(1))
        .layer(app);
    let res = match validate.oneshot(req).await {
        Ok(res) => res,
        Err(error) => return Err(Violation::find(&*error).expect("a violation").rule()),
    };
    let mut body = res.into_body();
    match tokio::time::timeout(Duration::from_secs(60), body.frame()).await {
        Err(_still_open) => Ok(true),
        Ok(Some(Err(error))) => Err(Violation::find(&*error).expect("a violation").rule()),
        Ok(_) => Ok(false),
    }
}

#[tokio::test(start_paused = true)]
async fn a_200_to_an_h2_extended_connect_has_no_body_rules_or_time_limit() {
    assert_eq!(
        validated(h2_websocket_connect(), StatusCode::OK, &[]).await,
        Ok(true)
    );
}

#[tokio::test(start_paused = true)]
async fn a_101_to_an_h1_handshake_has_no_body_rules_or_time_limit() {
    let upgrade = [("upgrade", "websocket"), ("connection", "upgrade")];
    assert_eq!(
        validated(
            h1_websocket_handshake(),
            StatusCode::SWITCHING_PROTOCOLS,
            &upgrade
        )
        .await,
        Ok(true)
    );
}

#[tokio::test(start_paused = true)]
async fn other_answers_keep_their_body_time_limit() {
    let get = Request::get("/chat").body(()).unwrap();
    assert_eq!(
        validated(get, StatusCode::OK, &[]).await,
        Err(Rule::BodyTimeout)
    );
    // A refused CONNECT has content like any response.
    assert_eq!(
        validated(h2_websocket_connect(), StatusCode::UNAUTHORIZED, &[]).await,
        Err(Rule::BodyTimeout)
    );
}

#[tokio::test(start_paused = true)]
async fn connect_framing_fires_on_a_2xx_to_connect_with_framing_headers() {
    for framing in [("content-length", "5"), ("transfer-encoding", "chunked")] {
        assert_eq!(
            validated(h2_websocket_connect(), StatusCode::OK, &[framing]).await,
            Err(Rule::ConnectFraming),
            "{framing:?}"
        );
    }
    // Not on a refusal, which has content.
    assert_eq!(
        validated(
            h2_websocket_connect(),
            StatusCode::FORBIDDEN,
            &[("content-length", "5")]
        )
        .await,
        Err(Rule::BodyTimeout)
    );
    assert_eq!(Rule::ConnectFraming.id(), "connect-framing");
}

#[tokio::test(start_paused = true)]
async fn connect_framing_can_be_skipped() {
    let app = service_fn(|_req: Request<()>| async {
        let mut res = Response::new(http_body_util::Empty::<Bytes>::new());
        res.headers_mut()
            .insert(header::CONTENT_LENGTH, "0".parse().unwrap());
        Ok::<_, Infallible>(res)
    });
    let res = ValidateLayer::new()
        .skip(Rule::ConnectFraming)
        .layer(app)
        .oneshot(h2_websocket_connect())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}
