//! Vary, ETag, Accept-Ranges, Content-Length and HEAD.

mod common;

use std::convert::Infallible;
use std::io::Read;

use bytes::Bytes;
use common::{Answer, app, page};
use http::{Request, Response};
use http_body::Frame;
use http_body_util::StreamBody;
use pastry_gzip::GzipLayer;
use pastry_testkit::{Body, TestClient};
use tower::{Layer, service_fn};

fn gzip_client(answer: Answer) -> TestClient {
    TestClient::new(GzipLayer::new().layer(app(answer)))
}

#[tokio::test]
async fn vary_is_added_once_to_an_existing_vary() {
    let res = gzip_client(Answer::html().header("vary", "Cookie"))
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header_all("vary"), ["Cookie", "accept-encoding"]);

    let res = gzip_client(Answer::html().header("vary", "Origin, Accept-Encoding"))
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(
        res.header_all("vary"),
        ["Origin, Accept-Encoding"],
        "never duplicated"
    );
}

#[tokio::test]
async fn vary_star_is_left_alone() {
    let res = gzip_client(Answer::html().header("vary", "*"))
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header_all("vary"), ["*"]);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
}

#[tokio::test]
async fn identity_answers_to_non_gzip_clients_vary_too() {
    let answer = Answer::html().header("content-length", page().len().to_string());
    let res = gzip_client(answer)
        .get("/")
        .header("accept-encoding", "compress")
        .await;
    assert_eq!(res.header("vary"), Some("accept-encoding"));
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(
        res.header("content-length"),
        Some(page().len().to_string().as_str())
    );
    assert_eq!(res.raw_bytes(), page());
}

#[tokio::test]
async fn strong_etag_becomes_weak_weak_stays() {
    let res = gzip_client(Answer::html().header("etag", "\"abc\""))
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("etag"), Some("W/\"abc\""));
    let res = gzip_client(Answer::html().header("etag", "W/\"abc\""))
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("etag"), Some("W/\"abc\""));
    let res = gzip_client(Answer::html().header("etag", "\"abc\""))
        .get("/")
        .await;
    assert_eq!(
        res.header("etag"),
        Some("\"abc\""),
        "uncompressed answers keep the strong validator"
    );
}

#[tokio::test]
async fn accept_ranges_is_removed_when_compressing() {
    let res = gzip_client(Answer::html().header("accept-ranges", "bytes"))
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(res.header("accept-ranges"), None);
    let res = gzip_client(Answer::html().header("accept-ranges", "bytes"))
        .get("/")
        .await;
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
}

#[tokio::test]
async fn known_bodies_get_the_exact_compressed_length() {
    let answer = Answer::html().header("content-length", page().len().to_string());
    let res = gzip_client(answer)
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    let raw = res.raw_bytes();
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(
        res.header("content-length"),
        Some(raw.len().to_string().as_str())
    );
    assert!(raw.len() < page().len() / 3);
    assert_eq!(res.text(), page());
}

type Frames = futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>;

fn streamed_app() -> impl tower::Service<
    Request<Body>,
    Response = Response<StreamBody<Frames>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    service_fn(|_req: Request<Body>| async {
        let frames: Vec<_> = page()
            .into_bytes()
            .chunks(100)
            .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
            .collect();
        let mut res = Response::new(StreamBody::new(futures_util::stream::iter(frames)));
        res.headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        Ok(res)
    })
}

#[tokio::test]
async fn streamed_bodies_lose_content_length() {
    let client = TestClient::new(GzipLayer::new().layer(streamed_app()));
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("content-length"), None);
    assert_eq!(res.text(), page());
}

#[tokio::test]
async fn bodies_above_the_buffer_limit_are_streamed() {
    let answer = Answer::html().header("content-length", page().len().to_string());
    let client = TestClient::new(GzipLayer::new().buffer_limit(100).layer(app(answer)));
    let res = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(res.header("content-length"), None);
    assert_eq!(res.text(), page());
}

#[tokio::test]
async fn head_gets_the_get_headers_and_no_body() {
    let client = gzip_client(
        Answer::html()
            .header("etag", "\"e\"")
            .header("vary", "Cookie"),
    );
    let get = client.get("/").header("accept-encoding", "gzip").await;
    let head = client.head("/").header("accept-encoding", "gzip").await;
    for name in ["content-encoding", "etag", "content-type"] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    assert_eq!(head.header_all("vary"), get.header_all("vary"));
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert_eq!(
        head.header("content-length"),
        None,
        "no stale identity length"
    );
    assert!(head.raw_bytes().is_empty());

    let plain = client.head("/").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(
        plain.header("content-length"),
        Some(page().len().to_string().as_str())
    );
}

#[tokio::test]
async fn output_is_standard_gzip() {
    let res = gzip_client(Answer::html())
        .get("/")
        .header("accept-encoding", "gzip")
        .await;
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&res.raw_bytes()[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, page());
}
