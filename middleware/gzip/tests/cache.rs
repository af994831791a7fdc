//! The compression cache: a repeated response with a strong ETag is
//! compressed once and sent exactly as a fresh compression would be; what
//! must not be cached is not; the byte bound holds.

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use common::codecs::{codings, decode};
use common::{Answer, app, page};
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, StreamBody};
use pastry_gzip::{CACHE_ENTRY_OVERHEAD, CompressionCache, GzipLayer, Level};
use pastry_testkit::TestClient;
use tower::{Layer, ServiceExt, service_fn};

fn cached(cache: &CompressionCache) -> GzipLayer {
    common::every_coding().cache(cache.clone())
}

fn versioned(etag: &str) -> Answer {
    Answer::html().header("etag", etag)
}

/// Status, headers and raw body of one GET with `accept`.
async fn get(client: &TestClient, path: &str, accept: &str) -> (u16, HeaderMap, Bytes) {
    let res = client.get(path).header("accept-encoding", accept).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.raw_bytes())
}

#[tokio::test]
async fn a_repeated_response_is_compressed_once_and_sent_as_a_fresh_compression_would_be() {
    let answer = versioned("\"v1\"").header("vary", "Cookie");
    for coding in codings() {
        let cache = CompressionCache::new(1 << 20);
        let fresh = TestClient::new(common::every_coding().layer(app(answer.clone())));
        let with_cache = TestClient::new(cached(&cache).layer(app(answer.clone())));
        let expected = get(&fresh, "/page", coding.as_str()).await;
        assert_eq!(expected.1["etag"], "W/\"v1\"");
        for round in 0..3 {
            let got = get(&with_cache, "/page", coding.as_str()).await;
            assert_eq!(got, expected, "{coding}, round {round}");
        }
        assert_eq!(decode(coding, &expected.2), page().as_bytes());
        assert_eq!((cache.misses(), cache.hits(), cache.len()), (1, 2, 1));
    }
}

/// A body of `data` with an exact size hint, counting how often it is
/// polled.
struct Counted {
    data: Option<Bytes>,
    polls: Arc<AtomicUsize>,
}

impl Body for Counted {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(self.data.take().map(|data| Ok(Frame::data(data))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |data| data.len() as u64))
    }
}

#[tokio::test]
async fn a_hit_drops_the_app_body_unread_but_still_calls_the_app() {
    let polls = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let cache = CompressionCache::new(1 << 20);
    let app = {
        let (polls, calls) = (Arc::clone(&polls), Arc::clone(&calls));
        service_fn(move |_req: Request<()>| {
            calls.fetch_add(1, Ordering::SeqCst);
            let body = Counted {
                data: Some(Bytes::from(page())),
                polls: Arc::clone(&polls),
            };
            let res = Response::builder()
                .header("content-type", "text/html")
                .header("etag", "\"p\"")
                .body(body)
                .unwrap();
            std::future::ready(Ok::<_, Infallible>(res))
        })
    };
    let svc = GzipLayer::new().cache(cache.clone()).layer(app);
    let request = || {
        Request::get("/")
            .header("accept-encoding", "gzip")
            .body(())
            .unwrap()
    };
    let first = svc.clone().oneshot(request()).await.unwrap();
    let first = first.into_body().collect().await.unwrap().to_bytes();
    let polled = polls.load(Ordering::SeqCst);
    assert!(polled > 0, "a miss reads the body");
    let second = svc.clone().oneshot(request()).await.unwrap();
    assert_eq!(
        second.headers()["content-length"],
        first.len().to_string().as_str()
    );
    let second = second.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(second, first);
    assert_eq!(polls.load(Ordering::SeqCst), polled, "a hit reads nothing");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the app answered both");
    assert_eq!(cache.hits(), 1);
}

#[tokio::test]
async fn weak_or_missing_etags_are_not_cached() {
    for answer in [versioned("W/\"v1\""), Answer::html(), versioned("v1")] {
        let cache = CompressionCache::new(1 << 20);
        let client = TestClient::new(cached(&cache).layer(app(answer)));
        for _ in 0..2 {
            let (_, headers, body) = get(&client, "/", "gzip").await;
            assert_eq!(headers["content-encoding"], "gzip");
            assert_eq!(decode(codings()[0], &body), page().as_bytes());
        }
        assert!(cache.is_empty());
        assert_eq!((cache.hits(), cache.misses()), (0, 0));
    }
}

#[tokio::test]
async fn codings_are_not_confused() {
    let cache = CompressionCache::new(1 << 20);
    let client = TestClient::new(cached(&cache).layer(app(versioned("\"v1\""))));
    for _ in 0..2 {
        for coding in codings() {
            let (_, headers, body) = get(&client, "/", coding.as_str()).await;
            assert_eq!(headers["content-encoding"], coding.as_str());
            assert_eq!(decode(coding, &body), page().as_bytes(), "{coding}");
        }
    }
    assert_eq!(cache.len(), codings().len());
    assert_eq!(cache.hits(), codings().len() as u64);
}

#[tokio::test]
async fn one_etag_on_two_paths_or_two_types_is_two_entries() {
    let cache = CompressionCache::new(1 << 20);
    let app = service_fn(|req: Request<pastry_testkit::Body>| {
        let path = req.uri().path().to_owned();
        let content_type = if path.ends_with(".txt") {
            "text/plain"
        } else {
            "text/html"
        };
        let res = Answer::new(content_type, format!("{path} ").repeat(100))
            .header("etag", "\"1\"")
            .respond();
        std::future::ready(Ok::<_, Infallible>(res))
    });
    let client = TestClient::new(GzipLayer::new().cache(cache.clone()).layer(app));
    for _ in 0..2 {
        for path in ["/a", "/b", "/b?x=1", "/a.txt"] {
            let (_, _, body) = get(&client, path, "gzip").await;
            let text = String::from_utf8(decode(codings()[0], &body)).unwrap();
            assert_eq!(text, format!("{path} ").repeat(100).replace("?x=1", ""));
        }
    }
    assert_eq!((cache.len(), cache.hits()), (4, 4));
}

#[tokio::test]
async fn layers_sharing_a_cache_keep_their_levels_apart() {
    let cache = CompressionCache::new(1 << 20);
    let fast = GzipLayer::new().level(Level::FASTEST).cache(cache.clone());
    let best = GzipLayer::new().level(Level::BEST).cache(cache.clone());
    let fast = TestClient::new(fast.layer(app(versioned("\"v1\""))));
    let best = TestClient::new(best.layer(app(versioned("\"v1\""))));
    let (_, _, one) = get(&fast, "/", "gzip").await;
    let (_, _, nine) = get(&best, "/", "gzip").await;
    assert_eq!(cache.len(), 2);
    assert_eq!(get(&fast, "/", "gzip").await.2, one);
    assert_eq!(get(&best, "/", "gzip").await.2, nine);
    assert_eq!(cache.hits(), 2);
}

#[tokio::test]
async fn the_byte_bound_holds_and_the_least_recently_used_entry_goes() {
    // Room for about three compressed pages.
    let probe = CompressionCache::new(1 << 20);
    let client = TestClient::new(
        GzipLayer::new()
            .cache(probe.clone())
            .layer(app(versioned("\"v1\""))),
    );
    get(&client, "/p0", "gzip").await;
    let one = probe.used_bytes();
    assert!(one > CACHE_ENTRY_OVERHEAD);

    let cache = CompressionCache::new(3 * one + one / 2);
    let client = TestClient::new(
        GzipLayer::new()
            .cache(cache.clone())
            .layer(app(versioned("\"v1\""))),
    );
    for i in 0..10 {
        get(&client, &format!("/p{i}"), "gzip").await;
        assert!(cache.used_bytes() <= cache.max_bytes(), "after /p{i}");
    }
    assert_eq!(cache.len(), 3);
    assert_eq!(cache.used_bytes(), 3 * one);
    let misses = cache.misses();
    get(&client, "/p9", "gzip").await;
    assert_eq!(cache.misses(), misses, "the newest is still there");
    get(&client, "/p0", "gzip").await;
    assert_eq!(cache.misses(), misses + 1, "the oldest went");
    assert!(cache.used_bytes() <= cache.max_bytes());
}

#[test]
fn concurrent_misses_stay_within_the_bound() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let cache = CompressionCache::new(8 * 1024);
    let svc = GzipLayer::new()
        .cache(cache.clone())
        .layer(app(versioned("\"v1\"")));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let svc = svc.clone();
                tokio::spawn(async move {
                    let req = Request::get(format!("/p{}", i % 16))
                        .header("accept-encoding", "gzip")
                        .body(pastry_testkit::Body::empty())
                        .unwrap();
                    let res = svc.oneshot(req).await.unwrap();
                    res.into_body().collect().await.unwrap().to_bytes()
                })
            })
            .collect();
        for task in tasks {
            let body = task.await.unwrap();
            assert_eq!(decode(codings()[0], &body), page().as_bytes());
        }
    });
    assert!(cache.used_bytes() <= cache.max_bytes());
    assert!(!cache.is_empty());
}

#[tokio::test]
async fn head_requests_neither_fill_nor_need_the_cache() {
    let cache = CompressionCache::new(1 << 20);
    let client = TestClient::new(
        GzipLayer::new()
            .cache(cache.clone())
            .layer(app(versioned("\"v1\""))),
    );
    let head = client.head("/").header("accept-encoding", "gzip").await;
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert_eq!(head.header("etag"), Some("W/\"v1\""));
    assert!(head.raw_bytes().is_empty());
    assert!(cache.is_empty());
    let (_, get_headers, _) = get(&client, "/", "gzip").await;
    let head = client.head("/").header("accept-encoding", "gzip").await;
    assert_eq!(head.header("content-length"), None);
    assert_eq!(head.headers().get("etag"), get_headers.get("etag"));
    assert_eq!(head.headers().get("vary"), get_headers.get("vary"));
    assert!(head.raw_bytes().is_empty());
    assert_eq!((cache.len(), cache.hits(), cache.misses()), (1, 0, 1));
}

#[tokio::test]
async fn partial_content_and_not_modified_pass_the_cache_untouched() {
    let cache = CompressionCache::new(1 << 20);
    let partial = versioned("\"v1\"").status(206).header(
        "content-range",
        format!("bytes 0-{}/99999", page().len() - 1),
    );
    let client = TestClient::new(GzipLayer::new().cache(cache.clone()).layer(app(partial)));
    for _ in 0..2 {
        let (status, headers, body) = get(&client, "/", "gzip").await;
        assert_eq!(status, 206);
        assert_eq!(headers.get("content-encoding"), None);
        assert_eq!(headers["etag"], "\"v1\"");
        assert_eq!(body, page().as_bytes());
    }
    let not_modified = Answer::new("text/html", "")
        .status(304)
        .header("etag", "\"v1\"");
    let client = TestClient::new(
        GzipLayer::new()
            .cache(cache.clone())
            .layer(app(not_modified)),
    );
    let res = client
        .get("/")
        .header("accept-encoding", "gzip")
        .expect_status(304)
        .await;
    assert_eq!(res.header("content-encoding"), None);
    assert!(res.raw_bytes().is_empty());
    assert!(cache.is_empty());
    assert_eq!((cache.hits(), cache.misses()), (0, 0));
}

#[tokio::test]
async fn streamed_bodies_and_trailers_are_never_cached() {
    let cache = CompressionCache::new(1 << 20);
    let streamed = service_fn(|_req: Request<()>| {
        let frames = (0..4).map(|_| Ok::<_, Infallible>(Frame::data(Bytes::from(page()))));
        let res = Response::builder()
            .header("content-type", "text/plain")
            .header("etag", "\"s\"")
            .body(StreamBody::new(futures_util::stream::iter(frames)))
            .unwrap();
        std::future::ready(Ok::<_, Infallible>(res))
    });
    let svc = GzipLayer::new().cache(cache.clone()).layer(streamed);
    for _ in 0..2 {
        let req = Request::get("/")
            .header("accept-encoding", "gzip")
            .body(())
            .unwrap();
        let res = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(res.headers()["content-encoding"], "gzip");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(decode(codings()[0], &body), page().repeat(4).as_bytes());
    }
    assert!(cache.is_empty());

    let with_trailers = service_fn(|_req: Request<()>| {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", "1".parse().unwrap());
        let body = http_body_util::Full::new(Bytes::from(page()))
            .with_trailers(std::future::ready(Some(Ok::<_, Infallible>(trailers))));
        let res = Response::builder()
            .header("content-type", "text/plain")
            .header("etag", "\"t\"")
            .body(body)
            .unwrap();
        std::future::ready(Ok::<_, Infallible>(res))
    });
    let svc = GzipLayer::new().cache(cache.clone()).layer(with_trailers);
    for _ in 0..2 {
        let req = Request::get("/")
            .header("accept-encoding", "gzip")
            .body(())
            .unwrap();
        let res = svc.clone().oneshot(req).await.unwrap();
        let collected = res.into_body().collect().await.unwrap();
        assert_eq!(collected.trailers().unwrap()["x-checksum"], "1");
    }
    assert!(cache.is_empty());
    assert_eq!(cache.misses(), 2);
}
