//! The page the whole-stack benches serve and the in-process client both
//! stacks are driven with. Nothing here names a Pastry crate, so the peers'
//! own workspace (`benches/peers`) includes this file as it is.

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{BodyExt, Empty};
use tower::{Service, ServiceExt};

/// The error both stacks' failures are boxed into.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The user every whole-stack bench logs in as.
pub const USER: &str = "alice";

/// The mounted path the whole-stack benches ask for (the last of the ten
/// mounts), and the one that logs in.
pub const PAGE_PATH: &str = "/app9/page";
/// The path that logs [`USER`] in and starts the session.
pub const LOGIN_PATH: &str = "/app9/login";

/// About 2 KiB of HTML, the page every whole-stack bench answers.
pub fn page(user: &str, visits: u64) -> String {
    let mut html = String::with_capacity(2300);
    html.push_str("<!doctype html><html><head><title>Pastry bench</title></head><body>");
    html.push_str("<h1>Hello, ");
    html.push_str(user);
    html.push_str("</h1><p>Visits: ");
    html.push_str(&visits.to_string());
    html.push_str("</p><ul>");
    let mut i = 0;
    while html.len() < 2000 {
        html.push_str("<li><a href=\"/item/");
        html.push_str(&i.to_string());
        html.push_str("\">Item number ");
        html.push_str(&i.to_string());
        html.push_str(" of the catalogue</a></li>");
        i += 1;
    }
    html.push_str("</ul></body></html>");
    html
}

/// The mount prefixes of the whole-stack URL map: ten apps, the bench hits
/// the last one.
pub fn mount_prefixes() -> Vec<String> {
    (0..10).map(|i| format!("/app{i}")).collect()
}

/// A browser-like GET of `path` accepting gzip, with the session cookie if
/// there is one.
pub fn get(path: &str, cookie: Option<&str>) -> Request<Empty<Bytes>> {
    let mut req = Request::get(path)
        .header(header::HOST, "bench.local")
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_ENCODING, "gzip, deflate");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Empty::new()).expect("static request parts")
}

/// The first `name=value` of the response's `Set-Cookie`, if any.
pub fn set_cookie<B>(res: &Response<B>) -> Option<String> {
    let value = res.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    value.split(';').next().map(str::to_owned)
}

/// Calls `service` once and reads the whole body; gives the response head
/// and the number of body bytes.
///
/// # Errors
///
/// When the service or its body fails.
pub async fn call<S, R>(
    service: &S,
    req: Request<Empty<Bytes>>,
) -> Result<(http::response::Parts, usize), BoxError>
where
    S: Service<Request<Empty<Bytes>>, Response = Response<R>> + Clone,
    S::Error: Into<BoxError>,
    R: Body<Data = Bytes>,
    R::Error: Into<BoxError>,
{
    let res = service.clone().oneshot(req).await.map_err(Into::into)?;
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.map_err(Into::into)?.to_bytes();
    Ok((parts, bytes.len()))
}

/// Logs in through [`LOGIN_PATH`] and checks that [`PAGE_PATH`] then answers
/// the gzipped page for [`USER`]; gives the session cookie to send with
/// every request.
///
/// # Errors
///
/// When logging in fails or the page is not what both stacks must answer.
pub async fn log_in<S, R>(service: &S) -> Result<String, BoxError>
where
    S: Service<Request<Empty<Bytes>>, Response = Response<R>> + Clone,
    S::Error: Into<BoxError>,
    R: Body<Data = Bytes>,
    R::Error: Into<BoxError>,
{
    let res = service
        .clone()
        .oneshot(get(LOGIN_PATH, None))
        .await
        .map_err(Into::into)?;
    if res.status() != StatusCode::OK {
        return Err(format!("login answered {}", res.status()).into());
    }
    let cookie = set_cookie(&res).ok_or("login set no cookie")?;
    res.into_body().collect().await.map_err(Into::into)?;
    let res = service
        .clone()
        .oneshot(get(PAGE_PATH, Some(&cookie)))
        .await
        .map_err(Into::into)?;
    let gzip = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    if res.status() != StatusCode::OK || !gzip || res.headers().contains_key(header::SET_COOKIE) {
        return Err(format!("page answered {} {:?}", res.status(), res.headers()).into());
    }
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(Into::into)?
        .to_bytes();
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut html)?;
    if !html.contains("<h1>Hello, alice</h1><p>Visits: 1</p>") {
        return Err("the page does not greet the logged-in user".into());
    }
    Ok(cookie)
}

/// One page request with the session cookie, as measured: the response
/// must be a 200 (the body is read to its end).
///
/// # Errors
///
/// When the service or its body fails, or the status is not 200.
pub async fn hit<S, R>(service: &S, cookie: &str) -> Result<usize, BoxError>
where
    S: Service<Request<Empty<Bytes>>, Response = Response<R>> + Clone,
    S::Error: Into<BoxError>,
    R: Body<Data = Bytes>,
    R::Error: Into<BoxError>,
{
    let (parts, len) = call(service, get(PAGE_PATH, Some(cookie))).await?;
    if parts.status != StatusCode::OK {
        return Err(format!("page answered {}", parts.status).into());
    }
    Ok(len)
}
