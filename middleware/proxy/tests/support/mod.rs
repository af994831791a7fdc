//! What the app behind the proxy layer sees, as one line.

use std::convert::Infallible;

use http::{Request, Response};
use http_body_util::BodyExt;
use pastry_core::{ClientAddr, Environ};
use pastry_proxy::ProxyLayer;
use tower::{Layer, ServiceExt, service_fn};

/// Sends a request from `peer` (none: no `ClientAddr`) with `headers`
/// through `layer` and returns what the app saw:
/// `client scheme://host script_name url_for(/parrot)`.
pub async fn seen(
    layer: &ProxyLayer,
    peer: Option<&str>,
    uri: &str,
    headers: &[(&str, &str)],
) -> String {
    seen_with(layer, peer, uri, headers, |_| {}).await
}

pub async fn seen_with(
    layer: &ProxyLayer,
    peer: Option<&str>,
    uri: &str,
    headers: &[(&str, &str)],
    edit: impl FnOnce(&mut Request<String>),
) -> String {
    let app = layer.layer(service_fn(|req: Request<String>| async move {
        let client = req
            .client_addr()
            .map_or("-".to_owned(), |a| a.ip().to_string());
        let host = req
            .headers()
            .get_all("host")
            .iter()
            .map(|h| h.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("|");
        let authority = req.uri().authority().map_or("", |a| a.as_str()).to_owned();
        let mut line = format!(
            "{client} {}://{host}{} {}",
            req.url_scheme(),
            req.script_name(),
            req.url_for("/parrot")
        );
        if !authority.is_empty() {
            line.push_str(&format!(" uri={}", req.uri()));
        }
        Ok::<_, Infallible>(Response::new(line))
    }));
    let mut builder = Request::get(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut req = builder.body(String::new()).unwrap();
    if let Some(peer) = peer {
        let addr = match peer.parse() {
            Ok(addr) => addr,
            Err(_) => std::net::SocketAddr::new(peer.parse().unwrap(), 50000),
        };
        req.extensions_mut().insert(ClientAddr(addr));
    }
    edit(&mut req);
    let res = app.oneshot(req).await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}
