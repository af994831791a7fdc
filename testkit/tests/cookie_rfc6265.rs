//! The jar reads `Set-Cookie` as RFC 6265 section 5.2 does: on octets, with
//! the cookie-date algorithm of section 5.1.1 for `Expires`.

use std::convert::Infallible;
use std::time::Duration;

use http::{HeaderValue, Request, Response};
use pastry_testkit::{Body, TestClient};

/// `?set=<Set-Cookie value>` (URL-decoded as raw bytes, so a test can send
/// any octet) comes back as that header; the body is the `Cookie` header
/// the app received, byte for byte.
async fn app(
    req: Request<Body>,
) -> Result<Response<http_body_util::Full<bytes::Bytes>>, Infallible> {
    let received = req
        .headers()
        .get("cookie")
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let mut res = Response::new(http_body_util::Full::new(bytes::Bytes::from(received)));
    if let Some(query) = req.uri().query() {
        for pair in query.split('&') {
            if let Some(raw) = pair.strip_prefix("set=") {
                let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
                res.headers_mut()
                    .append("set-cookie", HeaderValue::from_bytes(&bytes).unwrap());
            }
        }
    }
    Ok(res)
}

fn client() -> TestClient {
    TestClient::new(tower::service_fn(app))
}

/// Without `Validate`, whose `set-cookie-parses` rule holds apps to the
/// server grammar of section 4.1 (ASCII only): these tests are about what
/// the jar, as a user agent, does with what it gets.
fn lenient() -> TestClient {
    client().lenient()
}

async fn set(client: &TestClient, set_cookie: &[u8]) {
    let encoded = percent_encoding::percent_encode(set_cookie, percent_encoding::NON_ALPHANUMERIC);
    client.get(format!("/?set={encoded}")).await;
}

async fn sent(client: &TestClient) -> Vec<u8> {
    client.get("/").await.bytes().to_vec()
}

#[tokio::test]
async fn a_past_expires_in_any_spelling_removes_the_cookie() {
    for date in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "6 Nov 1994 8:49:37",
        "06-Nov-1994 08:49:37 GMT",
        "1994 Nov 06 08:49:37",
        "Nov 6 08:49:37 94",
    ] {
        let c = client();
        set(&c, b"s=1").await;
        assert_eq!(sent(&c).await, b"s=1");
        set(&c, format!("s=1; Expires={date}").as_bytes()).await;
        assert_eq!(sent(&c).await, b"", "{date}");
        assert_eq!(c.cookie("s"), None, "{date}");
    }
}

#[tokio::test]
async fn a_cookie_set_with_a_past_expires_is_never_stored() {
    let c = client();
    set(&c, b"s=1; Expires=6 Nov 1994 8:49:37").await;
    assert_eq!(c.cookies(), []);
}

#[tokio::test]
async fn a_future_expires_in_a_loose_spelling_is_kept_until_it_passes() {
    let c = client();
    set(&c, b"s=1; Expires=1 jan 2100 0:0:0").await;
    assert_eq!(sent(&c).await, b"s=1");
    c.advance_time(Duration::from_secs(100 * 366 * 86_400));
    assert_eq!(sent(&c).await, b"");
}

#[tokio::test]
async fn two_digit_years_below_70_are_this_century() {
    let c = client();
    set(&c, b"future=1; Expires=01 Jan 69 00:00:00").await;
    set(&c, b"past=1; Expires=01 Jan 70 00:00:01").await;
    assert_eq!(sent(&c).await, b"future=1");
}

#[tokio::test]
async fn an_expires_that_fails_the_algorithm_is_ignored() {
    let c = client();
    for (name, date) in [
        ("garbage", "soon"),
        ("no-such-day", "30 Feb 1994 00:00:00"),
        ("too-old", "01 Jan 1600 00:00:00"),
        ("bad-hour", "06 Nov 1994 24:00:00"),
        ("no-time", "06 Nov 1994"),
    ] {
        set(&c, format!("{name}=1; Expires={date}").as_bytes()).await;
        assert_eq!(c.cookie(name).as_deref(), Some("1"), "{date}");
    }
}

#[tokio::test]
async fn an_ignored_expires_leaves_an_earlier_valid_one_in_force() {
    let c = client();
    set(&c, b"s=1; Expires=06 Nov 1994 08:49:37; Expires=bogus").await;
    assert_eq!(c.cookie("s"), None);
}

#[tokio::test]
async fn non_ascii_octets_are_kept_and_sent_back_as_they_came() {
    let c = lenient();
    set(&c, b"latin1=Ren\xe9").await;
    set(&c, "utf8=caf\u{e9}; Path=/".as_bytes()).await;
    assert_eq!(sent(&c).await, b"latin1=Ren\xe9; utf8=caf\xc3\xa9");
    assert_eq!(c.cookie_bytes("latin1").as_deref(), Some(&b"Ren\xe9"[..]));
    assert_eq!(c.cookie("utf8").as_deref(), Some("caf\u{e9}"));
}

#[tokio::test]
async fn non_ascii_octets_merge_with_an_explicit_cookie_header() {
    let c = lenient();
    set(&c, b"n=\xff\x80").await;
    let res = c.get("/").header("cookie", "own=1").await;
    assert_eq!(res.bytes(), &b"own=1; n=\xff\x80"[..]);
}

#[tokio::test]
async fn a_set_cookie_without_a_name_value_pair_is_ignored_and_said() {
    let c = lenient();
    let res = c.get("/?set=justaname").await;
    assert!(
        res.cookie_notes()[0].contains("has no `=`"),
        "{:?}",
        res.cookie_notes()
    );
    let res = c.get("/?set=%3Dvalue").await;
    assert!(res.cookie_notes()[0].contains("name is empty"));
    assert_eq!(c.cookies(), []);
}

#[tokio::test]
async fn names_and_values_are_trimmed_of_spaces_and_tabs_only() {
    let c = client();
    set(&c, b" \tk \t= v x\t ; Path=/").await;
    assert_eq!(sent(&c).await, b"k=v x");
}

#[tokio::test]
async fn quotes_around_a_value_are_kept() {
    let c = client();
    set(&c, b"q=\"a b\"").await;
    assert_eq!(sent(&c).await, b"q=\"a b\"");
}

#[tokio::test]
async fn a_malformed_max_age_is_ignored_and_expires_applies() {
    let c = client();
    set(&c, b"s=1; Max-Age=1e3; Expires=06 Nov 1994 08:49:37").await;
    assert_eq!(c.cookie("s"), None);
    set(&c, b"t=1; Max-Age=-5x").await;
    assert_eq!(c.cookie("t").as_deref(), Some("1"));
    set(&c, b"t=1; Max-Age=-5").await;
    assert_eq!(c.cookie("t"), None);
}

#[tokio::test]
async fn attribute_names_are_case_insensitive() {
    let c = client();
    set(&c, b"s=1; EXPIRES=06 Nov 1994 08:49:37").await;
    set(&c, b"p=1; pAtH=/deep").await;
    assert_eq!(c.cookie("s"), None);
    assert_eq!(sent(&c).await, b"");
    assert_eq!(c.get("/deep").await.bytes(), &b"p=1"[..]);
}
