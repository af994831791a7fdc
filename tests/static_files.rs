//! Static files: tower-http's `ServeDir` mounted under `UrlMap`, inside
//! `GzipLayer` and `CatchLayer`. The file service sees the path below its
//! mount; its directory redirects keep the mount prefix when the mount
//! rewrites `Location`; gzip compresses only what is not already
//! compressed; ranges (206) and 304s pass through gzip and catch untouched.

#![cfg(all(feature = "urlmap", feature = "gzip", feature = "catch"))]

use std::convert::Infallible;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use pastry::catch::CatchLayer;
use pastry::gzip::GzipLayer;
use pastry::urlmap::{Mount, UrlMap};
use pastry::{Environ, ScriptName};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_http::services::ServeDir;

/// A stylesheet large enough to compress.
fn stylesheet() -> String {
    (0..200)
        .map(|i| format!(".rule-{i} {{ color: #333; margin: 0 auto; }}\n"))
        .collect()
}

fn site(dir: &Path) {
    std::fs::write(dir.join("site.css"), stylesheet()).unwrap();
    // A precompressed variant next to its original (what a build step
    // writes with `gzip -k`).
    std::fs::write(dir.join("pre.css"), stylesheet()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, stylesheet().as_bytes()).unwrap();
    std::fs::write(dir.join("pre.css.gz"), gz.finish().unwrap()).unwrap();
    std::fs::create_dir(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
}

/// The stack: catch, gzip, then `/static` (rewriting `Location`) and
/// `/raw` (not) mounted over an app that reports its environ.
fn stack(
    dir: &Path,
) -> impl tower::Service<
    Request<String>,
    Response = Response<impl http_body::Body<Data = Bytes, Error: std::fmt::Debug>>,
    Error = Infallible,
> + Clone {
    let files = ServeDir::new(dir).precompressed_gzip();
    let map = UrlMap::builder()
        .mount(Mount::at("/static").rewrite_location(true), files.clone())
        .mount("/raw", ServeDir::new(dir))
        .into_layer()
        .unwrap();
    ServiceBuilder::new()
        .layer(CatchLayer::new())
        .layer(GzipLayer::new())
        .layer(map)
        .service(service_fn(|req: Request<String>| async move {
            Ok::<_, Infallible>(Response::new(format!("app: {}", req.url_for("/"))))
        }))
}

async fn send<S, B>(app: S, req: Request<String>) -> (http::response::Parts, Bytes)
where
    S: tower::Service<Request<String>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body<Data = Bytes, Error: std::fmt::Debug>,
{
    let res = app.oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

fn get(uri: &str) -> http::request::Builder {
    Request::get(uri)
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn a_file_is_served_from_below_the_mount() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (parts, body) = send(
        stack(dir.path()),
        get("/static/site.css").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers[header::CONTENT_TYPE], "text/css");
    assert_eq!(body, stylesheet());
    // Paths outside the mount still reach the app.
    let (_, body) = send(
        stack(dir.path()),
        get("/other").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(body, "app: /");
}

#[tokio::test]
async fn a_directory_redirect_keeps_the_mount_prefix() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (parts, _) = send(
        stack(dir.path()),
        get("/static/docs?v=2").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(parts.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(parts.headers[header::LOCATION], "/static/docs/?v=2");
    let (parts, body) = send(
        stack(dir.path()),
        get("/static/docs/").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, "<h1>docs</h1>\n");
}

#[tokio::test]
async fn without_location_rewriting_servedir_loses_the_prefix() {
    // ServeDir builds its redirect from the path it sees, below the mount;
    // this is why the static mount opts in to `rewrite_location`.
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (parts, _) = send(
        stack(dir.path()),
        get("/raw/docs").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(parts.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(parts.headers[header::LOCATION], "/docs/");
}

#[tokio::test]
async fn under_a_proxy_prefix_the_mount_sees_the_joined_script_name() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let mut req = get("/elsewhere").body(String::new()).unwrap();
    req.extensions_mut().insert(ScriptName::new("/app"));
    let (_, body) = send(stack(dir.path()), req).await;
    assert_eq!(body, "app: /app/");
}

#[tokio::test]
async fn gzip_compresses_a_file_without_a_precompressed_variant() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let req = get("/static/site.css")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(String::new())
        .unwrap();
    let (parts, body) = send(stack(dir.path()), req).await;
    assert_eq!(parts.headers[header::CONTENT_ENCODING], "gzip");
    assert!(body.len() < stylesheet().len() / 4);
    assert_eq!(gunzip(&body), stylesheet());
}

#[tokio::test]
async fn a_precompressed_file_is_sent_as_stored_not_compressed_twice() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let req = get("/static/pre.css")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(String::new())
        .unwrap();
    let (parts, body) = send(stack(dir.path()), req).await;
    let encodings: Vec<_> = parts
        .headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .collect();
    assert_eq!(encodings, ["gzip"]);
    assert_eq!(body, std::fs::read(dir.path().join("pre.css.gz")).unwrap());
    assert_eq!(gunzip(&body), stylesheet());
}

#[tokio::test]
async fn a_range_passes_through_gzip_and_catch_untouched() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let req = get("/static/site.css")
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::RANGE, "bytes=10-109")
        .body(String::new())
        .unwrap();
    let (parts, body) = send(stack(dir.path()), req).await;
    assert_eq!(parts.status, StatusCode::PARTIAL_CONTENT);
    assert!(parts.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(parts.headers.get("x-error-id").is_none());
    let total = stylesheet().len();
    assert_eq!(
        parts.headers[header::CONTENT_RANGE],
        format!("bytes 10-109/{total}").as_str()
    );
    assert_eq!(parts.headers[header::CONTENT_LENGTH], "100");
    assert_eq!(body, stylesheet().as_bytes()[10..110]);
}

#[tokio::test]
async fn not_modified_passes_through_gzip_and_catch_untouched() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let first = get("/static/site.css")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(String::new())
        .unwrap();
    let (parts, _) = send(stack(dir.path()), first).await;
    let modified = parts.headers[header::LAST_MODIFIED].clone();
    let again = get("/static/site.css")
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::IF_MODIFIED_SINCE, modified)
        .body(String::new())
        .unwrap();
    let (parts, body) = send(stack(dir.path()), again).await;
    assert_eq!(parts.status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert!(parts.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(parts.headers.get("x-error-id").is_none());
}

#[tokio::test]
async fn a_missing_file_is_a_plain_404_not_an_error_page() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (parts, _) = send(
        stack(dir.path()),
        get("/static/nope.css").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(parts.status, StatusCode::NOT_FOUND);
    assert!(parts.headers.get("x-error-id").is_none());
}

#[tokio::test]
async fn dot_dot_cannot_leave_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    site(&root);
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    for uri in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/docs/..%2f..%2fsecret.txt",
    ] {
        let (parts, body) = send(stack(&root), get(uri).body(String::new()).unwrap()).await;
        assert_ne!(body, "secret", "{uri}: {}", parts.status);
    }
}
