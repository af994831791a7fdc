//! Precompressed static files: tower-http's `ServeDir` with
//! `precompressed_gzip()`, `precompressed_br()` and `precompressed_zstd()`
//! inside `GzipLayer`. A client accepting a coding gets the file's
//! precompressed variant byte for byte (never compressed again, whatever
//! the layer offers), with `Vary: accept-encoding`; a client accepting
//! none gets the plain file.

#![cfg(all(feature = "gzip", feature = "br", feature = "zstd"))]

use std::convert::Infallible;
use std::path::Path;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use pastry::gzip::{Coding, CompressionCache, GzipLayer};
use tower::{Layer, ServiceExt, service_fn};
use tower_http::services::ServeDir;

fn stylesheet() -> String {
    (0..300)
        .map(|i| format!(".block-{i} {{ padding: {i}px; color: #222; }}\n"))
        .collect()
}

/// `text` compressed with `coding`, by the layer's own encoder: what a
/// build step writing `site.css.gz`, `.br` and `.zst` produces.
async fn compress(coding: Coding, text: &str) -> Bytes {
    let text = Bytes::from(text.to_owned());
    let app = service_fn(move |_req: Request<()>| {
        let res = Response::builder()
            .header(header::CONTENT_TYPE, "text/css")
            .body(Full::new(text.clone()))
            .unwrap();
        std::future::ready(Ok::<_, Infallible>(res))
    });
    let layer = GzipLayer::new().gzip(false).br(true).zstd(true);
    let layer = if coding == Coding::Gzip {
        GzipLayer::new()
    } else {
        layer
    };
    let req = Request::get("/")
        .header(header::ACCEPT_ENCODING, coding.as_str())
        .body(())
        .unwrap();
    let res = layer.layer(app).oneshot(req).await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], coding.as_str());
    res.into_body().collect().await.unwrap().to_bytes()
}

/// `site.css` with its three variants next to it; returns the variants'
/// bytes.
async fn site(dir: &Path) -> Vec<(Coding, Bytes)> {
    std::fs::write(dir.join("site.css"), stylesheet()).unwrap();
    let mut variants = Vec::new();
    for (coding, extension) in [
        (Coding::Gzip, "gz"),
        (Coding::Br, "br"),
        (Coding::Zstd, "zst"),
    ] {
        let bytes = compress(coding, &stylesheet()).await;
        std::fs::write(dir.join(format!("site.css.{extension}")), &bytes).unwrap();
        variants.push((coding, bytes));
    }
    variants
}

async fn fetch(
    layer: &GzipLayer,
    dir: &Path,
    accept: Option<&str>,
) -> (http::response::Parts, Bytes) {
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .precompressed_br()
        .precompressed_zstd();
    let mut req = Request::get("/site.css");
    if let Some(accept) = accept {
        req = req.header(header::ACCEPT_ENCODING, accept);
    }
    let res = layer
        .layer(files)
        .oneshot(req.body(String::new()).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

#[tokio::test]
async fn each_precompressed_variant_is_served_as_the_file_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let variants = site(dir.path()).await;
    let every = GzipLayer::new().br(true).zstd(true);
    let cache = CompressionCache::new(1 << 20);
    for layer in [
        GzipLayer::new(),
        every,
        GzipLayer::new().cache(cache.clone()),
    ] {
        for (coding, file) in &variants {
            let (parts, body) = fetch(&layer, dir.path(), Some(coding.as_str())).await;
            assert_eq!(parts.status, StatusCode::OK);
            assert_eq!(parts.headers[header::CONTENT_ENCODING], coding.as_str());
            assert_eq!(parts.headers[header::VARY], "accept-encoding");
            assert_eq!(parts.headers[header::CONTENT_TYPE], "text/css");
            assert_eq!(&body, file, "{coding}: the file's bytes");
        }
    }
    assert!(cache.is_empty(), "precompressed files are not cached again");
}

#[tokio::test]
async fn a_client_without_accept_encoding_gets_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path()).await;
    for accept in [None, Some("identity"), Some("deflate")] {
        let (parts, body) = fetch(&GzipLayer::new(), dir.path(), accept).await;
        assert_eq!(parts.status, StatusCode::OK);
        assert!(parts.headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(parts.headers[header::VARY], "accept-encoding");
        assert_eq!(body, stylesheet().as_bytes(), "{accept:?}");
    }
}

#[tokio::test]
async fn the_client_weights_choose_among_the_variants() {
    let dir = tempfile::tempdir().unwrap();
    let variants = site(dir.path()).await;
    let (parts, body) = fetch(
        &GzipLayer::new(),
        dir.path(),
        Some("gzip;q=0.5, br;q=1, zstd;q=0.1"),
    )
    .await;
    assert_eq!(parts.headers[header::CONTENT_ENCODING], "br");
    assert_eq!(body, variants[1].1);
}

#[tokio::test]
async fn a_file_without_a_variant_is_compressed_by_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.css"), stylesheet()).unwrap();
    let (parts, body) = fetch(&GzipLayer::new(), dir.path(), Some("gzip")).await;
    assert_eq!(parts.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(parts.headers[header::VARY], "accept-encoding");
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain)
        .unwrap();
    assert_eq!(plain, stylesheet());
}

#[test]
fn the_demo_stylesheet_variant_decodes_to_the_stylesheet() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/altdemo/static");
    let plain = std::fs::read_to_string(dir.join("site.css")).unwrap();
    let gz = std::fs::read(dir.join("site.css.gz")).unwrap();
    let mut decoded = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut decoded)
        .unwrap();
    assert_eq!(
        decoded, plain,
        "site.css.gz is stale: run `gzip -9 -k -n -f site.css` in examples/altdemo/static"
    );
}
