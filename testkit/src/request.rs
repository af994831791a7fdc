//! `RequestBuilder`: one synthetic request, sent by awaiting it.

use std::fmt;
use std::future::IntoFuture;
use std::net::SocketAddr;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Extensions, HeaderMap, Method, Request, StatusCode, Version};
use pastry_core::{ClientAddr, RemoteUser, ScriptName, UrlScheme};
use serde::Serialize;

use crate::error::TestError;
use crate::jar::merge_cookie_header;
use crate::response::{Expect, IntoStatus, describe_cookie_notes};
use crate::target::Target;
use crate::{Body, Multipart, TestClient, TestFuture, TestResponse, TestStream};

/// How many redirects `.follow_redirects()` follows before giving up.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// One request being built; `.await` it (or call
/// [`send_blocking`](RequestBuilder::send_blocking)) to get a
/// [`TestResponse`].
///
/// Setters panic on values that cannot be sent at all (an invalid header
/// name, say): a test that builds such a request is itself wrong.
///
/// ```
/// use std::convert::Infallible;
/// use http::Response;
/// use http_body_util::BodyExt;
/// use pastry_testkit::{Body, TestClient};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let echo = tower::service_fn(|req: http::Request<Body>| async move {
///     let ct = req.headers()[http::header::CONTENT_TYPE].to_str().unwrap().to_owned();
///     let body = req.into_body().collect().await.unwrap().to_bytes();
///     Ok::<_, Infallible>(Response::new(format!("{ct} {}", String::from_utf8_lossy(&body))))
/// });
/// let client = TestClient::new(echo);
/// let res = client.post("/login").form(&[("user", "a b"), ("pw", "&")]).await;
/// assert_eq!(res.text(), "application/x-www-form-urlencoded user=a+b&pw=%26");
/// # }
/// ```
#[must_use = "a request does nothing until awaited or sent"]
pub struct RequestBuilder {
    client: TestClient,
    method: Method,
    uri: String,
    query: String,
    headers: HeaderMap,
    content_type: Option<HeaderValue>,
    body: Option<(Vec<Bytes>, bool)>,
    trailers: Option<HeaderMap>,
    extensions: Extensions,
    scheme: Option<UrlScheme>,
    version: Version,
    expect: Expect,
    max_redirects: Option<usize>,
}

impl RequestBuilder {
    pub(crate) fn new(client: TestClient, method: Method, uri: String) -> Self {
        Self {
            client,
            method,
            uri,
            query: String::new(),
            headers: HeaderMap::new(),
            content_type: None,
            body: None,
            trailers: None,
            extensions: Extensions::new(),
            scheme: None,
            version: Version::HTTP_11,
            expect: Expect::Success,
            max_redirects: None,
        }
    }

    /// Adds a header (repeating a name adds another value).
    ///
    /// # Panics
    /// If the name or value is not valid in HTTP.
    #[track_caller]
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Debug,
    {
        let name = match name.try_into() {
            Ok(name) => name,
            Err(e) => panic!("invalid header name: {e:?}"),
        };
        let value = match value.try_into() {
            Ok(value) => value,
            Err(e) => panic!("invalid value for header {name}: {e:?}"),
        };
        self.headers.append(name, value);
        self
    }

    /// Appends URL-encoded query pairs to the URI.
    ///
    /// ```
    /// # use pastry_testkit::{Body, TestClient};
    /// # let app = tower::service_fn(|req: http::Request<Body>| async move {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(req.uri().to_string()))
    /// # });
    /// let client = TestClient::new(app);
    /// let res = client.get("/search?page=2").query(&[("q", "rust & tea")]).send_blocking();
    /// assert_eq!(res.text(), "/search?page=2&q=rust+%26+tea");
    /// ```
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        let mut ser = form_urlencoded::Serializer::new(std::mem::take(&mut self.query));
        for (k, v) in pairs {
            ser.append_pair(k.as_ref(), v.as_ref());
        }
        self.query = ser.finish();
        self
    }

    /// Sends `pairs` as an `application/x-www-form-urlencoded` body.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k.as_ref(), v.as_ref());
        }
        self.typed_body(
            "application/x-www-form-urlencoded",
            Bytes::from(ser.finish()),
        )
    }

    /// Sends `value` serialised as JSON, with `Content-Type: application/json`.
    ///
    /// # Panics
    /// If `value` cannot be serialised.
    #[track_caller]
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let bytes = match serde_json::to_vec(value) {
            Ok(bytes) => bytes,
            Err(e) => panic!("cannot serialise the JSON body: {e}"),
        };
        self.typed_body("application/json", Bytes::from(bytes))
    }

    /// Sends a `multipart/form-data` body.
    ///
    /// ```
    /// use pastry_testkit::{Multipart, TestClient};
    /// # let app = tower::service_fn(|req: http::Request<pastry_testkit::Body>| async move {
    /// #     let ct = req.headers()["content-type"].to_str().unwrap().to_owned();
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(ct))
    /// # });
    /// let client = TestClient::new(app);
    /// let form = Multipart::new().text("title", "Hi").file("upload", "a.txt", "text/plain", "hello");
    /// let res = client.post("/upload").multipart(form).send_blocking();
    /// assert!(res.text().starts_with("multipart/form-data; boundary="));
    /// ```
    pub fn multipart(self, form: Multipart) -> Self {
        let (content_type, bytes) = form.into_parts();
        self.typed_body(&content_type, bytes)
    }

    fn typed_body(mut self, content_type: &str, bytes: Bytes) -> Self {
        self.content_type = HeaderValue::from_str(content_type).ok();
        self.body = Some((vec![bytes], true));
        self
    }

    /// Sends `bytes` as the body, in one frame, with a `Content-Length`.
    pub fn body(mut self, bytes: impl Into<Bytes>) -> Self {
        self.body = Some((vec![bytes.into()], true));
        self
    }

    /// Sends the body as these chunks, one frame each and without a
    /// `Content-Length`, to exercise streaming.
    pub fn chunks<I, B>(mut self, chunks: I) -> Self
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        self.body = Some((chunks.into_iter().map(Into::into).collect(), false));
        self
    }

    /// Ends the body with these trailers (after `body` or `chunks`).
    ///
    /// ```
    /// use http::HeaderMap;
    /// use http_body_util::BodyExt;
    /// # use pastry_testkit::{Body, TestClient};
    /// let app = tower::service_fn(|req: http::Request<Body>| async move {
    ///     let collected = req.into_body().collect().await.unwrap();
    ///     let sum = collected.trailers().unwrap()["x-sum"].to_str().unwrap().to_owned();
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(sum))
    /// });
    /// let mut trailers = HeaderMap::new();
    /// trailers.insert("x-sum", "42".parse().unwrap());
    /// let res = TestClient::new(app).post("/").chunks(["4", "2"]).trailers(trailers).send_blocking();
    /// assert_eq!(res.text(), "42");
    /// ```
    pub fn trailers(mut self, trailers: HeaderMap) -> Self {
        self.trailers = Some(trailers);
        self
    }

    /// Sends `Authorization: Basic` with these credentials.
    #[track_caller]
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header(header::AUTHORIZATION, format!("Basic {encoded}"))
    }

    /// Sends `Authorization: Bearer <token>`.
    #[track_caller]
    pub fn bearer(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION, format!("Bearer {token}"))
    }

    /// Sets the [`ClientAddr`] extension (`REMOTE_ADDR`); unset by default.
    pub fn client_addr(mut self, addr: SocketAddr) -> Self {
        self.extensions.insert(ClientAddr(addr));
        self
    }

    /// Sets the scheme the request came over (the [`UrlScheme`] extension,
    /// which with the host decides whether `Secure` cookies are sent). By
    /// default it is the absolute URI's scheme, else the client's
    /// [`base_url`](TestClient::base_url) scheme (`http`).
    pub fn scheme(mut self, scheme: UrlScheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// Sets the [`ScriptName`] extension, as a URL map mounting the app at
    /// `prefix` would.
    pub fn script_name(mut self, prefix: &str) -> Self {
        self.extensions.insert(ScriptName::new(prefix));
        self
    }

    /// Sets the [`RemoteUser`] extension, as auth middleware would.
    pub fn remote_user(mut self, name: &str) -> Self {
        self.extensions.insert(RemoteUser::new(name));
        self
    }

    /// Sets the HTTP version the request claims (HTTP/1.1 by default).
    pub fn version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// Inserts any request extension.
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// Expects exactly this status instead of "any 2xx or 3xx".
    ///
    /// ```
    /// # use pastry_testkit::{Body, TestClient};
    /// # let app = tower::service_fn(|_req: http::Request<Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::builder().status(401).body(String::new()).unwrap())
    /// # });
    /// let client = TestClient::new(app);
    /// client.get("/private").expect_status(401).send_blocking();
    /// client.get("/private").expect_status(http::StatusCode::UNAUTHORIZED).send_blocking();
    /// ```
    #[track_caller]
    pub fn expect_status(mut self, status: impl IntoStatus) -> Self {
        self.expect = Expect::Status(status.into_status());
        self
    }

    /// Expects a 4xx or 5xx status (a success now fails the test).
    pub fn expect_failure(mut self) -> Self {
        self.expect = Expect::Failure;
        self
    }

    /// Accepts any status.
    pub fn any_status(mut self) -> Self {
        self.expect = Expect::Any;
        self
    }

    /// Follows redirects (up to [`DEFAULT_MAX_REDIRECTS`]): 301, 302 and 303
    /// become a `GET` without body, 307 and 308 repeat the method and body,
    /// cookies are carried through every hop, and a redirect to another host
    /// fails. The responses before the last are in
    /// [`TestResponse::history`].
    pub fn follow_redirects(self) -> Self {
        self.max_redirects(DEFAULT_MAX_REDIRECTS)
    }

    /// Follows at most `limit` redirects; more fails the test.
    pub fn max_redirects(mut self, limit: usize) -> Self {
        self.max_redirects = Some(limit);
        self
    }

    /// Sends the request, returning errors instead of panicking: an error
    /// from the app or its body, a [`Validate`](crate::Validate) violation,
    /// a refused redirect or an unexpected status.
    pub async fn try_send(self) -> Result<TestResponse, TestError> {
        let mut target = self.target().map_err(TestError::Request)?;
        let mut method = self.method.clone();
        let mut body = self.body.clone();
        let mut history = Vec::new();
        loop {
            let (req, mut cookie_notes) = self.build(&method, &target, body.clone())?;
            let head_method = method.clone();
            let res = self
                .client
                .app
                .call(req, self.client.validate.as_ref())
                .await
                .map_err(TestError::from_app)?;
            let refused = self
                .client
                .jar()
                .store(res.headers(), &target, self.client.now());
            cookie_notes.extend(refused);
            let mut res = TestResponse::collect(res, &head_method, target.to_string()).await?;
            res.cookie_notes = cookie_notes;
            res.client = Some(self.client.clone());
            let location = res.header(header::LOCATION.as_str()).map(str::to_owned);
            match (self.max_redirects, location) {
                (Some(limit), Some(location)) if res.status().is_redirection() => {
                    let next = target.resolve(&location).map_err(TestError::Redirect)?;
                    if next.authority != target.authority {
                        return Err(TestError::Redirect(format!(
                            "refusing to follow a redirect from {target} to another host: {next}"
                        )));
                    }
                    if history.len() >= limit {
                        return Err(TestError::Redirect(format!(
                            "more than {limit} redirects, the last to {next}"
                        )));
                    }
                    match res.status() {
                        StatusCode::MOVED_PERMANENTLY
                        | StatusCode::FOUND
                        | StatusCode::SEE_OTHER => {
                            if method != Method::HEAD {
                                method = Method::GET;
                            }
                            body = None;
                        }
                        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => {}
                        _ => {
                            res.history = history;
                            self.expect.check(&res)?;
                            return Ok(res);
                        }
                    }
                    target = next;
                    history.push(res);
                }
                _ => {
                    res.history = history;
                    self.expect.check(&res)?;
                    return Ok(res);
                }
            }
        }
    }

    /// Sends the request from a plain `#[test]`, on a single-threaded
    /// runtime the client starts on first use and keeps (so tasks the app
    /// spawns live on between requests).
    ///
    /// # Panics
    /// Like `.await`, and also when called from inside an async runtime
    /// (use `.await` there).
    #[track_caller]
    pub fn send_blocking(self) -> TestResponse {
        assert!(
            tokio::runtime::Handle::try_current().is_err(),
            "send_blocking() was called inside an async runtime; use `.await` instead"
        );
        let client = self.client.clone();
        let what = self.what();
        match client.blocking_runtime().block_on(self.try_send()) {
            Ok(res) => res,
            Err(e) => panic!("{what}: {e}"),
        }
    }

    /// Sends the request and returns as soon as the response head arrives;
    /// the body is then read one frame at a time. Redirects are not
    /// followed. The status expectation is checked against the head.
    ///
    /// # Panics
    /// Where it is awaited, like `.await` on the request.
    pub fn stream(self) -> TestFuture<'static, TestStream> {
        TestFuture::new(async move {
            let target = self.target()?;
            let (req, mut cookie_notes) = self
                .build(&self.method, &target, self.body.clone())
                .map_err(|e| format!("{}: {e}", self.what()))?;
            let res = self
                .client
                .app
                .call(req, self.client.validate.as_ref())
                .await
                .map_err(|e| format!("{} {target}: {}", self.method, TestError::from_app(e)))?;
            let refused = self
                .client
                .jar()
                .store(res.headers(), &target, self.client.now());
            cookie_notes.extend(refused);
            let stream = TestStream::new(res, format!("{} {target}", self.method));
            self.expect
                .check_head(stream.status(), stream.headers())
                .map_err(|e| format!("{e}{}", describe_cookie_notes(&cookie_notes)))?;
            Ok(stream)
        })
    }

    /// The request as `.await` would send it first (without a body), where
    /// it goes, and the notes on cookies the jar held back: what a
    /// WebSocket handshake sends.
    pub(crate) fn prepare(&self) -> Result<(Request<Body>, Target, Vec<String>), TestError> {
        let target = self.target().map_err(TestError::Request)?;
        let (req, held_back) = self.build(&self.method, &target, None)?;
        Ok((req, target, held_back))
    }

    /// The client sending this request.
    pub(crate) fn client(&self) -> &TestClient {
        &self.client
    }

    /// The URI as given, for failure messages.
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// `METHOD uri`, for failure messages.
    fn what(&self) -> String {
        format!("{} {}", self.method, self.uri)
    }

    /// Where the request goes: the URI plus query pairs, the scheme set
    /// with `.scheme()`, and for an origin-form URI the host of an explicit
    /// `Host` header (so the cookie jar scopes cookies to it).
    fn target(&self) -> Result<Target, String> {
        let mut target = Target::parse_from(&self.uri, &self.client.base)?;
        target.append_query(&self.query);
        if let Some(scheme) = self.scheme {
            target.scheme = scheme;
        }
        if self.uri.starts_with('/')
            && let Some(host) = self.headers.get(header::HOST).and_then(|h| h.to_str().ok())
        {
            target.authority = host.trim().to_ascii_lowercase();
        }
        Ok(target)
    }

    fn build(
        &self,
        method: &Method,
        target: &Target,
        body: Option<(Vec<Bytes>, bool)>,
    ) -> Result<(Request<Body>, Vec<String>), TestError> {
        let uri: http::Uri = target.path_and_query.parse().map_err(|e| {
            TestError::Request(format!(
                "{:?} is not a valid request target: {e}",
                target.path_and_query
            ))
        })?;
        let has_body = body.is_some();
        let mut body = match body {
            Some((chunks, true)) => Body::full(chunks.into_iter().next().unwrap_or_default()),
            Some((chunks, false)) => Body::chunks(chunks),
            None => Body::empty(),
        };
        if has_body && let Some(trailers) = &self.trailers {
            body = body.with_trailers(trailers.clone());
        }
        let mut req = Request::new(body);
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri;
        *req.version_mut() = self.version;
        let mut headers = self.headers.clone();
        if !headers.contains_key(header::HOST)
            && let Ok(host) = HeaderValue::from_str(&target.authority)
        {
            headers.insert(header::HOST, host);
        }
        if has_body {
            if let Some(ct) = &self.content_type
                && !headers.contains_key(header::CONTENT_TYPE)
            {
                headers.insert(header::CONTENT_TYPE, ct.clone());
            }
        } else {
            headers.remove(header::CONTENT_TYPE);
            headers.remove(header::CONTENT_LENGTH);
        }
        let sends_length = req.body().is_exact()
            && (has_body || matches!(*method, Method::POST | Method::PUT | Method::PATCH));
        if sends_length && !headers.contains_key(header::CONTENT_LENGTH) {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(req.body().len()));
        }
        let (jar_cookies, held_back) = self.client.jar().header_for(target, self.client.now());
        if let Some(cookies) = jar_cookies
            && let Some(value) = merge_cookie_header(headers.get(header::COOKIE), &cookies)
        {
            headers.insert(header::COOKIE, value);
        }
        *req.headers_mut() = headers;
        req.extensions_mut().extend(self.extensions.clone());
        req.extensions_mut().insert(target.scheme);
        Ok((req, held_back))
    }
}

/// `.await` sends the request; a failure panics at the `.await` in the
/// test (see [`TestFuture`]).
impl IntoFuture for RequestBuilder {
    type Output = TestResponse;
    type IntoFuture = TestFuture<'static, TestResponse>;

    fn into_future(self) -> Self::IntoFuture {
        TestFuture::new(async move {
            let what = self.what();
            self.try_send().await.map_err(|e| format!("{what}: {e}"))
        })
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}
