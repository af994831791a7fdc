//! Property: whatever the configuration that builds and whatever the
//! request, no answer combines `Access-Control-Allow-Origin: *` with
//! `Access-Control-Allow-Credentials: true` (browsers reject that, and a
//! layer that sends it has mixed two settings up).

mod common;

use common::{call, request};
use pastry_cors::CorsLayer;
use proptest::prelude::*;

const ORIGINS: &[&str] = &[
    "https://app.example",
    "http://localhost:5173",
    "https://evil.example",
    "null",
    "*",
    "HTTPS://APP.EXAMPLE",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "OPTIONS", "DELETE", "*"];
const HEADERS: &[&str] = &["content-type", "authorization", "x-token", "*"];

fn some_of(items: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::sample::subsequence(items, 0..=items.len())
}

#[derive(Debug, Clone)]
struct Settings {
    any_origin: bool,
    origins: Vec<&'static str>,
    predicate: bool,
    methods: Option<Vec<&'static str>>,
    headers: Vec<&'static str>,
    mirror: bool,
    expose: Vec<&'static str>,
    credentials: bool,
    private_network: bool,
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        any::<bool>(),
        some_of(ORIGINS),
        any::<bool>(),
        proptest::option::of(some_of(METHODS)),
        some_of(HEADERS),
        any::<bool>(),
        some_of(HEADERS),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                any_origin,
                origins,
                predicate,
                methods,
                headers,
                mirror,
                expose,
                credentials,
                pna,
            )| {
                Settings {
                    any_origin,
                    origins,
                    predicate,
                    methods,
                    headers,
                    mirror,
                    expose,
                    credentials,
                    private_network: pna,
                }
            },
        )
}

fn build(s: &Settings) -> Option<CorsLayer> {
    let mut b = CorsLayer::builder()
        .allow_origins(s.origins.iter().copied())
        .headers_and_more(s);
    if s.any_origin {
        b = b.allow_any_origin();
    }
    if s.predicate {
        b = b.allow_origin_fn(|_, _| true);
    }
    b.build().ok()
}

trait More {
    fn headers_and_more(self, s: &Settings) -> Self;
}

impl More for pastry_cors::CorsLayerBuilder {
    fn headers_and_more(mut self, s: &Settings) -> Self {
        if let Some(methods) = &s.methods {
            self = self.allow_methods(methods.iter().copied());
        }
        self.allow_headers(s.headers.iter().copied())
            .mirror_request_headers(s.mirror)
            .expose_headers(s.expose.iter().copied())
            .allow_credentials(s.credentials)
            .allow_private_network(s.private_network)
    }
}

fn a_request() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    (
        proptest::option::of(proptest::sample::select(ORIGINS)),
        proptest::option::of(proptest::sample::select(METHODS)),
        proptest::option::of(proptest::sample::select(
            &[
                "content-type",
                "authorization",
                "x-token, content-type",
                "x-other",
            ][..],
        )),
        any::<bool>(),
    )
        .prop_map(|(origin, acrm, acrh, pna)| {
            let mut headers = Vec::new();
            if let Some(origin) = origin {
                headers.push(("origin", origin));
            }
            if let Some(m) = acrm {
                headers.push(("access-control-request-method", m));
            }
            if let Some(h) = acrh {
                headers.push(("access-control-request-headers", h));
            }
            if pna {
                headers.push(("access-control-request-private-network", "true"));
            }
            headers
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_answer_combines_star_with_credentials(
        s in settings(),
        method in proptest::sample::select(&["GET", "POST", "OPTIONS", "PUT"][..]),
        headers in a_request(),
    ) {
        let Some(layer) = build(&s) else {
            // Refused at build: nothing can be answered wrongly.
            return Ok(());
        };
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (_, answer) = rt.block_on(call(&layer, request(method, "/", &headers)));
        let star = answer
            .get_all("access-control-allow-origin")
            .iter()
            .any(|v| v == "*");
        let credentials = answer.contains_key("access-control-allow-credentials");
        prop_assert!(!(star && credentials), "{s:?} {method} {headers:?}: {answer:?}");
        // And with credentials, no `*` in the methods or headers either.
        if credentials {
            for name in [
                "access-control-allow-methods",
                "access-control-allow-headers",
                "access-control-expose-headers",
            ] {
                let value = answer.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                prop_assert!(!value.split(',').any(|f| f.trim() == "*"), "{name}: {value}");
            }
        }
    }
}
