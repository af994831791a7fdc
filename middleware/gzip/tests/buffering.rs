//! What the layer holds of a body: never more than its buffer limit, even
//! when the body's size hint lies; and a body known to be empty passes as
//! it is.

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use common::codecs::{codings, decode};
use common::{Answer, app};
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use pastry_gzip::GzipLayer;
use pastry_testkit::TestClient;
use tokio::sync::mpsc;
use tower::{Layer, ServiceExt, service_fn};

/// A body that promises 1000 bytes and sends whatever arrives on its
/// channel, until the sender is dropped.
struct Lying(mpsc::UnboundedReceiver<Bytes>);

impl Body for Lying {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|data| data.map(|data| Ok(Frame::data(data))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(1000)
    }
}

fn chunk(i: usize) -> Bytes {
    Bytes::from(format!("line {i} of a body longer than it said\n").repeat(200))
}

#[tokio::test]
async fn a_body_longer_than_its_size_hint_is_streamed_past_the_buffer_limit() {
    const LIMIT: u64 = 16 * 1024;
    for coding in codings() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut receiver = Some(rx);
        let app = service_fn(move |_req: Request<()>| {
            let body = Lying(receiver.take().expect("one request"));
            let res = Response::builder()
                .header("content-type", "text/plain")
                .header("content-length", "1000")
                .body(body)
                .unwrap();
            std::future::ready(Ok::<_, Infallible>(res))
        });
        let layer = common::every_coding().buffer_limit(LIMIT);
        let mut sent = Vec::new();
        // More than the limit is on its way, and the body has not ended:
        // the head must come without waiting for the end.
        while (sent.len() as u64) <= LIMIT {
            let data = chunk(sent.len());
            sent.extend_from_slice(&data);
            tx.send(data).unwrap();
        }
        let req = Request::get("/")
            .header("accept-encoding", coding.as_str())
            .body(())
            .unwrap();
        let res = tokio::time::timeout(Duration::from_secs(30), layer.layer(app).oneshot(req))
            .await
            .expect("the head arrives before the body ends")
            .unwrap();
        assert_eq!(res.headers()["content-encoding"], coding.as_str());
        assert_eq!(res.headers().get("content-length"), None);
        // The rest, ten times the limit, streams after what was buffered.
        for _ in 0..40 {
            let data = chunk(sent.len());
            sent.extend_from_slice(&data);
            tx.send(data).unwrap();
        }
        drop(tx);
        assert!(sent.len() as u64 > 10 * LIMIT);
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(decode(coding, &body), sent, "{coding}");
    }
}

#[tokio::test]
async fn a_body_longer_than_its_hint_but_within_the_limit_is_compressed_whole() {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut receiver = Some(rx);
    let app = service_fn(move |_req: Request<()>| {
        let res = Response::builder()
            .header("content-type", "text/plain")
            .body(Lying(receiver.take().expect("one request")))
            .unwrap();
        std::future::ready(Ok::<_, Infallible>(res))
    });
    let data = chunk(0);
    tx.send(data.clone()).unwrap();
    drop(tx);
    let req = Request::get("/")
        .header("accept-encoding", "gzip")
        .body(())
        .unwrap();
    let res = GzipLayer::new().layer(app).oneshot(req).await.unwrap();
    let declared: usize = res.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), declared);
    assert_eq!(decode(codings()[0], &body), data);
}

#[tokio::test]
async fn a_body_known_to_be_empty_passes_untouched_even_with_min_size_zero() {
    for coding in codings() {
        let layer = common::every_coding().min_size(0);
        let answer = Answer::new("text/html", "").header("etag", "\"e\"");
        let client = TestClient::new(layer.layer(app(answer)));
        let res = client
            .get("/")
            .header("accept-encoding", coding.as_str())
            .await;
        assert_eq!(res.header("content-encoding"), None);
        assert_eq!(res.header("vary"), None);
        assert_eq!(res.header("etag"), Some("\"e\""));
        assert!(res.raw_bytes().is_empty());
    }
}
