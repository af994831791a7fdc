//! The proxy layer in front of the rest of the stack: what it resolves is
//! what the cross-origin check, `UrlMap`'s redirects and host mounts, and
//! `url_for` read. Each case fails when the proxy's headers are not
//! applied (an untrusted peer).

#![cfg(all(feature = "proxy", feature = "urlmap", feature = "origin"))]

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use pastry::origin::CrossOriginLayer;
use pastry::proxy::ProxyLayer;
use pastry::urlmap::{Mount, UrlMap};
use pastry::{ClientAddr, Environ};
use tower::{ServiceBuilder, ServiceExt, service_fn};

fn stack() -> impl tower::Service<
    Request<String>,
    Response = Response<impl http_body::Body<Data = Bytes, Error: std::fmt::Debug>>,
    Error = pastry::BoxError,
> + Clone {
    let echo = |name: &'static str| {
        service_fn(move |req: Request<String>| async move {
            Ok::<_, Infallible>(Response::new(format!("{name} {}", req.url_for("/x"))))
        })
    };
    ServiceBuilder::new()
        .layer(
            ProxyLayer::builder()
                .trust("127.0.0.1")
                .hops(1)
                .build()
                .unwrap(),
        )
        .layer(CrossOriginLayer::new())
        .layer(
            UrlMap::builder()
                .mount(Mount::at("/").host("api.example.com"), echo("api"))
                .mount(Mount::at("/blog").slash_redirect(true), echo("blog"))
                .into_layer()
                .unwrap(),
        )
        .service(echo("site"))
}

/// A request as nginx forwards it when it does not pass the browser's
/// `Host` on (its default is the upstream's address).
fn forwarded(method: &str, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "127.0.0.1:8080")
        .header("x-forwarded-for", "203.0.113.7")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "example.com")
        .header("x-forwarded-prefix", "/app")
}

async fn send(req: http::request::Builder, peer: &str) -> (http::response::Parts, String) {
    let mut req = req.body(String::new()).unwrap();
    req.extensions_mut()
        .insert(ClientAddr(format!("{peer}:40000").parse().unwrap()));
    let res = stack().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_same_origin_post_through_the_proxy_passes_the_cross_origin_check() {
    let req = forwarded("POST", "/form").header(header::ORIGIN, "https://example.com");
    let (parts, body) = send(req, "127.0.0.1").await;
    assert_eq!(parts.status, StatusCode::OK, "{body}");
    assert_eq!(body, "site /app/x");

    // The same request from an untrusted peer compares the origin with
    // the upstream's address, and is refused.
    let req = forwarded("POST", "/form").header(header::ORIGIN, "https://example.com");
    let (parts, _) = send(req, "198.51.100.1").await;
    assert_eq!(parts.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cross_origin_post_is_still_refused_behind_the_proxy() {
    let req = forwarded("POST", "/form").header(header::ORIGIN, "https://evil.example");
    let (parts, _) = send(req, "127.0.0.1").await;
    assert_eq!(parts.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn urlmap_slash_redirects_keep_the_forwarded_prefix() {
    let (parts, _) = send(forwarded("GET", "/blog?p=1"), "127.0.0.1").await;
    assert_eq!(parts.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(parts.headers[header::LOCATION], "/app/blog/?p=1");
    let (parts, _) = send(forwarded("GET", "/blog?p=1"), "198.51.100.1").await;
    assert_eq!(parts.headers[header::LOCATION], "/blog/?p=1");
}

#[tokio::test]
async fn host_mounts_match_the_forwarded_host_and_scheme() {
    let req = forwarded("GET", "/").header("x-forwarded-host", "api.example.com");
    // Two X-Forwarded-Host lines: the rightmost, nginx's, is read.
    let (_, body) = send(req, "127.0.0.1").await;
    assert_eq!(body, "api /app/x");
    let req = Request::get("/")
        .header(header::HOST, "127.0.0.1:8080")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "api.example.com:443");
    let (_, body) = send(req, "127.0.0.1").await;
    assert_eq!(body, "api /x");
}
