//! Apps shared by the behaviour tests.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::{Ready, ready};

use http::{Request, Response, StatusCode};
use pastry_core::Environ;
use pastry_testkit::Body;
use tower::service_fn;
use tower::util::ServiceFn;

/// The future of the test apps: an answer at once.
pub type Answer = Ready<Result<Response<String>, Infallible>>;

/// An app answering with what it saw, on one line:
/// `name script=… path=… uri=… original=…`.
pub fn echo(
    name: &'static str,
) -> ServiceFn<impl Fn(Request<Body>) -> Answer + Clone + Send + Sync + 'static> {
    service_fn(move |req: Request<Body>| ready(Ok(Response::new(seen(name, &req)))))
}

/// What `echo` answers for `req`.
pub fn seen<B>(name: &str, req: &Request<B>) -> String {
    format!(
        "{name} script={} path={} uri={} original={}",
        req.script_name(),
        req.path_info(),
        req.uri(),
        req.original_uri()
    )
}

/// An app that answers `403` unless the request carries `x-admin: yes`,
/// then `admin secret` and the path it saw.
pub fn guarded_admin() -> ServiceFn<impl Fn(Request<Body>) -> Answer + Clone + Send + Sync + 'static>
{
    service_fn(|req: Request<Body>| {
        let allowed = req.headers().get("x-admin").is_some_and(|v| v == "yes");
        let res = if allowed {
            Response::new(format!("admin secret {}", req.path_info()))
        } else {
            let mut res = Response::new(String::from("forbidden"));
            *res.status_mut() = StatusCode::FORBIDDEN;
            res
        };
        ready(Ok(res))
    })
}
