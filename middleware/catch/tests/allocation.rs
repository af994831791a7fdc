//! The happy path allocates nothing beyond what the wrapped service does.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri};
use http_body::Body;
use http_body_util::Full;
use pastry_catch::CatchLayer;
use tower::{Layer, Service, service_fn};

/// A request as a server hands it over: its bytes already shared (static
/// here), so cloning them allocates nothing.
fn request() -> Request<()> {
    Request::get(Uri::from_static("/posts/42?page=2"))
        .header("accept", HeaderValue::from_static("text/html,*/*;q=0.8"))
        .header("user-agent", HeaderValue::from_static("probe/1.0"))
        .body(())
        .unwrap()
}

/// Calls `svc` once and reads the whole body, without a runtime; returns
/// how many allocations that made on this thread.
fn count<S, B>(mut svc: S) -> u64
where
    S: Service<Request<()>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    let req = request();
    let mut bytes = 0;
    let info = allocation_counter::measure(|| {
        assert!(svc.poll_ready(&mut cx).is_ready());
        let future = pin!(svc.call(req));
        let Poll::Ready(res) = future.poll(&mut cx) else {
            panic!("the test app answers at once");
        };
        let mut body = pin!(res.unwrap().into_body());
        while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
            bytes += frame.unwrap().into_data().map_or(0, |data| data.len());
        }
    });
    assert_eq!(bytes, 5);
    info.count_total
}

fn app() -> impl Service<Request<()>, Response = Response<Full<Bytes>>, Error = Infallible> {
    service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"hello"))))
    })
}

#[test]
fn happy_path_allocates_no_more_than_the_bare_service() {
    let bare = count(app());
    let caught = count(CatchLayer::new().layer(app()));
    assert_eq!(caught, bare, "pastry-catch allocated on the happy path");
    assert_eq!(bare, 0, "the bare app allocates nothing either");
}

#[test]
fn debug_mode_pays_for_its_copy_of_the_headers() {
    let bare = count(app());
    let debug = count(CatchLayer::new().debug(true).layer(app()));
    assert!(debug > bare, "the header map is cloned for the debug page");
}
