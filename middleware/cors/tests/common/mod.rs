//! What the behaviour tests share: an app behind a layer, and requests.

#![allow(dead_code)]

use std::convert::Infallible;

use http::{HeaderMap, Request, Response, StatusCode};
use pastry_cors::CorsLayer;
use tower::{ServiceBuilder, ServiceExt, service_fn};

/// The head of the answer of an app (which says `hello`, with `Vary:
/// Accept-Encoding`, and answers `/boom` with a 500) behind `layer`.
pub async fn call(layer: &CorsLayer, req: Request<String>) -> (StatusCode, HeaderMap) {
    let app = ServiceBuilder::new()
        .layer(layer.clone())
        .service(service_fn(|req: Request<String>| async move {
            let mut res = Response::new(String::from("hello"));
            res.headers_mut()
                .insert("vary", "accept-encoding".parse().unwrap());
            if req.uri().path() == "/boom" {
                *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            }
            if req.method() == http::Method::OPTIONS {
                res.headers_mut()
                    .insert("allow", "GET, OPTIONS".parse().unwrap());
            }
            Ok::<_, Infallible>(res)
        }));
    let res = app.oneshot(req).await.unwrap();
    (res.status(), res.headers().clone())
}

/// A request with `method`, `path` and `headers`.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request<String> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(String::new()).unwrap()
}

/// A preflight from `origin` for `method` with `headers` requested.
pub fn preflight(origin: &str, method: &str, headers: Option<&str>) -> Request<String> {
    let mut h = vec![
        ("origin", origin),
        ("access-control-request-method", method),
    ];
    if let Some(headers) = headers {
        h.push(("access-control-request-headers", headers));
    }
    request("OPTIONS", "/api", &h)
}

/// Every field of every `Vary` line, lower-cased, in order.
pub fn vary(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|f| f.trim().to_ascii_lowercase())
        .filter(|f| !f.is_empty())
        .collect()
}

/// The value of `name`, if any, as text.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

/// Whether any `Access-Control-*` header is present.
pub fn has_cors_headers(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|name| name.as_str().starts_with("access-control-"))
}
