//! The labels are bounded: 10 000 distinct paths and a dozen odd methods
//! through the layer leave the number of series where it was.

use std::convert::Infallible;

use http::{Request, Response, StatusCode};
use pastry_metrics::{MetricsHandle, MetricsLayer};
use pastry_testkit::{Body, TestClient};
use tower::{ServiceBuilder, service_fn};

/// The rendered series: every line that is not a comment.
fn series(text: &str) -> usize {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count()
}

/// Answers 404 below `/missing`, 200 elsewhere.
fn client(handle: &MetricsHandle) -> TestClient {
    let app = ServiceBuilder::new()
        .layer(MetricsLayer::new(handle))
        .service(service_fn(|req: Request<Body>| async move {
            let status = if req.uri().path().starts_with("/missing") {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            let mut res = Response::new(format!("{}\n", req.uri().path()));
            *res.status_mut() = status;
            Ok::<_, Infallible>(res)
        }));
    TestClient::new(app)
}

const ODD_METHODS: [&str; 12] = [
    "PURGE", "PROPFIND", "MKCOL", "LOCK", "BREW", "WHEN", "X-1", "SEARCH", "REPORT", "LINK",
    "UNLINK", "M-SEARCH",
];

#[tokio::test(flavor = "current_thread")]
async fn ten_thousand_paths_and_odd_methods_keep_the_series_count_fixed() {
    let handle = MetricsHandle::new();
    let client = client(&handle);
    // One request of each shape first: GET and an odd method, 2xx and 4xx.
    for (method, path) in [
        ("GET", "/a"),
        ("GET", "/missing/a"),
        ("PURGE", "/a"),
        ("PURGE", "/missing/a"),
    ] {
        client
            .request(method.parse().unwrap(), path)
            .any_status()
            .await;
    }
    let before = handle.render();
    let fixed = series(&before);

    for i in 0..10_000 {
        let method = if i % 2 == 0 {
            "GET"
        } else {
            ODD_METHODS[i % ODD_METHODS.len()]
        };
        let path = if i % 3 == 0 {
            format!("/missing/{i}")
        } else {
            format!("/page/{i}?q={i}")
        };
        client
            .request(method.parse().unwrap(), path)
            .any_status()
            .await;
    }
    let after = handle.render();

    // 4 shapes: 4 request counters, 4 byte counters, 4 histograms of 13
    // buckets + `+Inf` + sum + count, and the in-flight gauge of the one
    // mount: 4 + 4 + 4 * 16 + 1.
    assert_eq!(fixed, 73, "{before}");
    assert_eq!(series(&after), fixed, "{after}");
    assert!(!after.contains("/page/"), "a path reached the labels");
    assert!(!after.contains("/missing"), "a path reached the labels");
    assert!(!after.contains("PURGE"), "an odd method reached the labels");
    assert!(after.contains(r#"pastry_http_requests_total{mount="/",method="OTHER",status="4xx"}"#));
    assert!(after.contains(r#"pastry_http_requests_total{mount="/",method="GET",status="2xx"}"#));
    let total: u64 = after
        .lines()
        .filter(|line| line.starts_with("pastry_http_requests_total{"))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 10_004);
}

#[tokio::test(flavor = "current_thread")]
async fn script_names_past_the_cap_are_counted_as_other() {
    let handle = MetricsHandle::new();
    let app = ServiceBuilder::new()
        .layer(MetricsLayer::new(&handle).max_mounts(3))
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }));
    let client = TestClient::new(app);
    for i in 0..100 {
        client.get("/").script_name(&format!("/m{i}")).await;
    }
    let text = handle.render();
    let mut counters: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("pastry_http_requests_total{"))
        .collect();
    counters.sort_unstable();
    assert_eq!(
        counters,
        [
            r#"pastry_http_requests_total{mount="/m0",method="GET",status="2xx"} 1"#,
            r#"pastry_http_requests_total{mount="/m1",method="GET",status="2xx"} 1"#,
            r#"pastry_http_requests_total{mount="/m2",method="GET",status="2xx"} 1"#,
            r#"pastry_http_requests_total{mount="other",method="GET",status="2xx"} 97"#,
        ],
        "{text}"
    );
}
