//! The access log in a whole stack: behind the proxy layer it writes the
//! client's address, not the proxy's; outside catch it writes the error id
//! catch gave a failure; outside gzip it counts the bytes actually sent.

#![cfg(all(
    feature = "accesslog",
    feature = "proxy",
    feature = "catch",
    feature = "gzip"
))]

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use pastry::ClientAddr;
use pastry::accesslog::{AccessLogLayer, Format};
use pastry::catch::CatchLayer;
use pastry::gzip::GzipLayer;
use pastry::proxy::ProxyLayer;
use tower::{ServiceBuilder, ServiceExt, service_fn};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

fn stack(
    lines: &Lines,
) -> impl tower::Service<
    Request<String>,
    Response = Response<impl http_body::Body<Data = Bytes, Error: std::fmt::Debug>>,
    Error = Infallible,
> + Clone {
    ServiceBuilder::new()
        .layer(ProxyLayer::builder().trust("127.0.0.1").build().unwrap())
        .layer(
            AccessLogLayer::new()
                .format(Format::Detailed)
                .writer(lines.clone()),
        )
        .layer(CatchLayer::new())
        .layer(GzipLayer::new())
        .service(service_fn(|req: Request<String>| async move {
            if req.uri().path() == "/boom" {
                panic!("the password is hunter2");
            }
            let page = "<p>static-ish page</p>\n".repeat(100);
            Ok::<_, Infallible>(
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/html")
                    .body(Full::<Bytes>::from(page))
                    .unwrap(),
            )
        }))
}

fn via_proxy(path: &str) -> Request<String> {
    let mut req = Request::get(path)
        .header("x-forwarded-for", "203.0.113.7")
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::COOKIE, "session=sessval")
        .body(String::new())
        .unwrap();
    req.extensions_mut()
        .insert(ClientAddr("127.0.0.1:41000".parse().unwrap()));
    req
}

#[tokio::test]
async fn the_line_has_the_forwarded_client_and_the_compressed_size() {
    let lines = Lines::default();
    let res = stack(&lines).oneshot(via_proxy("/page")).await.unwrap();
    let sent = res.into_body().collect().await.unwrap().to_bytes().len();
    let line = lines.take();
    assert!(line.starts_with("203.0.113.7 - - ["), "{line}");
    assert!(
        line.contains(&format!("\"GET /page HTTP/1.1\" 200 {sent} ")),
        "{line}"
    );
    assert!(sent < 2300, "the body was not compressed: {sent}");
    assert!(!line.contains("sessval"), "{line}");
}

#[tokio::test]
async fn a_caught_panic_is_logged_with_its_error_id() {
    let lines = Lines::default();
    let res = stack(&lines).oneshot(via_proxy("/boom")).await.unwrap();
    assert_eq!(res.status(), 500);
    let id = res.headers()["x-error-id"].to_str().unwrap().to_owned();
    res.into_body().collect().await.unwrap();
    let line = lines.take();
    assert!(line.starts_with("203.0.113.7 "), "{line}");
    assert!(line.contains("\" 500 "), "{line}");
    assert!(
        line.trim_end().ends_with(&format!(" {id}")),
        "{line} lacks {id}"
    );
    assert!(!line.contains("hunter2"), "{line}");
}
