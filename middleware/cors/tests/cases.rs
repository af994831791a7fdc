//! A table of preflights and actual requests against one configuration,
//! then `Vary`, app errors, origin matching and the predicate.

mod common;

use common::{call, get, has_cors_headers, preflight, request, vary};
use http::HeaderValue;
use pastry_cors::{CorsError, CorsLayer};

const APP: &str = "https://app.example";

fn layer() -> CorsLayer {
    CorsLayer::builder()
        .allow_origin(APP)
        .allow_origin("http://localhost:5173")
        .allow_methods(["GET", "PUT", "DELETE"])
        .allow_headers(["content-type", "authorization"])
        .expose_headers(["x-request-id"])
        .max_age(std::time::Duration::from_secs(600))
        .allow_credentials(true)
        .build()
        .unwrap()
}

/// One row: a preflight's origin, method and requested headers, and
/// whether it is allowed.
struct Preflight {
    origin: &'static str,
    method: &'static str,
    headers: Option<&'static str>,
    allowed: bool,
}

const PREFLIGHTS: &[Preflight] = &[
    Preflight {
        origin: APP,
        method: "PUT",
        headers: None,
        allowed: true,
    },
    Preflight {
        origin: APP,
        method: "DELETE",
        headers: Some("content-type"),
        allowed: true,
    },
    Preflight {
        origin: APP,
        method: "PUT",
        headers: Some("Content-Type, Authorization"),
        allowed: true,
    },
    // Safelisted methods are always allowed (browsers send them anyway).
    Preflight {
        origin: APP,
        method: "POST",
        headers: Some("content-type"),
        allowed: true,
    },
    // Case-insensitive scheme and host.
    Preflight {
        origin: "HTTPS://APP.EXAMPLE",
        method: "PUT",
        headers: None,
        allowed: true,
    },
    Preflight {
        origin: "http://localhost:5173",
        method: "GET",
        headers: Some("authorization"),
        allowed: true,
    },
    // Not allowed: the origin …
    Preflight {
        origin: "https://evil.example",
        method: "PUT",
        headers: None,
        allowed: false,
    },
    Preflight {
        origin: "https://app.example.evil.example",
        method: "PUT",
        headers: None,
        allowed: false,
    },
    Preflight {
        origin: "http://app.example",
        method: "PUT",
        headers: None,
        allowed: false,
    },
    Preflight {
        origin: "https://app.example:8443",
        method: "PUT",
        headers: None,
        allowed: false,
    },
    Preflight {
        origin: "null",
        method: "PUT",
        headers: None,
        allowed: false,
    },
    Preflight {
        origin: "http://localhost:5174",
        method: "GET",
        headers: None,
        allowed: false,
    },
    // … the method (compared exactly, as Fetch does) …
    Preflight {
        origin: APP,
        method: "PATCH",
        headers: None,
        allowed: false,
    },
    Preflight {
        origin: APP,
        method: "put",
        headers: None,
        allowed: false,
    },
    Preflight {
        origin: APP,
        method: "",
        headers: None,
        allowed: false,
    },
    // … or one of the headers.
    Preflight {
        origin: APP,
        method: "PUT",
        headers: Some("content-type, x-secret"),
        allowed: false,
    },
    Preflight {
        origin: APP,
        method: "PUT",
        headers: Some("bad header"),
        allowed: false,
    },
];

#[tokio::test]
async fn preflight_table() {
    let layer = layer();
    for row in PREFLIGHTS {
        let what = format!("{} {} {:?}", row.origin, row.method, row.headers);
        let (status, headers) = call(&layer, preflight(row.origin, row.method, row.headers)).await;
        assert_eq!(
            vary(&headers),
            [
                "origin",
                "access-control-request-method",
                "access-control-request-headers"
            ],
            "{what}"
        );
        assert!(
            !headers.contains_key("allow"),
            "the app is never called: {what}"
        );
        if row.allowed {
            assert_eq!(status, 204, "{what}");
            assert_eq!(
                get(&headers, "access-control-allow-origin"),
                Some(row.origin),
                "{what}"
            );
            assert_eq!(
                get(&headers, "access-control-allow-credentials"),
                Some("true")
            );
            assert_eq!(
                get(&headers, "access-control-allow-methods"),
                Some("GET, PUT, DELETE")
            );
            assert_eq!(
                get(&headers, "access-control-allow-headers"),
                Some("content-type, authorization")
            );
            assert_eq!(get(&headers, "access-control-max-age"), Some("600"));
            assert!(!headers.contains_key("access-control-expose-headers"));
        } else {
            assert_eq!(status, 403, "{what}");
            assert!(!has_cors_headers(&headers), "{what}: {headers:?}");
        }
    }
}

/// One row: an actual request's method and origin, and whether the answer
/// lets the page read it.
const SIMPLE: &[(&str, Option<&str>, bool)] = &[
    ("GET", Some(APP), true),
    ("POST", Some(APP), true),
    ("PUT", Some("HTTPS://App.Example"), true),
    ("DELETE", Some("http://localhost:5173"), true),
    // Methods are not checked on actual requests: the preflight did that,
    // and a page cannot send an unlisted one without it.
    ("PATCH", Some(APP), true),
    ("GET", Some("https://evil.example"), false),
    ("GET", Some("null"), false),
    ("GET", None, false),
    // OPTIONS without Access-Control-Request-Method is not a preflight.
    ("OPTIONS", Some(APP), true),
    ("OPTIONS", None, false),
];

#[tokio::test]
async fn actual_request_table() {
    let layer = layer();
    for &(method, origin, allowed) in SIMPLE {
        let what = format!("{method} {origin:?}");
        let headers: Vec<_> = origin.map(|o| ("origin", o)).into_iter().collect();
        let (status, headers) = call(&layer, request(method, "/api", &headers)).await;
        assert_eq!(status, 200, "the app answers: {what}");
        assert_eq!(vary(&headers), ["accept-encoding", "origin"], "{what}");
        if method == "OPTIONS" {
            assert_eq!(
                get(&headers, "allow"),
                Some("GET, OPTIONS"),
                "the app's OPTIONS"
            );
        }
        if allowed {
            assert_eq!(
                get(&headers, "access-control-allow-origin"),
                origin,
                "{what}"
            );
            assert_eq!(
                get(&headers, "access-control-allow-credentials"),
                Some("true")
            );
            assert_eq!(
                get(&headers, "access-control-expose-headers"),
                Some("x-request-id")
            );
            assert!(!headers.contains_key("access-control-allow-methods"));
            assert!(!headers.contains_key("access-control-max-age"));
        } else {
            assert!(!has_cors_headers(&headers), "{what}: {headers:?}");
        }
    }
}

/// The app's `Vary` is kept and `Origin` merged in, once, on allowed and
/// refused origins alike (tower-http#397 replaced the app's `Vary`; #598
/// repeated it when two layers were stacked).
#[tokio::test]
async fn vary_is_merged_never_replaced_nor_repeated() {
    let layer = layer();
    for origin in [APP, "https://evil.example"] {
        let (_, headers) = call(&layer, request("GET", "/", &[("origin", origin)])).await;
        assert_eq!(vary(&headers), ["accept-encoding", "origin"]);
    }
    // Two layers stacked: `Origin` still once.
    use tower::{ServiceBuilder, ServiceExt, service_fn};
    let app = ServiceBuilder::new()
        .layer(layer.clone())
        .layer(layer)
        .service(service_fn(|_req: http::Request<String>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
        }));
    let res = app
        .oneshot(request("GET", "/", &[("origin", APP)]))
        .await
        .unwrap();
    assert_eq!(vary(res.headers()), ["origin"]);
    assert_eq!(
        res.headers()
            .get_all("access-control-allow-origin")
            .iter()
            .count(),
        1
    );
}

/// An app's error page (a 500 that reached the layer as a response) still
/// carries the CORS headers and `Vary`, so the page can read the error.
#[tokio::test]
async fn error_responses_carry_cors_headers() {
    let (status, headers) = call(&layer(), request("GET", "/boom", &[("origin", APP)])).await;
    assert_eq!(status, 500);
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
    assert_eq!(vary(&headers), ["accept-encoding", "origin"]);
    let (_, headers) = call(
        &layer(),
        request("GET", "/boom", &[("origin", "https://evil.example")]),
    )
    .await;
    assert!(!has_cors_headers(&headers));
    assert_eq!(vary(&headers), ["accept-encoding", "origin"]);
}

/// Any origin: `*` on every answer, no `Vary: Origin` on actual requests
/// (nothing depends on it), `*` headers cover all but `Authorization`.
#[tokio::test]
async fn any_origin_answers_star_without_vary_origin() {
    let layer = CorsLayer::builder()
        .allow_any_origin()
        .allow_headers(["*"])
        .allow_methods(["*"])
        .build()
        .unwrap();
    let (_, headers) = call(&layer, request("GET", "/", &[])).await;
    assert_eq!(get(&headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(vary(&headers), ["accept-encoding"]);
    let (status, headers) =
        call(&layer, preflight("https://x.example", "PATCH", Some("x-a"))).await;
    assert_eq!(status, 204);
    assert_eq!(get(&headers, "access-control-allow-methods"), Some("*"));
    assert_eq!(get(&headers, "access-control-allow-headers"), Some("*"));
    let (status, _) = call(
        &layer,
        preflight("https://x.example", "GET", Some("authorization")),
    )
    .await;
    assert_eq!(status, 403, "`*` does not cover Authorization");
}

/// The predicate sees the `Origin` and the request head; its origins are
/// mirrored, listed ones still match.
#[tokio::test]
async fn predicate_origins_are_mirrored() {
    let layer = CorsLayer::builder()
        .allow_origin(APP)
        .allow_origin_fn(|origin: &HeaderValue, parts| {
            parts.uri.path().starts_with("/public")
                && origin.as_bytes().ends_with(b".partner.example")
        })
        .allow_credentials(true)
        .build()
        .unwrap();
    let partner = "https://shop.partner.example";
    let (_, headers) = call(&layer, request("GET", "/public/x", &[("origin", partner)])).await;
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(partner));
    let (_, headers) = call(&layer, request("GET", "/private", &[("origin", partner)])).await;
    assert!(!has_cors_headers(&headers));
    let (_, headers) = call(&layer, request("GET", "/private", &[("origin", APP)])).await;
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
}

/// Listed origins are compared as serialized origins: a default port is
/// the same as none, case is ignored.
#[tokio::test]
async fn listed_origins_are_normalised() {
    let layer = CorsLayer::builder()
        .allow_origin("HTTPS://App.Example:443")
        .build()
        .unwrap();
    let (_, headers) = call(&layer, request("GET", "/", &[("origin", APP)])).await;
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(APP));
}

#[test]
fn bad_settings_are_typed_errors_at_build() {
    let err = |b: pastry_cors::CorsLayerBuilder| b.build().unwrap_err();
    let b = CorsLayer::builder;
    assert_eq!(err(b()), CorsError::NoOrigin);
    for origin in [
        "https://app.example/",
        "https://app.example/api",
        "https://app.example?x=1",
        "app.example",
        "null",
    ] {
        assert_eq!(
            err(b().allow_origin(origin)),
            CorsError::InvalidOrigin(origin.into()),
            "{origin}"
        );
    }
    assert_eq!(err(b().allow_origin("*")), CorsError::WildcardInOriginList);
    assert_eq!(
        err(b().allow_any_origin().allow_origin(APP)),
        CorsError::ConflictingOrigins
    );
    assert_eq!(
        err(b().allow_any_origin().allow_origin_fn(|_, _| true)),
        CorsError::ConflictingOrigins
    );
    let creds = || b().allow_origin(APP).allow_credentials(true);
    assert_eq!(
        err(creds().allow_methods(["GET", "*"])),
        CorsError::CredentialsWithWildcard("allowed methods")
    );
    assert_eq!(
        err(creds().allow_headers(["*"])),
        CorsError::CredentialsWithWildcard("allowed headers")
    );
    assert_eq!(
        err(creds().expose_headers(["*"])),
        CorsError::CredentialsWithWildcard("exposed headers")
    );
    assert_eq!(
        err(b().allow_origin(APP).allow_headers(["x y"])),
        CorsError::InvalidHeaderName("x y".into())
    );
    assert_eq!(
        err(b().allow_origin(APP).expose_headers(["x:y"])),
        CorsError::InvalidHeaderName("x:y".into())
    );
    assert_eq!(
        err(b().allow_origin(APP).allow_methods(["G(T"])),
        CorsError::InvalidMethod("G(T".into())
    );
}

/// Found by the property test: a predicate that allows every origin must
/// still never mirror `Origin: *` (that would be `*` with credentials).
#[tokio::test]
async fn a_star_origin_is_never_mirrored() {
    let layer = CorsLayer::builder()
        .allow_origin_fn(|_, _| true)
        .allow_credentials(true)
        .build()
        .unwrap();
    for origin in ["*", "https://a.example, https://b.example"] {
        let (_, headers) = call(&layer, request("GET", "/", &[("origin", origin)])).await;
        assert!(!has_cors_headers(&headers), "{origin}");
        let (status, headers) = call(&layer, preflight(origin, "GET", None)).await;
        assert_eq!(status, 403);
        assert!(!has_cors_headers(&headers), "{origin}");
    }
}
