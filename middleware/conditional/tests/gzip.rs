//! With pastry-gzip, in both orders: the client revalidating with the tag
//! it got, weak (`W/"x"`) or strong (`"x"`), gets a 304 either way.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use pastry_conditional::ConditionalLayer;
use pastry_gzip::GzipLayer;
use pastry_testkit::{Body, TestClient};
use tower::ServiceBuilder;

fn page() -> String {
    "<p>Soup of the day: leek and potato.</p>\n".repeat(100)
}

fn page_app(
    etag: Option<&'static str>,
) -> impl tower::Service<
    Request<Body>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |_req: Request<Body>| async move {
        let mut res = Response::new(Full::new(Bytes::from(page())));
        res.headers_mut()
            .insert("content-type", "text/html; charset=utf-8".parse().unwrap());
        if let Some(etag) = etag {
            res.headers_mut().insert("etag", etag.parse().unwrap());
        }
        Ok::<_, Infallible>(res)
    })
}

/// The recommended order: gzip outside, so the tag is hashed from the
/// page itself and gzip weakens it.
fn gzip_outside(etag: Option<&'static str>) -> TestClient {
    TestClient::new(
        ServiceBuilder::new()
            .layer(GzipLayer::new())
            .layer(ConditionalLayer::new())
            .service(page_app(etag)),
    )
}

fn gzip_inside(etag: Option<&'static str>) -> TestClient {
    TestClient::new(
        ServiceBuilder::new()
            .layer(ConditionalLayer::new())
            .layer(GzipLayer::new())
            .service(page_app(etag)),
    )
}

/// The tag without `W/`.
fn strong_form(etag: &str) -> String {
    etag.trim_start_matches("W/").to_owned()
}

/// Revalidates with `etag` in its weak and strong forms, with and without
/// gzip; each must be a 304.
async fn revalidates_in_both_forms(client: &TestClient, etag: &str) {
    let strong = strong_form(etag);
    let weak = format!("W/{strong}");
    for tag in [&strong, &weak] {
        for accept in ["gzip", "identity"] {
            let res = client
                .get("/")
                .header("accept-encoding", accept)
                .header("if-none-match", tag.as_str())
                .expect_status(304)
                .await;
            res.assert_no_header("content-encoding");
            res.assert_no_header("content-length");
            assert!(res.raw_bytes().is_empty());
        }
    }
}

#[tokio::test]
async fn gzip_outside_weakens_the_hashed_tag_and_both_forms_revalidate() {
    let client = gzip_outside(None);
    let gz = client.get("/").header("accept-encoding", "gzip").await;
    gz.assert_header("content-encoding", "gzip");
    let etag = gz.header("etag").unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(gz.text(), page());

    // The identity answer carries the same tag, strong.
    let plain = client.get("/").await;
    assert_eq!(plain.header("etag"), Some(strong_form(&etag).as_str()));

    revalidates_in_both_forms(&client, &etag).await;
    // The 304 to a gzip client carries the tag as the 200 did, and Vary.
    let res = client
        .get("/")
        .header("accept-encoding", "gzip")
        .header("if-none-match", etag.as_str())
        .expect_status(304)
        .await;
    res.assert_header("etag", &etag);
    res.assert_header("vary", "accept-encoding");
}

#[tokio::test]
async fn gzip_inside_hashes_the_compressed_bytes_and_both_forms_revalidate() {
    let client = gzip_inside(None);
    let gz = client.get("/").header("accept-encoding", "gzip").await;
    gz.assert_header("content-encoding", "gzip");
    let etag = gz.header("etag").unwrap().to_owned();
    assert!(
        etag.starts_with('"'),
        "a strong tag of the gzip bytes: {etag}"
    );
    let plain = client.get("/").await;
    assert_ne!(
        plain.header("etag"),
        Some(etag.as_str()),
        "one tag per coding"
    );

    let strong = strong_form(&etag);
    for tag in [strong.clone(), format!("W/{strong}")] {
        let res = client
            .get("/")
            .header("accept-encoding", "gzip")
            .header("if-none-match", tag.as_str())
            .expect_status(304)
            .await;
        res.assert_header("vary", "accept-encoding");
        res.assert_no_header("content-encoding");
    }
}

#[tokio::test]
async fn an_apps_own_tag_weakened_by_gzip_revalidates_in_both_orders() {
    for client in [gzip_outside(Some("\"v1\"")), gzip_inside(Some("\"v1\""))] {
        let gz = client.get("/").header("accept-encoding", "gzip").await;
        gz.assert_header("etag", "W/\"v1\"");
        revalidates_in_both_forms(&client, "W/\"v1\"").await;
        client
            .get("/")
            .header("accept-encoding", "gzip")
            .header("if-none-match", "\"v0\"")
            .expect_status(200)
            .await;
    }
}
