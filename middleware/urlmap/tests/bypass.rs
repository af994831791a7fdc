//! No spelling of a URL reaches an app it is not mounted for: the classic
//! bypass spellings against a map where `/admin` is protected, and 400s for
//! bad encodings.

mod common;

use common::{echo, guarded_admin};
use http::StatusCode;
use pastry_testkit::TestClient;
use pastry_urlmap::UrlMap;

fn client() -> TestClient {
    let map = UrlMap::builder()
        .mount("/admin", guarded_admin())
        .mount("/blog", echo("blog"))
        .mount("/", echo("public"))
        .build()
        .unwrap();
    TestClient::new(map)
}

#[tokio::test]
async fn guard_lets_an_authorised_request_through() {
    let res = client().get("/admin/users").header("x-admin", "yes").await;
    assert_eq!(res.text(), "admin secret /users");
}

/// Spellings that mean `/admin…` (RFC 3986 normalisation, plus slash
/// collapsing): every one must reach the guard.
const MEANS_ADMIN: &[&str] = &[
    "/admin",
    "/admin/",
    "/admin/users",
    "/blog/../admin",
    "/blog/../admin/users",
    "/blog/%2E%2E/admin",
    "/blog/%2e%2e/admin",
    "/blog/.%2e/admin",
    "/blog/./../admin",
    "/../admin",
    "/../../../admin/users",
    "/%61dmin",
    "/%61%64%6d%69%6E",
    "/adm%69n/users",
    "//admin",
    "///admin//users",
    "/./admin",
    "/%2E/admin",
    "/admin/.",
    "/x/../admin",
    "/x/y/../../admin",
    "/./x/.././admin/",
    "/blog//..//admin",
];

#[tokio::test]
async fn every_spelling_of_admin_reaches_the_guard() {
    let client = client();
    for spelling in MEANS_ADMIN {
        let res = client
            .get(*spelling)
            .expect_status(StatusCode::FORBIDDEN)
            .await;
        assert_eq!(res.text(), "forbidden", "{spelling}");
    }
}

/// Spellings that name other resources: they must not reach the admin app,
/// and the app they reach sees the normalised path.
const NOT_ADMIN: &[(&str, &str)] = &[
    ("/ADMIN", "public script= path=/ADMIN "),
    ("/Admin/users", "public script= path=/Admin/users "),
    ("/%41DMIN", "public script= path=/ADMIN "),
    ("/admin%2Fusers", "public script= path=/admin%2Fusers "),
    ("/admin%2fusers", "public script= path=/admin%2Fusers "),
    ("/%2Fadmin", "public script= path=/%2Fadmin "),
    ("/blog/..%2Fadmin", "blog script=/blog path=/..%2Fadmin "),
    (
        "/blog/%2E%2E%2Fadmin",
        "blog script=/blog path=/..%2Fadmin ",
    ),
    (
        "/admin;jsessionid=1",
        "public script= path=/admin;jsessionid=1 ",
    ),
    ("/admin%252F", "public script= path=/admin%252F "),
    ("/administrator", "public script= path=/administrator "),
    ("/admin../x", "public script= path=/admin../x "),
    ("/admin%20", "public script= path=/admin%20 "),
];

#[tokio::test]
async fn other_spellings_do_not_reach_the_admin_app() {
    let client = client();
    for (spelling, expected) in NOT_ADMIN {
        let res = client.get(*spelling).await;
        res.assert_text_contains(expected);
    }
}

#[tokio::test]
async fn invalid_escapes_and_encoded_nul_are_bad_requests() {
    let client = client();
    for bad in [
        "/admin%00",
        "/%00/admin",
        "/blog/%00",
        "/admin%",
        "/admin%2",
        "/%zzadmin",
        "/admin%G0",
        "/blog/%%32%65%32%65/admin",
    ] {
        let res = client.get(bad).expect_status(StatusCode::BAD_REQUEST).await;
        assert_eq!(res.text(), "Bad Request\n", "{bad}");
        res.assert_header("content-type", "text/plain; charset=utf-8");
    }
}

#[tokio::test]
async fn host_spellings_reach_the_protected_host_mount() {
    let map = UrlMap::builder()
        .host("admin.example.com", guarded_admin())
        .mount("/", echo("public"))
        .build()
        .unwrap();
    let client = TestClient::new(map);
    for host in [
        "admin.example.com",
        "ADMIN.example.com",
        "admin.example.com.",
        "admin.example.com:8080",
    ] {
        client
            .get("/")
            .header("host", host)
            .expect_status(StatusCode::FORBIDDEN)
            .await;
    }
}
