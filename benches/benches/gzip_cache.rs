//! A repeated 100 KiB text response through `GzipLayer` (gzip, level 6):
//! compressed every time (`no-cache`) vs with a `CompressionCache`
//! (`cache`: the first request compresses, every later one is a hit), and
//! the same app with no layer (`no-layer`: the cost of the harness itself:
//! request, service call, body collect). Goal: `cache` at least 10x
//! faster than `no-cache`.
//!
//! The app answers every request with the same `Full` body (exact size
//! hint), `Content-Type: text/plain` and a strong `ETag`; the text is
//! 100 KiB of words drawn from a fixed list by a fixed pseudo-random
//! sequence (no repeats for deflate to find cheaply). Each request is
//! answered and its body collected, so a hit still pays for the app's
//! response, the cache lookup and the copy-free body.
//!
//! Run: cargo bench --manifest-path benches/Cargo.toml --bench gzip_cache -- --warm-up-time 1 --measurement-time 3

use std::convert::Infallible;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use pastry_gzip::{CompressionCache, GzipLayer, Level};
use tower::{Layer, Service, ServiceExt, service_fn};

const LEN: usize = 100 * 1024;

const WORDS: &str = "\
    the a of and to in is that for it as with on by request response \
    header body layer service cache session cookie server client stream \
    frame bytes limit timeout error status compressed gzip encoding etag \
    vary length path query mount store memory file sqlite redis token \
    password login user middleware tower hyper future poll ready inner \
    outer test bench figure table proves never always each every once";

/// 100 KiB of text that does not repeat: words drawn from a fixed list by
/// a fixed xorshift sequence, with punctuation and line breaks, so that it
/// compresses about as well as prose (3.6x with gzip at level 6).
fn document() -> Bytes {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut text = String::with_capacity(LEN + 16);
    let mut line = 0;
    while text.len() < LEN {
        let word = words[(next() % words.len() as u64) as usize];
        text.push_str(word);
        line += word.len() + 1;
        match next() % 16 {
            0 => text.push_str(". "),
            1 => text.push_str(", "),
            _ if line > 72 => {
                text.push('\n');
                line = 0;
                continue;
            }
            _ => text.push(' '),
        }
    }
    text.truncate(LEN);
    Bytes::from(text)
}

/// The app: the same text, type and strong ETag for every request.
fn app(
    data: Bytes,
) -> impl Service<Request<()>, Response = Response<Full<Bytes>>, Error = Infallible, Future: Send>
+ Clone
+ Send {
    service_fn(move |_req: Request<()>| {
        let data = data.clone();
        async move {
            let mut res = Response::new(Full::new(data));
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            res.headers_mut()
                .insert(header::ETAG, header::HeaderValue::from_static("\"doc-v1\""));
            Ok::<_, Infallible>(res)
        }
    })
}

fn request() -> Request<()> {
    Request::get("/doc")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(())
        .unwrap()
}

async fn fetch<S, B>(svc: S, encoding: Option<&str>) -> Bytes
where
    S: Service<Request<()>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let res = svc.oneshot(request()).await.unwrap();
    assert_eq!(
        res.headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap()),
        encoding
    );
    res.into_body().collect().await.unwrap().to_bytes()
}

fn gzip_cache(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let data = document();
    let level = Level::new(6).unwrap();
    let cache = CompressionCache::new(4 * 1024 * 1024);
    let fresh = GzipLayer::new().level(level).layer(app(data.clone()));
    let cached = GzipLayer::new()
        .level(level)
        .cache(cache.clone())
        .layer(app(data.clone()));
    let plain = app(data.clone());

    let once = rt.block_on(fetch(fresh.clone(), Some("gzip")));
    let again = rt.block_on(fetch(cached.clone(), Some("gzip")));
    assert_eq!(once, again, "a hit sends what a fresh compression sends");
    println!(
        "gzip_cache: {} bytes compress to {} bytes",
        data.len(),
        once.len()
    );

    let mut group = c.benchmark_group("gzip_cache/text-100k");
    group.throughput(Throughput::Bytes(LEN as u64));
    group.bench_function("no-cache", |bench| {
        bench
            .to_async(&rt)
            .iter(|| fetch(fresh.clone(), Some("gzip")))
    });
    group.bench_function("cache", |bench| {
        bench
            .to_async(&rt)
            .iter(|| fetch(cached.clone(), Some("gzip")))
    });
    group.bench_function("no-layer", |bench| {
        bench.to_async(&rt).iter(|| fetch(plain.clone(), None))
    });
    group.finish();
    assert_eq!(cache.misses(), 1, "compressed once");
    assert!(cache.hits() > 0);
}

criterion_group!(benches, gzip_cache);
criterion_main!(benches);
