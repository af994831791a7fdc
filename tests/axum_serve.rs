//! A Pastry stack served by axum with no adapter: the URL map passes its
//! apps' errors out (its `Error` is `BoxError`) and `CatchLayer` outside it
//! answers them, so the stack's `Error` is `Infallible`, which is what
//! axum's `Router::fallback_service` (and `route_service`, `nest_service`)
//! ask; the router then goes to `axum::serve`. Real TCP, real client.

#![cfg(all(feature = "catch", feature = "gzip", feature = "urlmap"))]

use std::future::IntoFuture;
use std::io;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use pastry::catch::{CatchLayer, ERROR_ID_HEADER};
use pastry::gzip::GzipLayer;
use pastry::urlmap::UrlMap;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::service_fn;

/// A mounted app that fails: an `Err`, not a 500 of its own.
async fn failing(_req: Request<Body>) -> Result<Response<Full<Bytes>>, io::Error> {
    Err(io::Error::other("the database is gone"))
}

#[tokio::test]
async fn a_stack_with_catch_outside_the_map_is_an_axum_fallback_service_as_it_is() {
    let site = Router::new().route("/hello", get(|| async { "hello ".repeat(200) }));
    let map = UrlMap::builder()
        .mount("/site", site)
        .mount("/broken", service_fn(failing))
        .build()
        .expect("two distinct prefixes");
    let stack = ServiceBuilder::new()
        .layer(CatchLayer::new())
        .layer(GzipLayer::new())
        .service(map);
    let app = Router::new().fallback_service(stack);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app).into_future());
    let client = reqwest::Client::builder().gzip(false).build().unwrap();

    let page = client
        .get(format!("http://{addr}/site/hello"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[header::CONTENT_ENCODING], "gzip");

    let failed = client
        .get(format!("http://{addr}/broken/report"))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(failed.headers().contains_key(ERROR_ID_HEADER));
    let text = failed.text().await.unwrap();
    assert!(
        !text.contains("the database is gone"),
        "the error's text stays in the log: {text}"
    );

    server.abort();
}
