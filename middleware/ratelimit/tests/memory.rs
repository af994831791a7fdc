//! The memory store through the layer: bursts, refusals, keys, fields and
//! the cap on keys, on a clock moved by hand.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use pastry_core::{ClientAddr, ManualClock, RemoteUser};
use pastry_ratelimit::{Policy, RateLimitLayer, RateLimitLayerBuilder};
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceExt, service_fn};

type App = BoxCloneSyncService<
    Request<String>,
    Response<pastry_ratelimit::RateLimitBody<String>>,
    Infallible,
>;

fn hello()
-> impl tower::Service<Request<String>, Response = Response<String>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ Sync
+ 'static {
    service_fn(|_req: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::from("hello")))
    })
}

fn app(builder: RateLimitLayerBuilder) -> (App, RateLimitLayer) {
    let layer = builder.build().unwrap();
    (BoxCloneSyncService::new(layer.layer(hello())), layer)
}

fn from(addr: &str) -> Request<String> {
    let mut req = Request::get("/").body(String::new()).unwrap();
    req.extensions_mut()
        .insert(ClientAddr(addr.parse().unwrap()));
    req
}

async fn status(app: &App, req: Request<String>) -> StatusCode {
    app.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn a_burst_passes_then_429_with_retry_after_rounded_up() {
    let clock = ManualClock::new();
    // 3 per 10 s: one request every 3.33 s.
    let (app, _) =
        app(RateLimitLayer::builder(Policy::new(3, Duration::from_secs(10))).clock(clock.clone()));
    for _ in 0..3 {
        assert_eq!(status(&app, from("192.0.2.1:1")).await, StatusCode::OK);
    }
    let res = app.clone().oneshot(from("192.0.2.1:2")).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "4", "3.33 s rounds up");
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"429 Too Many Requests"), "{body:?}");
    assert!(!res_has_fields_by_default(&app).await);
}

async fn res_has_fields_by_default(app: &App) -> bool {
    let res = app.clone().oneshot(from("203.0.113.9:1")).await.unwrap();
    res.headers().contains_key("ratelimit") || res.headers().contains_key("ratelimit-policy")
}

#[tokio::test]
async fn the_budget_comes_back_with_time_one_request_per_emission() {
    let clock = ManualClock::new();
    let (app, _) =
        app(RateLimitLayer::builder(Policy::per_second(2).burst(2)).clock(clock.clone()));
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 200);
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 200);
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 429);
    clock.advance(Duration::from_millis(499));
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 429, "not yet");
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        status(&app, from("192.0.2.1:1")).await,
        200,
        "one came back"
    );
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 429, "only one");
    clock.advance(Duration::from_secs(60));
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 200);
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 200);
    assert_eq!(
        status(&app, from("192.0.2.1:1")).await,
        429,
        "a quiet minute is worth one burst, not more"
    );
}

#[tokio::test]
async fn the_ratelimit_fields_are_on_every_limited_response_when_enabled() {
    let clock = ManualClock::new();
    let (app, _) = app(RateLimitLayer::builder(Policy::per_second(10).burst(20))
        .name("api")
        .headers(true)
        .clock(clock.clone()));
    let res = app.clone().oneshot(from("192.0.2.1:1")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["ratelimit-policy"], "\"api\";q=20;w=2");
    assert_eq!(res.headers()["ratelimit"], "\"api\";r=19;t=1");
    for _ in 0..19 {
        app.clone().oneshot(from("192.0.2.1:1")).await.unwrap();
    }
    let res = app.clone().oneshot(from("192.0.2.1:1")).await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["ratelimit-policy"], "\"api\";q=20;w=2");
    assert_eq!(res.headers()["ratelimit"], "\"api\";r=0;t=2");
    assert_eq!(res.headers()["retry-after"], "1");
}

#[tokio::test]
async fn head_gets_an_empty_429() {
    let (app, _) = app(RateLimitLayer::builder(Policy::per_hour(1)).clock(ManualClock::new()));
    let head = || {
        let mut req = Request::head("/").body(String::new()).unwrap();
        req.extensions_mut()
            .insert(ClientAddr("192.0.2.1:1".parse().unwrap()));
        req
    };
    assert_eq!(status(&app, head()).await, 200);
    let res = app.clone().oneshot(head()).await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "3600");
    assert!(
        res.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .is_empty()
    );
}

#[tokio::test]
async fn ipv6_clients_in_one_64_share_a_budget_and_other_clients_have_their_own() {
    let (app, _) = app(RateLimitLayer::builder(Policy::per_hour(1)).clock(ManualClock::new()));
    assert_eq!(status(&app, from("[2001:db8:1:2::1]:1")).await, 200);
    assert_eq!(
        status(&app, from("[2001:db8:1:2:ffff:1:2:3]:9")).await,
        429,
        "same /64"
    );
    assert_eq!(
        status(&app, from("[2001:db8:1:3::1]:1")).await,
        200,
        "next /64"
    );
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 200);
    assert_eq!(
        status(&app, from("192.0.2.1:2")).await,
        429,
        "the port does not matter"
    );
    assert_eq!(status(&app, from("192.0.2.2:1")).await, 200);
}

#[tokio::test]
async fn users_are_counted_by_name_and_anonymous_requests_by_address() {
    let (app, _) = app(RateLimitLayer::builder(Policy::per_hour(1))
        .key_by_user()
        .clock(ManualClock::new()));
    let as_user = |user: &str, addr: &str| {
        let mut req = from(addr);
        req.extensions_mut().insert(RemoteUser::new(user));
        req
    };
    assert_eq!(status(&app, as_user("alice", "192.0.2.1:1")).await, 200);
    assert_eq!(
        status(&app, as_user("alice", "198.51.100.1:1")).await,
        429,
        "alice from anywhere"
    );
    assert_eq!(
        status(&app, as_user("bob", "192.0.2.1:1")).await,
        200,
        "bob on alice's address"
    );
    assert_eq!(
        status(&app, from("192.0.2.1:1")).await,
        200,
        "anonymous: by address"
    );
    assert_eq!(status(&app, from("192.0.2.1:1")).await, 429);
}

#[tokio::test]
async fn a_key_function_picks_the_key_and_none_is_not_limited() {
    let (app, _) = app(RateLimitLayer::builder(Policy::per_hour(1))
        .key_fn(|parts| Some(parts.headers.get("x-api-key")?.to_str().ok()?.to_owned()))
        .clock(ManualClock::new()));
    let with_key = |key: &str| {
        Request::get("/")
            .header("x-api-key", key)
            .body(String::new())
            .unwrap()
    };
    assert_eq!(status(&app, with_key("k1")).await, 200);
    assert_eq!(status(&app, with_key("k1")).await, 429);
    assert_eq!(status(&app, with_key("k2")).await, 200);
    for _ in 0..10 {
        assert_eq!(
            status(&app, Request::new(String::new())).await,
            200,
            "no key, no limit"
        );
    }
}

#[tokio::test]
async fn requests_without_a_client_address_are_not_limited() {
    let (app, layer) = app(RateLimitLayer::builder(Policy::per_hour(1)).clock(ManualClock::new()));
    for _ in 0..10 {
        assert_eq!(status(&app, Request::new(String::new())).await, 200);
    }
    assert_eq!(layer.tracked_keys(), 0);
}

#[tokio::test]
async fn each_mount_has_its_own_policy() {
    let clock = ManualClock::new();
    let login = RateLimitLayer::builder(Policy::per_minute(1))
        .name("login")
        .clock(clock.clone())
        .build()
        .unwrap();
    let api = RateLimitLayer::builder(Policy::per_second(100))
        .name("api")
        .clock(clock.clone())
        .build()
        .unwrap();
    let map = pastry_urlmap::UrlMap::builder()
        .mount("/login", login.layer(hello()))
        .mount("/api", api.layer(hello()))
        .build()
        .unwrap();
    let get = |path: &str| {
        let mut req = Request::get(path).body(String::new()).unwrap();
        req.extensions_mut()
            .insert(ClientAddr("192.0.2.1:1".parse().unwrap()));
        req
    };
    assert_eq!(
        map.clone().oneshot(get("/login")).await.unwrap().status(),
        200
    );
    assert_eq!(
        map.clone().oneshot(get("/login")).await.unwrap().status(),
        429
    );
    for _ in 0..100 {
        assert_eq!(
            map.clone()
                .oneshot(get("/api/items"))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(
        map.clone()
            .oneshot(get("/api/items"))
            .await
            .unwrap()
            .status(),
        429
    );
}

/// Drives 50 000 distinct addresses through a layer capped at 1 000 keys
/// while 10 busy clients keep sending: the map stays at the cap, and the
/// busy clients, never the longest idle, stay limited.
#[tokio::test]
async fn the_key_cap_holds_and_evicts_the_longest_idle_not_the_busiest() {
    const CAP: usize = 1_000;
    let (app, layer) = app(RateLimitLayer::builder(Policy::per_hour(1))
        .max_keys(CAP)
        .clock(ManualClock::new()));
    let busy: Vec<String> = (0..10).map(|i| format!("198.51.100.{i}:1")).collect();
    for addr in &busy {
        assert_eq!(status(&app, from(addr)).await, 200);
    }
    let mut max_seen = 0;
    for chunk in 0..1_000u32 {
        for i in 0..50u32 {
            let n = chunk * 50 + i;
            let addr = format!("10.{}.{}.{}:1", n >> 16, (n >> 8) & 0xff, n & 0xff);
            assert_eq!(status(&app, from(&addr)).await, 200, "a new address");
        }
        for addr in &busy {
            assert_eq!(
                status(&app, from(addr)).await,
                429,
                "a busy client stays limited"
            );
        }
        max_seen = max_seen.max(layer.tracked_keys());
    }
    assert_eq!(layer.tracked_keys(), CAP);
    assert_eq!(max_seen, CAP);
    println!(
        "keys after 50000 distinct addresses with a cap of {CAP}: {}",
        layer.tracked_keys()
    );
}

#[tokio::test]
async fn the_service_answers_through_the_testkit() {
    let layer = RateLimitLayer::builder(Policy::per_hour(1))
        .clock(ManualClock::new())
        .build()
        .unwrap();
    let client = pastry_testkit::TestClient::new(layer.layer(service_fn(
        |_req: Request<pastry_testkit::Body>| async {
            Ok::<_, Infallible>(Response::new(http_body_util::Full::new(Bytes::from("hi"))))
        },
    )));
    let addr = "192.0.2.1:1".parse().unwrap();
    let first = client.get("/").client_addr(addr).await;
    let second = client.get("/").client_addr(addr).expect_status(429).await;
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::TOO_MANY_REQUESTS)
    );
}
