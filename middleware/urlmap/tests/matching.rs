//! Which mount a path reaches: segment boundaries, longest prefix, root
//! mounts and the fallback.

mod common;

use common::echo;
use pastry_testkit::TestClient;
use pastry_urlmap::UrlMap;

fn client() -> TestClient {
    let map = UrlMap::builder()
        .mount("/blog", echo("blog"))
        .mount("/blog/admin", echo("blog-admin"))
        .mount("/a/b/c", echo("deep"))
        .build()
        .unwrap();
    TestClient::new(map)
}

#[tokio::test]
async fn prefix_matches_only_on_segment_boundaries() {
    let client = client();
    client
        .get("/blog")
        .await
        .assert_text_contains("blog script=/blog path= ");
    client
        .get("/blog/")
        .await
        .assert_text_contains("blog script=/blog path=/ ");
    client
        .get("/blog/x/y")
        .await
        .assert_text_contains("blog script=/blog path=/x/y ");
    client.get("/blogger").expect_status(404).await;
    client.get("/blog.html").expect_status(404).await;
}

#[tokio::test]
async fn longest_prefix_wins() {
    let client = client();
    client
        .get("/blog/admin/users")
        .await
        .assert_text_contains("blog-admin script=/blog/admin path=/users ");
    client
        .get("/blog/administrator")
        .await
        .assert_text_contains("blog script=/blog path=/administrator ");
    client
        .get("/a/b/c/d")
        .await
        .assert_text_contains("deep script=/a/b/c path=/d ");
    client.get("/a/b").expect_status(404).await;
}

#[tokio::test]
async fn default_fallback_is_a_plain_text_404() {
    let res = client().get("/nowhere").expect_status(404).await;
    res.assert_header("content-type", "text/plain; charset=utf-8");
    assert_eq!(res.text(), "Not Found\n");
}

#[tokio::test]
async fn fallback_app_gets_unmatched_requests_without_script_name() {
    let map = UrlMap::builder()
        .mount("/blog", echo("blog"))
        .fallback(echo("site"))
        .build()
        .unwrap();
    let client = TestClient::new(map);
    let res = client.get("/blogger?x=1").await;
    assert_eq!(
        res.text(),
        "site script= path=/blogger uri=/blogger?x=1 original=/blogger?x=1"
    );
    client.get("/blog/1").await.assert_text_contains("blog ");
}

#[tokio::test]
async fn root_mount_takes_what_longer_prefixes_do_not() {
    let map = UrlMap::builder()
        .mount("/", echo("root"))
        .mount("/blog", echo("blog"))
        .fallback(echo("never"))
        .build()
        .unwrap();
    let client = TestClient::new(map);
    assert_eq!(
        client.get("/").await.text(),
        "root script= path=/ uri=/ original=/"
    );
    client
        .get("/other/x")
        .await
        .assert_text_contains("root script= path=/other/x ");
    client
        .get("/blog/x")
        .await
        .assert_text_contains("blog script=/blog ");
}

#[tokio::test]
async fn mount_keys_are_normalised_like_paths() {
    let map = UrlMap::builder()
        .mount("/shop/", echo("shop"))
        .mount("docs", echo("docs"))
        .mount("/%7Euser//./files", echo("files"))
        .build()
        .unwrap();
    let client = TestClient::new(map);
    client
        .get("/shop")
        .await
        .assert_text_contains("shop script=/shop path= ");
    client
        .get("/docs/x")
        .await
        .assert_text_contains("docs script=/docs path=/x ");
    client
        .get("/~user/files/a")
        .await
        .assert_text_contains("files script=/~user/files path=/a ");
    client
        .get("/%7euser/files/a")
        .await
        .assert_text_contains("files script=/~user/files path=/a ");
}

#[tokio::test]
async fn options_star_goes_to_the_fallback_untouched() {
    let map = UrlMap::builder()
        .mount("/", echo("root"))
        .fallback(echo("fallback"))
        .build()
        .unwrap();
    let res = TestClient::new(map).options("*").await;
    assert_eq!(res.text(), "fallback script= path=* uri=* original=*");
}

#[tokio::test]
async fn ten_thousand_mounts_dispatch_correctly() {
    let mut builder = UrlMap::builder();
    for i in 0..10_000 {
        builder = builder.mount(format!("/app{i}"), echo("app"));
    }
    let client = TestClient::new(builder.build().unwrap());
    client
        .get("/app9999/x")
        .await
        .assert_text_contains("app script=/app9999 path=/x ");
    client
        .get("/app0")
        .await
        .assert_text_contains("app script=/app0 path= ");
    client.get("/app10000").expect_status(404).await;
}

#[tokio::test]
async fn head_to_an_unmatched_path_gets_a_bodiless_404() {
    let res = client().head("/nowhere").expect_status(404).await;
    assert!(res.raw_bytes().is_empty());
    let res = client().head("/bad%zz").expect_status(400).await;
    assert!(res.raw_bytes().is_empty());
}

#[tokio::test]
async fn as_a_layer_the_wrapped_service_is_the_fallback() {
    let layer = UrlMap::builder()
        .mount("/blog", echo("blog"))
        .into_layer()
        .unwrap();
    let app = tower::ServiceBuilder::new()
        .layer(layer)
        .service(echo("site"));
    let client = TestClient::new(app);
    client
        .get("/blog/x")
        .await
        .assert_text_contains("blog script=/blog path=/x ");
    client
        .get("/x")
        .await
        .assert_text_contains("site script= path=/x ");
}
