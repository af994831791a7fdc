//! Static files behind a front server that mounts the whole site under a
//! prefix: the proxy layer turns a trusted `X-Forwarded-Prefix: /app` into
//! `ScriptName("/app")`, and tower-http's `ServeDir` mounted at `/static`
//! (rewriting `Location`) redirects a directory to a URL that keeps both
//! `/app` and `/static`, as the browser must ask for it.

#![cfg(all(feature = "proxy", feature = "urlmap"))]

use std::convert::Infallible;
use std::path::Path;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use pastry::ClientAddr;
use pastry::proxy::ProxyLayer;
use pastry::urlmap::{Mount, UrlMap};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_http::services::ServeDir;

fn site(dir: &Path) {
    std::fs::write(dir.join("site.css"), "body { margin: 0 }\n").unwrap();
    std::fs::create_dir_all(dir.join("docs/guide")).unwrap();
    std::fs::write(dir.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
    std::fs::write(dir.join("docs/guide/index.html"), "<h1>guide</h1>\n").unwrap();
}

/// The proxy layer (trusting the front server on loopback, one hop, every
/// `X-Forwarded-*` header), then `/static` mounted over the site's app.
fn stack(
    dir: &Path,
) -> impl tower::Service<
    Request<String>,
    Response = Response<impl http_body::Body<Data = Bytes, Error: std::fmt::Debug>>,
    Error = pastry::BoxError,
> + Clone {
    ServiceBuilder::new()
        .layer(
            ProxyLayer::builder()
                .trust("127.0.0.1")
                .hops(1)
                .build()
                .unwrap(),
        )
        .layer(
            UrlMap::builder()
                .mount(
                    Mount::at("/static").rewrite_location(true),
                    ServeDir::new(dir),
                )
                .into_layer()
                .unwrap(),
        )
        .service(service_fn(|_req: Request<String>| async {
            Ok::<_, Infallible>(Response::new(String::from("site")))
        }))
}

/// A request as the front server forwards it for `/app/...`, from `peer`.
fn forwarded(path: &str, peer: &str) -> Request<String> {
    let mut req = Request::get(path)
        .header(header::HOST, "127.0.0.1:8080")
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "example.com")
        .header("x-forwarded-prefix", "/app")
        .body(String::new())
        .unwrap();
    req.extensions_mut()
        .insert(ClientAddr(format!("{peer}:40000").parse().unwrap()));
    req
}

async fn send(dir: &Path, req: Request<String>) -> (http::response::Parts, Bytes) {
    let res = stack(dir).oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

#[tokio::test]
async fn a_directory_redirect_keeps_the_forwarded_prefix_and_the_mount() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (parts, _) = send(dir.path(), forwarded("/static/docs?v=2", "127.0.0.1")).await;
    assert_eq!(parts.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(parts.headers[header::LOCATION], "/app/static/docs/?v=2");

    let (parts, _) = send(dir.path(), forwarded("/static/docs/guide", "127.0.0.1")).await;
    assert_eq!(parts.headers[header::LOCATION], "/app/static/docs/guide/");
}

#[tokio::test]
async fn the_redirect_target_is_served_through_the_proxy() {
    // The front server strips `/app` again, so the browser's next request
    // for `/app/static/docs/` arrives as `/static/docs/`.
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (parts, body) = send(dir.path(), forwarded("/static/docs/", "127.0.0.1")).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, "<h1>docs</h1>\n");
    let (parts, body) = send(dir.path(), forwarded("/static/site.css", "127.0.0.1")).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, "body { margin: 0 }\n");
}

#[tokio::test]
async fn an_untrusted_peers_prefix_never_reaches_the_redirect() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let (parts, _) = send(dir.path(), forwarded("/static/docs", "198.51.100.9")).await;
    assert_eq!(parts.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(parts.headers[header::LOCATION], "/static/docs/");
}
