//! [`BearerAuthLayer`]: `Authorization: Bearer` API tokens.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use pastry_core::{App, Clock, Environ, RemoteUser, SystemClock, text_response};
use tower_layer::Layer;
use tower_service::Service;

use super::{TokenDigest, TokenStore};
use crate::body::{AuthBody, refusal};
use crate::future::ResponseFuture;
use crate::throttle::{Refusal, Throttle, ThrottleConfig};
use crate::{AuthError, Authenticator};

/// The throttle's name for failed token attempts: they are counted per
/// client address (IPv6 by /64), never per account, since a wrong token
/// names no account. No user name can have a NUL.
const BEARER: &str = "\0bearer";

/// Authenticates requests that carry `Authorization: Bearer <token>`
/// against a [`TokenStore`]: a known, unexpired token sets
/// [`RemoteUser`] to the token's user and [`Roles`](crate::Roles) to the
/// token's roles, as the password paths do, so `RequireLogin` and
/// `RequireRole` treat both alike.
///
/// - No `Bearer` credentials: the request passes on anonymous, so the
///   layer stacks with a login form or Basic auth on the same routes.
/// - A wrong, revoked or expired token: 401 with
///   `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750), never
///   passed on; the failure counts against the client address in the
///   throttle (see [`share_throttle`](BearerAuthLayer::share_throttle));
///   after too many the address gets 429 with `Retry-After`.
/// - The token is never logged; the token's name is, at debug level.
///
/// ```
/// use http::{Request, Response};
/// use pastry_auth::{BearerAuthLayer, MemoryTokenStore};
/// use pastry_core::Environ;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let tokens = MemoryTokenStore::new();
/// let secret = tokens.create("ci", "alice", ["deploy"], None).unwrap();
/// let app = BearerAuthLayer::new(tokens).layer(service_fn(|req: Request<String>| async move {
///     let who = req.remote_user().unwrap_or("anonymous").to_owned();
///     Ok::<_, std::convert::Infallible>(Response::new(who))
/// }));
///
/// let req = Request::get("/api")
///     .header("authorization", format!("Bearer {}", secret.expose()))
///     .body(String::new())
///     .unwrap();
/// let res = app.clone().oneshot(req).await.unwrap();
/// assert_eq!(res.status(), 200);
///
/// let forged = Request::get("/api")
///     .header("authorization", "Bearer pst_forged")
///     .body(String::new())
///     .unwrap();
/// assert_eq!(app.oneshot(forged).await.unwrap().status(), 401);
/// # }
/// ```
pub struct BearerAuthLayer<T> {
    tokens: Arc<T>,
    throttle: Arc<Throttle>,
    clock: Arc<dyn Clock>,
}

impl<T> Clone for BearerAuthLayer<T> {
    fn clone(&self) -> Self {
        Self {
            tokens: Arc::clone(&self.tokens),
            throttle: Arc::clone(&self.throttle),
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<T> fmt::Debug for BearerAuthLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuthLayer").finish_non_exhaustive()
    }
}

impl<T: TokenStore> BearerAuthLayer<T> {
    /// Checks bearer tokens against `tokens`, with a throttle of its own
    /// (the password paths' defaults: 5 failures from an address lock it
    /// out for 1 s, doubling up to 15 min).
    pub fn new(tokens: T) -> Self {
        Self {
            tokens: Arc::new(tokens),
            throttle: Arc::new(Throttle::new(ThrottleConfig::default())),
            clock: Arc::new(SystemClock),
        }
    }

    /// Counts failed token attempts in `auth`'s throttle, under its lockout
    /// settings, memory bound and clock, so one configuration governs every
    /// way of guessing. Token failures are kept per client address under
    /// a name of their own (a wrong token names no account), so they never
    /// lock a user's password login, nor count toward an account's limit.
    pub fn share_throttle<U: crate::UserStore>(mut self, auth: &Authenticator<U>) -> Self {
        let (throttle, clock) = auth.throttle_and_clock();
        self.throttle = throttle;
        self.clock = clock;
        self
    }

    /// The clock for lockouts (tests use
    /// [`ManualClock`](crate::ManualClock)); expiry is read from the
    /// system time.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

impl<S, T> Layer<S> for BearerAuthLayer<T> {
    type Service = BearerAuth<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuth {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`BearerAuthLayer`].
pub struct BearerAuth<S, T> {
    inner: S,
    layer: BearerAuthLayer<T>,
}

impl<S: Clone, T> Clone for BearerAuth<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, T> fmt::Debug for BearerAuth<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, T> BearerAuth<S, T> {
    pastry_core::inner_accessors!(S);
}

impl<S, T, B> Service<Request<B>> for BearerAuth<S, T>
where
    S: App<B> + Clone,
    T: TokenStore,
    B: Send + 'static,
{
    type Response = Response<AuthBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let digest = match bearer_token(req.headers()) {
            Bearer::Absent => return ResponseFuture::anonymous(self.inner.call(req)),
            Bearer::Malformed => return ResponseFuture::answer(invalid_token()),
            Bearer::Token(token) => TokenDigest::of(token),
        };
        let client = req.client_addr().map(|addr| addr.ip());
        let layer = self.layer.clone();
        ResponseFuture::check_then_call(&mut self.inner, async move {
            layer.check(digest, client).await.map(|token| {
                tracing::debug!(target: "pastry_auth", token = token.name(), user = token.user(), "API token accepted");
                let mut req = req;
                let extensions = req.extensions_mut();
                extensions.insert(RemoteUser::new(token.user()));
                extensions.insert(token.granted_roles().clone());
                extensions.insert(crate::AuthChecked);
                req
            })
        })
    }
}

impl<T: TokenStore> BearerAuthLayer<T> {
    async fn check(
        &self,
        digest: TokenDigest,
        client: Option<IpAddr>,
    ) -> Result<super::ApiToken, Response<Bytes>> {
        let now = self.clock.instant();
        if let Some(locked) = self.throttle.locked(BEARER, client, now) {
            let retry_after = match locked {
                Refusal::Lockout(d) | Refusal::Account(d) => d,
            };
            tracing::info!(target: "pastry_auth", ?client, "API token refused: locked out");
            return Err(refusal(&AuthError::LockedOut { retry_after }));
        }
        let found = match self.tokens.find(&digest).await {
            Ok(found) => found,
            Err(e) => return Err(refusal(&e)),
        };
        match found {
            Some(token) if !token.is_expired(SystemTime::now()) => {
                self.throttle.succeed(BEARER, client);
                Ok(token)
            }
            Some(token) => {
                tracing::info!(target: "pastry_auth", token = token.name(), ?client, "API token refused: expired");
                self.throttle.fail_address(BEARER, client, now);
                Err(invalid_token())
            }
            None => {
                tracing::info!(target: "pastry_auth", ?client, "API token refused: unknown or revoked");
                self.throttle.fail_address(BEARER, client, now);
                Err(invalid_token())
            }
        }
    }
}

enum Bearer<'a> {
    Absent,
    Malformed,
    Token(&'a str),
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1: the
/// scheme is case-insensitive, the token is b64token characters). Other
/// schemes count as absent, so Basic auth can sit beside this layer.
fn bearer_token(headers: &HeaderMap) -> Bearer<'_> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Bearer::Absent;
    };
    let bytes = value.as_bytes();
    let (scheme, rest) = match bytes.iter().position(|&b| b == b' ') {
        Some(space) => (&bytes[..space], &bytes[space + 1..]),
        None => (bytes, &b""[..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Bearer::Absent;
    }
    let b64token = |b: &u8| b.is_ascii_alphanumeric() || b"-._~+/".contains(b);
    let token = rest.trim_ascii_start();
    let body = token.strip_suffix(b"=").unwrap_or(token);
    let body = body.strip_suffix(b"=").unwrap_or(body);
    let well_formed = !body.is_empty()
        && token.len() <= MAX_TOKEN_LEN
        && body.iter().all(b64token)
        && token[body.len()..].iter().all(|&b| b == b'=');
    match std::str::from_utf8(token) {
        Ok(token) if well_formed && values.next().is_none() => Bearer::Token(token),
        _ => Bearer::Malformed,
    }
}

/// The longest token accepted; Pastry's are 47 bytes.
const MAX_TOKEN_LEN: usize = 512;

fn invalid_token() -> Response<Bytes> {
    let mut response = text_response(
        StatusCode::UNAUTHORIZED,
        "401 Unauthorized: invalid token\n",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}
