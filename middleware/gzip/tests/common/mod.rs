//! Apps the behaviour tests wrap.
#![allow(dead_code)]

pub mod codecs;

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use pastry_testkit::Body;
use tower::{Service, service_fn};

/// A compressible page bigger than the default `min_size`.
pub fn page() -> String {
    (0..200)
        .map(|i| format!("<li>item number {i}</li>\n"))
        .collect()
}

/// What the app answers: status, headers and a whole body.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Answer {
    pub fn html() -> Self {
        Answer::new("text/html; charset=utf-8", page())
    }

    pub fn new(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Answer {
            status: 200,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
        }
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn respond(&self) -> Response<Full<Bytes>> {
        let mut res = Response::new(Full::new(self.body.clone()));
        *res.status_mut() = StatusCode::from_u16(self.status).unwrap();
        for (name, value) in &self.headers {
            res.headers_mut()
                .append(*name, HeaderValue::from_str(value).unwrap());
        }
        res
    }
}

/// An app answering every request with `answer` (a HEAD gets the same head
/// and no body, as a conforming app does).
pub fn app(
    answer: Answer,
) -> impl Service<Request<Body>, Response = Response<Full<Bytes>>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    service_fn(move |req: Request<Body>| {
        let mut res = answer.respond();
        if req.method() == http::Method::HEAD {
            let len = answer.body.len();
            *res.body_mut() = Full::new(Bytes::new());
            res.headers_mut()
                .insert("content-length", HeaderValue::from(len));
        }
        std::future::ready(Ok(res))
    })
}

/// A layer offering every coding this build has (gzip, and br and zstd
/// when their features are on).
pub fn every_coding() -> pastry_gzip::GzipLayer {
    let layer = pastry_gzip::GzipLayer::new();
    #[cfg(feature = "br")]
    let layer = layer.br(true);
    #[cfg(feature = "zstd")]
    let layer = layer.zstd(true);
    layer
}
