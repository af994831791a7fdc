//! The service: resolves the forwarding headers and applies them at once.

use std::task::{Context, Poll};

use http::header::HOST;
use http::uri::{Authority, Scheme};
use http::{HeaderValue, Request, Uri};
use pastry_core::{App, ClientAddr, Environ, OriginalUri, ScriptName, UrlScheme};
use tower_service::Service;

use crate::config::{Config, Malformed, Resolved};
use crate::forwarded::parse_host;

/// A service that applies what trusted proxies say about the client before
/// calling the app it wraps; built by [`ProxyLayer`](crate::ProxyLayer).
///
/// Its response, error and future are the app's own, so it adds nothing to
/// the response path.
#[derive(Clone, Debug)]
pub struct Proxy<S> {
    inner: S,
    config: Config,
}

impl<S> Proxy<S> {
    pub(crate) fn with_config(inner: S, config: Config) -> Self {
        Self { inner, config }
    }

    pastry_core::inner_accessors!(S);
}

impl<S, B> Service<Request<B>> for Proxy<S>
where
    S: App<B>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let peer = req.client_addr();
        match self
            .config
            .resolve(req.headers(), peer)
            .and_then(|resolved| resolved.map(|r| plan(&req, r)).transpose())
        {
            Ok(Some(plan)) => plan.apply(&mut req),
            Ok(None) => {}
            Err(Malformed { header, reason }) => {
                tracing::debug!(
                    target: "pastry_proxy",
                    header,
                    reason,
                    peer = ?peer,
                    method = %req.method(),
                    path = %req.uri().path(),
                    "forwarding headers ignored"
                );
            }
        }
        self.inner.call(req)
    }
}

/// Everything a request changes into, computed before anything changes.
struct Plan {
    client: Option<ClientAddr>,
    scheme: Option<UrlScheme>,
    host: Option<HeaderValue>,
    uri: Option<Uri>,
    script_name: Option<ScriptName>,
    /// The URI as the client sent it to the proxy, the prefix in front,
    /// for what reads [`OriginalUri`] (a login redirect's `next=`).
    original_uri: Option<Uri>,
}

fn plan<B>(req: &Request<B>, resolved: Resolved) -> Result<Plan, Malformed> {
    let bad_host = Malformed {
        header: "host",
        reason: "the forwarded host and port make no valid authority",
    };
    let scheme = resolved.scheme.unwrap_or_else(|| req.url_scheme());
    let mut host = None;
    if resolved.host.is_some() || resolved.port.is_some() {
        let current = req
            .headers()
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
        let base = resolved.host.clone().or(current);
        if let Some(base) = base {
            let (name, port) = parse_host(&base).ok_or(bad_host)?;
            let default = match scheme {
                UrlScheme::Http => 80,
                UrlScheme::Https => 443,
            };
            let text = match (resolved.port, port) {
                (Some(forwarded), _) if forwarded == default => name.to_owned(),
                (Some(forwarded), _) => format!("{name}:{forwarded}"),
                (None, Some(port)) => format!("{name}:{port}"),
                (None, None) => name.to_owned(),
            };
            host = Some(text);
        }
    }
    let uri = if req.uri().authority().is_some() && (host.is_some() || resolved.scheme.is_some()) {
        let mut parts = req.uri().clone().into_parts();
        if let Some(host) = &host {
            parts.authority = Some(Authority::try_from(host.as_str()).map_err(|_| bad_host)?);
        }
        if resolved.scheme.is_some() {
            parts.scheme = Some(match scheme {
                UrlScheme::Http => Scheme::HTTP,
                UrlScheme::Https => Scheme::HTTPS,
            });
        }
        Some(Uri::from_parts(parts).map_err(|_| bad_host)?)
    } else {
        None
    };
    let host = host
        .map(|h| HeaderValue::try_from(h).map_err(|_| bad_host))
        .transpose()?;
    let outer = resolved.prefix.map(|prefix| ScriptName::new(&prefix));
    let original_uri = outer
        .as_ref()
        .and_then(|outer| prefixed_original_uri(req, outer.as_str()));
    let script_name = outer.map(|outer| match req.extensions().get::<ScriptName>() {
        Some(inner) => outer.join(inner.as_str()),
        None => outer,
    });
    Ok(Plan {
        client: resolved.client.map(ClientAddr),
        scheme: resolved.scheme,
        host,
        uri,
        script_name,
        original_uri,
    })
}

/// The request's original URI with `prefix` in front of its path: what the
/// client asked the proxy for. `None` for an empty prefix, or a URI with
/// no path to prefix (`*`, authority-form).
fn prefixed_original_uri<B>(req: &Request<B>, prefix: &str) -> Option<Uri> {
    let original = req.original_uri();
    let path_and_query = original.path_and_query()?;
    if prefix.is_empty() || !path_and_query.as_str().starts_with('/') {
        return None;
    }
    let mut parts = original.clone().into_parts();
    parts.path_and_query = Some(format!("{prefix}{path_and_query}").parse().ok()?);
    Uri::from_parts(parts).ok()
}

impl Plan {
    fn apply<B>(self, req: &mut Request<B>) {
        if let Some(uri) = self.uri {
            *req.uri_mut() = uri;
        }
        if let Some(host) = self.host {
            req.headers_mut().insert(HOST, host);
        }
        let extensions = req.extensions_mut();
        if let Some(client) = self.client {
            extensions.insert(client);
        }
        if let Some(scheme) = self.scheme {
            extensions.insert(scheme);
        }
        if let Some(script_name) = self.script_name {
            extensions.insert(script_name);
        }
        if let Some(original_uri) = self.original_uri {
            extensions.insert(OriginalUri(original_uri));
        }
    }
}
