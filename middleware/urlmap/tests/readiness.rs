//! The map is always ready and drives the chosen app's readiness in the
//! call, so apps behind `tower::buffer::Buffer` never deadlock.

mod common;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::echo;
use http::{Request, Response};
use pastry_testkit::{Body, TestClient};
use pastry_urlmap::UrlMap;
use tower::buffer::Buffer;
use tower::{Service, ServiceExt};

/// A generous guard so a deadlock fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(20);

#[tokio::test]
async fn buffered_apps_do_not_deadlock_when_map_clones_hold_readiness() {
    let a = Buffer::new(echo("a"), 1);
    let b = Buffer::new(echo("b"), 1);
    let map = UrlMap::builder()
        .mount("/a", a)
        .mount("/b", b)
        .build()
        .unwrap();

    // Clones that were polled ready but never called: with a map that
    // reserved a Buffer slot in poll_ready, these would starve everyone.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut clone = map.clone();
        clone.ready().await.unwrap();
        held.push(clone);
    }

    let client = TestClient::new(map);
    let requests = async {
        for i in 0..20 {
            client
                .get(format!("/a/{i}"))
                .await
                .assert_text_contains("a script=/a ");
            client
                .get(format!("/b/{i}"))
                .await
                .assert_text_contains("b script=/b ");
        }
    };
    tokio::time::timeout(GUARD, requests)
        .await
        .expect("requests through buffered apps completed");
    drop(held);
}

#[tokio::test]
async fn concurrent_requests_through_a_shared_buffer_all_complete() {
    let shared = Buffer::new(echo("shared"), 1);
    let map = UrlMap::builder()
        .mount("/x", shared.clone())
        .mount("/y", shared)
        .build()
        .unwrap();
    let client = TestClient::new(map);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let client = client.clone();
        let path = if i % 2 == 0 { "/x/p" } else { "/y/p" };
        tasks.push(tokio::spawn(async move { client.get(path).await.text() }));
    }
    let all = async {
        for task in tasks {
            assert!(task.await.unwrap().starts_with("shared "));
        }
    };
    tokio::time::timeout(GUARD, all)
        .await
        .expect("all requests completed");
}

/// An app that is not ready until its gate opens.
#[derive(Clone, Default)]
struct Gated {
    open: Arc<AtomicBool>,
    waiting: Arc<Mutex<Vec<Waker>>>,
}

impl Gated {
    fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
        for waker in self.waiting.lock().unwrap().drain(..) {
            waker.wake();
        }
    }
}

impl Service<Request<Body>> for Gated {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        if self.open.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        self.waiting.lock().unwrap().push(cx.waker().clone());
        if self.open.load(Ordering::SeqCst) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn call(&mut self, _req: Request<Body>) -> Self::Future {
        assert!(self.open.load(Ordering::SeqCst), "called before ready");
        ready(Ok(Response::new(String::from("gated"))))
    }
}

#[tokio::test]
async fn map_is_ready_at_once_and_the_call_waits_for_the_app() {
    let gate = Gated::default();
    let mut map = UrlMap::builder()
        .mount("/g", gate.clone())
        .mount("/e", echo("e"))
        .build()
        .unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(map.poll_ready(&mut cx).is_ready());

    let client = TestClient::new(map);
    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.get("/g/x").await.text() }
    });
    // Other mounts are served while the gated app is not ready.
    client
        .get("/e/x")
        .await
        .assert_text_contains("e script=/e ");
    tokio::task::yield_now().await;
    assert!(!pending.is_finished());

    gate.open();
    let text = tokio::time::timeout(GUARD, pending)
        .await
        .expect("gated request completed")
        .unwrap();
    assert_eq!(text, "gated");
}
