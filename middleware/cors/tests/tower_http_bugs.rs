//! Each CORS bug or gap reported against tower-http and named in issue 25,
//! reproduced against `CorsLayer`: the test shows Pastry's answer is the
//! one the Fetch standard asks for.

mod common;

use common::{call, get, has_cors_headers, preflight, request, vary};
use pastry_cors::{CorsError, CorsLayer};

const APP: &str = "https://app.example";

/// tower-http#194: with credentials, the preflight answer must name the
/// origin, the methods and the requested headers explicitly, never `*`
/// (browsers reject `*` on credentialed requests), and the actual answer
/// must not be `Access-Control-Allow-Origin: *` either.
#[tokio::test]
async fn tower_http_194_credentialed_preflight_names_origin_methods_and_headers() {
    let layer = CorsLayer::builder()
        .allow_origin(APP)
        .allow_methods(["GET", "PUT"])
        .allow_headers(["Content-Type", "X-Token"])
        .allow_credentials(true)
        .build()
        .unwrap();
    let (status, headers) = call(&layer, preflight(APP, "PUT", Some("content-type,x-token"))).await;
    assert_eq!(status, 204);
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        get(&headers, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        get(&headers, "access-control-allow-methods"),
        Some("GET, PUT")
    );
    assert_eq!(
        get(&headers, "access-control-allow-headers"),
        Some("content-type, x-token")
    );

    let (_, headers) = call(&layer, request("PUT", "/api", &[("origin", APP)])).await;
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        get(&headers, "access-control-allow-credentials"),
        Some("true")
    );
}

/// tower-http#203 (a proposed fix for #194): answer "any origin" by
/// mirroring the request's `Origin`, so that credentials work with it.
/// That would let every site read a user's credentialed responses. Pastry
/// refuses any-origin with credentials when the layer is built, and
/// without credentials answers any origin with a plain `*` and no
/// `Access-Control-Allow-Credentials`.
#[tokio::test]
async fn tower_http_203_any_origin_is_never_mirrored_with_credentials() {
    assert_eq!(
        CorsLayer::builder()
            .allow_any_origin()
            .allow_credentials(true)
            .build()
            .unwrap_err(),
        CorsError::CredentialsWithWildcard("allowed origins")
    );
    let layer = CorsLayer::builder().allow_any_origin().build().unwrap();
    let evil = "https://evil.example";
    let (_, headers) = call(&layer, request("GET", "/api", &[("origin", evil)])).await;
    assert_eq!(get(&headers, "access-control-allow-origin"), Some("*"));
    assert!(!headers.contains_key("access-control-allow-credentials"));
    let (status, headers) = call(&layer, preflight(evil, "GET", None)).await;
    assert_eq!(status, 204);
    assert_eq!(get(&headers, "access-control-allow-origin"), Some("*"));
    assert!(!headers.contains_key("access-control-allow-credentials"));
}

/// tower-http#297: `CorsLayer::very_permissive` was documented to allow
/// credentials but silently did not send `Access-Control-Allow-Credentials`.
/// Pastry's most permissive credentialed setting (listed origin, request
/// headers mirrored) sends it on the preflight and on the actual answer.
#[tokio::test]
async fn tower_http_297_credentials_setting_is_sent_with_mirrored_headers() {
    let layer = CorsLayer::builder()
        .allow_origin(APP)
        .mirror_request_headers(true)
        .allow_credentials(true)
        .build()
        .unwrap();
    let (status, headers) = call(&layer, preflight(APP, "POST", Some("x-anything, x-else"))).await;
    assert_eq!(status, 204);
    assert_eq!(
        get(&headers, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        get(&headers, "access-control-allow-headers"),
        Some("x-anything, x-else")
    );
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
    let (_, headers) = call(&layer, request("POST", "/api", &[("origin", APP)])).await;
    assert_eq!(
        get(&headers, "access-control-allow-credentials"),
        Some("true")
    );
}

/// tower-http#314: Chromium's Private Network Access preflight
/// (`Access-Control-Request-Private-Network: true`) needs
/// `Access-Control-Allow-Private-Network: true` in the answer, which
/// tower-http could not send. Pastry sends it when enabled, refuses the
/// preflight when not, and varies on the request header.
#[tokio::test]
async fn tower_http_314_private_network_preflight_is_answered_when_enabled() {
    let pna = |layer| {
        let mut req = preflight(APP, "GET", None);
        req.headers_mut().insert(
            "access-control-request-private-network",
            "true".parse().unwrap(),
        );
        call(layer, req)
    };
    let enabled = CorsLayer::builder()
        .allow_origin(APP)
        .allow_private_network(true)
        .build()
        .unwrap();
    let (status, headers) = pna(&enabled).await;
    assert_eq!(status, 204);
    assert_eq!(
        get(&headers, "access-control-allow-private-network"),
        Some("true")
    );
    assert!(vary(&headers).contains(&"access-control-request-private-network".to_owned()));
    // An ordinary preflight gets no private-network answer.
    let (_, headers) = call(&enabled, preflight(APP, "GET", None)).await;
    assert!(!headers.contains_key("access-control-allow-private-network"));

    let disabled = CorsLayer::builder().allow_origin(APP).build().unwrap();
    let (status, headers) = pna(&disabled).await;
    assert_eq!(status, 403);
    assert!(!has_cors_headers(&headers));
}

/// tower-http#285 (and #284): `*` in an origin list was compared literally
/// with each request's `Origin`, matching nothing; the fix made it a panic
/// when the layer is made. Pastry makes it a typed error from `build`.
#[test]
fn tower_http_285_wildcard_in_origin_list_is_a_typed_error() {
    let result = std::panic::catch_unwind(|| {
        CorsLayer::builder()
            .allow_origins(["https://a.example", "*"])
            .build()
    });
    assert_eq!(
        result.expect("no panic").unwrap_err(),
        CorsError::WildcardInOriginList
    );
}
