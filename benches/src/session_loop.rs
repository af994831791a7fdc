//! The load + modify + save loop the session benches share
//! (`sessions.rs`, `server_sessions.rs`, `cookie_sessions.rs`): a handler
//! per side that bumps a counter in the session, and a driver that runs
//! request loops, each on a session of its own.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Empty, Full};
use pastry_sessions::{SessionError, SessionExt};
use tower::{Service, ServiceExt};

/// The request every session bench sends.
pub type Req = Request<Empty<Bytes>>;

/// The Pastry handler: reads the session's counter and writes it back
/// incremented.
pub async fn pastry_handler(req: Req) -> Result<Response<Full<Bytes>>, SessionError> {
    let session = req.session().expect("SessionLayer");
    let count: u64 = session.get("count").await?.unwrap_or(0);
    session.insert("count", &(count + 1)).await?;
    Ok(Response::new(Full::from(count.to_string())))
}

/// The same through tower-sessions' `Session`.
pub async fn peer_handler(req: Req) -> Result<Response<Full<Bytes>>, Infallible> {
    let session = req
        .extensions()
        .get::<tower_sessions::Session>()
        .cloned()
        .expect("SessionManagerLayer");
    let count: u64 = session.get("count").await.expect("peer load").unwrap_or(0);
    session.insert("count", count + 1).await.expect("peer save");
    Ok(Response::new(Full::from(count.to_string())))
}

/// A GET with the session cookie, if any.
pub fn request(cookie: Option<&HeaderValue>) -> Req {
    let mut req = Request::get("/").body(Empty::new()).expect("request");
    if let Some(cookie) = cookie {
        req.headers_mut().insert(COOKIE, cookie.clone());
    }
    req
}

/// Sends one request; returns the `name=value` of any cookie it set.
pub async fn call<S, B>(svc: &S, cookie: Option<&HeaderValue>) -> Option<HeaderValue>
where
    S: Service<Req, Response = Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let res = svc
        .clone()
        .oneshot(request(cookie))
        .await
        .expect("response");
    assert!(res.status().is_success(), "status {}", res.status());
    let set = res.headers().get(SET_COOKIE).map(|v| {
        let text = v.to_str().expect("ascii cookie");
        HeaderValue::from_str(text.split(';').next().unwrap_or("")).expect("cookie pair")
    });
    black_box(res.into_body().collect().await.expect("body").to_bytes());
    set
}

/// Runs `threads` request loops of `iters` requests each, every loop on a
/// session of its own, and returns the wall time.
pub fn run<S, B>(rt: &tokio::runtime::Runtime, svc: &S, threads: usize, iters: u64) -> Duration
where
    S: Service<Req, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes> + Send,
    B::Error: std::fmt::Debug,
{
    rt.block_on(async {
        let mut cookies = Vec::new();
        for _ in 0..threads {
            cookies.push(call(svc, None).await.expect("first request sets a cookie"));
        }
        let start = Instant::now();
        let loops: Vec<_> = cookies
            .into_iter()
            .map(|cookie| {
                let svc = svc.clone();
                tokio::spawn(async move {
                    for _ in 0..iters {
                        call(&svc, Some(&cookie)).await;
                    }
                })
            })
            .collect();
        for task in loops {
            task.await.expect("request loop");
        }
        start.elapsed()
    })
}
