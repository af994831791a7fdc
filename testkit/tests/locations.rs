//! A failing request or assertion reports the test's own file and line,
//! not a line inside the kit (issue 27 point 8).

use std::convert::Infallible;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::{Mutex, Once};
use std::thread::{self, ThreadId};

use http::{Request, Response, StatusCode};
use pastry_testkit::{Body, TestClient};

/// Where each thread's last panic happened, recorded by a panic hook
/// (tests run on parallel threads, so each looks up its own).
static LOCATIONS: Mutex<Vec<(ThreadId, String, u32)>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

/// Runs `f`, which must panic, and returns the panic's file and line.
fn panic_location(f: impl FnOnce()) -> (String, u32) {
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if let Some(at) = info.location() {
                let mut all = LOCATIONS.lock().unwrap_or_else(|p| p.into_inner());
                all.push((thread::current().id(), at.file().to_owned(), at.line()));
            }
            default(info);
        }));
    });
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    assert!(result.is_err(), "expected a panic");
    let me = thread::current().id();
    let all = LOCATIONS.lock().unwrap_or_else(|p| p.into_inner());
    let (_, file, line) = all
        .iter()
        .rev()
        .find(|(id, _, _)| *id == me)
        .expect("the hook saw the panic")
        .clone();
    (file, line)
}

/// This file, as `Location` names it.
fn this_file() -> &'static str {
    Location::caller().file()
}

fn client() -> TestClient {
    TestClient::new(tower::service_fn(|req: Request<Body>| async move {
        let status = match req.uri().path() {
            "/missing" => StatusCode::NOT_FOUND,
            _ => StatusCode::OK,
        };
        let res = Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(r#"{"n":1}"#.to_owned());
        Ok::<_, Infallible>(res.unwrap())
    }))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn an_awaited_request_with_an_unexpected_status_points_at_the_await() {
    let c = client();
    let rt = runtime();
    let (file, line) = panic_location(|| {
        rt.block_on(async {
            c.get("/missing").await;
        });
    });
    assert_eq!(file, this_file());
    assert_eq!(line, line!() - 4, "the line of the .await");
}

#[test]
fn send_blocking_points_at_the_call() {
    let c = client();
    let (file, line) = panic_location(|| {
        c.get("/missing").send_blocking();
    });
    assert_eq!(file, this_file());
    assert_eq!(line, line!() - 3);
}

#[test]
fn response_assertions_point_at_the_test() {
    let c = client();
    let res = c.get("/").send_blocking();
    let (file, line) = panic_location(|| {
        res.assert_status(201);
    });
    assert_eq!((file.as_str(), line), (this_file(), line!() - 2));
    let checks: [&dyn Fn(); 6] = [
        &|| {
            res.assert_header("content-type", "text/html");
        },
        &|| {
            res.assert_no_header("content-type");
        },
        &|| {
            res.assert_text_contains("absent");
        },
        &|| {
            res.assert_json(&serde_json::json!({"n": 2}));
        },
        &|| {
            let _: Vec<u8> = res.json();
        },
        &|| {
            res.assert_status(999u16);
        },
    ];
    for check in checks {
        let (file, _) = panic_location(check);
        assert_eq!(file, this_file());
    }
}

#[test]
fn builder_mistakes_point_at_the_test() {
    let c = client();
    let (file, _) = panic_location(|| {
        let _ = c.get("/").header("bad name", "x");
    });
    assert_eq!(file, this_file());
    let (file, _) = panic_location(|| {
        let _ = c.get("/").expect_status(1000);
    });
    assert_eq!(file, this_file());
    let (file, _) = panic_location(|| {
        let _ = TestClient::new(tower::service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }))
        .base_url("https://x.example/path");
    });
    assert_eq!(file, this_file());
}

#[test]
fn an_awaited_stream_points_at_the_await() {
    let c = client();
    let rt = runtime();
    let (file, line) = panic_location(|| {
        rt.block_on(async {
            let _ = c.get("/missing").stream().await;
        });
    });
    assert_eq!(file, this_file());
    assert_eq!(line, line!() - 4, "the line of the .await");
}
