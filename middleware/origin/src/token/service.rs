//! [`CsrfTokenCheck`]: the service that checks and hands out the token.

use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use pastry_core::{
    App, BoxError, CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, CsrfToken, is_upgrade, text_response,
};
use pastry_sessions::{Session, SessionExt};
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_service::Service;

use super::config::TokenConfig;
use crate::body::{CheckedBody, OriginBody};

/// The service made by [`CsrfTokenLayer`](crate::CsrfTokenLayer): checks
/// the token of unsafe requests, hands every request the session's
/// [`CsrfToken`], and stores a fresh token the app used.
#[derive(Clone, Debug)]
pub struct CsrfTokenCheck<S> {
    inner: S,
    config: Arc<TokenConfig>,
}

impl<S> CsrfTokenCheck<S> {
    pub(crate) fn new(inner: S, config: Arc<TokenConfig>) -> Self {
        Self { inner, config }
    }

    pastry_core::inner_accessors!(S);
}

type Refusal = Response<Bytes>;

impl<S, B> Service<Request<B>> for CsrfTokenCheck<S>
where
    S: App<CheckedBody<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::ResBody: Send,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<OriginBody<S::ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let Some(session) = req.session().cloned() else {
                return Ok(no_session(&req).map(OriginBody::own));
            };
            let (mut req, issued) = match check(&config, &session, req).await {
                Ok(checked) => checked,
                Err(refusal) => return Ok(refusal.map(OriginBody::own)),
            };
            req.extensions_mut().insert(issued.token.clone());
            // A login during the request gives the session a new id and
            // drops its token: a token made before must not come back.
            let id = session.id();
            let response = inner.call(req).await?;
            if issued.fresh
                && issued.token.is_used()
                && session.id() == id
                && let Err(err) = session.insert(CSRF_SESSION_KEY, issued.token.value()).await
            {
                tracing::error!(target: "pastry_origin", error = %err, "storing the CSRF token failed");
            }
            Ok(response.map(OriginBody::inner))
        })
    }
}

/// The token handed to the app, and whether it is new (not yet stored).
struct Issued {
    token: CsrfToken,
    fresh: bool,
}

/// Checks `req` against the session's token when its method is unsafe and
/// its path not exempt; gives back the request (its body whole) and the
/// token for the app.
async fn check<B>(
    config: &TokenConfig,
    session: &Session,
    req: Request<B>,
) -> Result<(Request<CheckedBody<B>>, Issued), Refusal>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let stored: Option<String> = match session.get(CSRF_SESSION_KEY).await {
        Ok(stored) => stored,
        Err(err) => {
            tracing::error!(target: "pastry_origin", error = %err, "reading the CSRF token from the session failed");
            return Err(text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error\n",
            ));
        }
    };
    // Upgrades (an HTTP/2 WebSocket is a `CONNECT`) cannot carry a token
    // (a browser's WebSocket sets no headers of the page's choosing):
    // `CrossOriginLayer` checks their `Origin` instead.
    let must_check = !is_safe(req.method())
        && !is_upgrade(req.method(), req.headers())
        && !config.exempt.contains(req.uri().path());
    let req = if must_check {
        let Some(expected) = stored.as_deref() else {
            return Err(refused(&req, "no token in the session"));
        };
        submitted_and_checked(config, expected, req).await?
    } else {
        req.map(CheckedBody::inner)
    };
    let issued = match stored {
        Some(token) => Issued {
            token: CsrfToken::new(token),
            fresh: false,
        },
        None => Issued {
            token: CsrfToken::new(random_token()),
            fresh: true,
        },
    };
    Ok((req, issued))
}

/// Finds the token the client sent (header first, then the form field)
/// and compares it with `expected` in constant time.
async fn submitted_and_checked<B>(
    config: &TokenConfig,
    expected: &str,
    req: Request<B>,
) -> Result<Request<CheckedBody<B>>, Refusal>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if let Some(sent) = req.headers().get(CSRF_HEADER) {
        return if same(expected, sent.as_bytes()) {
            Ok(req.map(CheckedBody::inner))
        } else {
            Err(refused(&req, "wrong token in the header"))
        };
    }
    if !is_form(req.headers()) {
        return Err(refused(&req, "no token: neither header nor form"));
    }
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, config.max_form).collect().await {
        Ok(body) => body.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            return Err(text_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "413 Payload Too Large: form too large to check its CSRF token\n",
            ));
        }
        Err(_) => return Err(text_response(StatusCode::BAD_REQUEST, "400 Bad Request\n")),
    };
    let sent = form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == CSRF_FIELD)
        .map(|(_, value)| value);
    let req = Request::from_parts(parts, CheckedBody::own(bytes.clone()));
    match sent {
        Some(sent) if same(expected, sent.as_bytes()) => Ok(req),
        Some(_) => Err(refused(&req, "wrong token in the form")),
        None => Err(refused(&req, "no token in the form")),
    }
}

fn same(expected: &str, sent: &[u8]) -> bool {
    bool::from(expected.as_bytes().ct_eq(sent))
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// 32 random bytes from the thread's CSPRNG (seeded by the operating
/// system), base64url without padding: 43 characters.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn refused<B>(req: &Request<B>, reason: &'static str) -> Refusal {
    tracing::info!(
        target: "pastry_origin",
        method = %req.method(),
        path = %req.uri().path(),
        reason,
        "request without a valid CSRF token refused"
    );
    text_response(
        StatusCode::FORBIDDEN,
        "403 Forbidden: CSRF token missing or wrong; reload the page and try again\n",
    )
}

fn no_session<B>(req: &Request<B>) -> Refusal {
    tracing::error!(
        target: "pastry_origin",
        method = %req.method(),
        path = %req.uri().path(),
        fix = "ServiceBuilder::new().layer(SessionLayer::new(store)).layer(CsrfTokenLayer::new())",
        "CsrfTokenLayer found no session on the request: it needs SessionLayer outside it"
    );
    text_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "500 Internal Server Error\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(a, random_token());
    }

    #[test]
    fn comparison_needs_the_whole_token() {
        assert!(same("abc", b"abc"));
        assert!(!same("abc", b"ab"));
        assert!(!same("abc", b"abcd"));
        assert!(!same("", b"x"));
    }
}
