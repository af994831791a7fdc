//! `TestClient`: calls an app in-process.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, Request, Response};
use pastry_core::BoxError;
use tower::Service;

use crate::app::{App, Holder};
use crate::jar::CookieJar;
use crate::target::Base;
use crate::validate::ValidateLayer;
use crate::{Body, RequestBuilder, WebSocketBuilder};

/// Calls any conforming app directly, without a server: builds synthetic
/// requests, keeps a cookie jar across them and, unless made
/// [`lenient`](TestClient::lenient), checks every response with
/// [`Validate`](crate::Validate).
///
/// The app is any `tower::Service<Request<pastry_testkit::Body>>` answering
/// `Response<R>` with `R: http_body::Body<Data = Bytes>`; each request is
/// sent to a fresh clone of it, as a server does per connection. Cloning a
/// `TestClient` is cheap and the clones share the app and the cookie jar.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use pastry_testkit::{Body, TestClient};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = tower::service_fn(|req: Request<Body>| async move {
///     let host = req.headers()["host"].to_str().unwrap().to_owned();
///     Ok::<_, Infallible>(Response::new(format!("{} on {host}", req.uri())))
/// });
/// let client = TestClient::new(app);
/// assert_eq!(client.get("/a?b=c").await.text(), "/a?b=c on localhost");
/// assert_eq!(client.get("http://api.example.com/x").await.text(), "/x on api.example.com");
/// # }
/// ```
#[derive(Clone)]
pub struct TestClient {
    pub(crate) app: Arc<dyn App>,
    pub(crate) validate: Option<ValidateLayer>,
    pub(crate) jar: Arc<Mutex<CookieJar>>,
    pub(crate) clock: Arc<Mutex<Duration>>,
    pub(crate) runtime: Arc<OnceLock<BlockingRuntime>>,
    pub(crate) base: Base,
}

/// The runtime `send_blocking` runs requests on: one per client (shared by
/// its clones), so tasks the app spawns outlive a single request.
pub(crate) struct BlockingRuntime(Option<tokio::runtime::Runtime>);

impl BlockingRuntime {
    pub(crate) fn get(&self) -> &tokio::runtime::Runtime {
        match &self.0 {
            Some(runtime) => runtime,
            None => unreachable!("the runtime is only taken on drop"),
        }
    }
}

impl Drop for BlockingRuntime {
    /// Dropping a runtime inside an async context would panic; shutting it
    /// down in the background works anywhere.
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl TestClient {
    /// A client calling `app`, with every response checked by
    /// [`Validate`](crate::Validate) using its default settings.
    pub fn new<S, R>(app: S) -> Self
    where
        S: Service<Request<Body>, Response = Response<R>> + Clone + Send + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
        R: http_body::Body<Data = Bytes> + Send + 'static,
        R::Error: Into<BoxError>,
    {
        Self {
            app: Arc::new(Holder(Mutex::new(app))),
            validate: Some(ValidateLayer::new()),
            jar: Arc::new(Mutex::new(CookieJar::default())),
            clock: Arc::new(Mutex::new(Duration::ZERO)),
            runtime: Arc::new(OnceLock::new()),
            base: Base::default(),
        }
    }

    /// This client without the [`Validate`](crate::Validate) checks, to test
    /// how something copes with a non-conforming app.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http::{Response, StatusCode};
    /// use pastry_testkit::{Body, TestClient};
    ///
    /// let broken = tower::service_fn(|_req: http::Request<Body>| async {
    ///     let mut res = Response::new("body on a 204".to_owned());
    ///     *res.status_mut() = StatusCode::NO_CONTENT;
    ///     Ok::<_, Infallible>(res)
    /// });
    /// let res = TestClient::new(broken).lenient().get("/").send_blocking();
    /// assert_eq!(res.text(), "body on a 204");
    /// ```
    pub fn lenient(mut self) -> Self {
        self.validate = None;
        self
    }

    /// This client checking responses with `layer` (to change the
    /// [`Validate`](crate::Validate) time limit, say).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pastry_testkit::{TestClient, ValidateLayer};
    /// # let app = tower::service_fn(|_req: http::Request<pastry_testkit::Body>| async {
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// # });
    /// let client = TestClient::new(app).validate(ValidateLayer::new().timeout(Duration::from_secs(2)));
    /// client.get("/").send_blocking();
    /// ```
    pub fn validate(mut self, layer: ValidateLayer) -> Self {
        self.validate = Some(layer);
        self
    }

    /// This client sending origin-form URIs (`client.get("/x")`) to `url`,
    /// `http://host[:port]` or `https://host[:port]` (default
    /// `http://localhost`): the host becomes the `Host` header and the
    /// cookie jar's host, and the scheme the
    /// [`UrlScheme`](pastry_core::UrlScheme) extension and whether `Secure`
    /// cookies are sent. Absolute URIs still go where they say. Clones made
    /// before share the jar but keep their own base URL.
    ///
    /// Plain `http` to a loopback host (`localhost`, `*.localhost`,
    /// `127.0.0.0/8`, `[::1]`) keeps and sends `Secure` cookies, as browsers
    /// do, so the default needs no change for a `Secure` session cookie;
    /// set an `https` base URL to test another host.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http::Response;
    /// use pastry_core::UrlScheme;
    /// use pastry_testkit::{Body, TestClient};
    ///
    /// let app = tower::service_fn(|req: http::Request<Body>| async move {
    ///     let scheme = req.extensions().get::<UrlScheme>().copied();
    ///     let host = req.headers()["host"].to_str().unwrap().to_owned();
    ///     Ok::<_, Infallible>(Response::new(format!("{scheme:?} {host}")))
    /// });
    /// let client = TestClient::new(app).base_url("https://shop.example");
    /// assert_eq!(client.get("/cart").send_blocking().text(), "Some(Https) shop.example");
    /// ```
    ///
    /// # Panics
    /// If `url` is not `http://` or `https://` with a host and no path.
    #[track_caller]
    pub fn base_url(mut self, url: &str) -> Self {
        match Base::parse(url) {
            Ok(base) => self.base = base,
            Err(e) => panic!("{e}"),
        }
        self
    }

    /// A request with `method` to `uri`, either origin-form (`/path?q`,
    /// sent to the [`base_url`](Self::base_url), by default with
    /// `Host: localhost` over `http`) or absolute (`https://host/path`,
    /// which the app sees as origin-form plus a `Host` header and, for
    /// `https`, the [`UrlScheme::Https`](pastry_core::UrlScheme) extension).
    pub fn request(&self, method: Method, uri: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, uri.into())
    }

    /// A `GET` request.
    pub fn get(&self, uri: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, uri)
    }

    /// A `POST` request.
    pub fn post(&self, uri: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, uri)
    }

    /// A `PUT` request.
    pub fn put(&self, uri: impl Into<String>) -> RequestBuilder {
        self.request(Method::PUT, uri)
    }

    /// A `PATCH` request.
    pub fn patch(&self, uri: impl Into<String>) -> RequestBuilder {
        self.request(Method::PATCH, uri)
    }

    /// A `DELETE` request.
    pub fn delete(&self, uri: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, uri)
    }

    /// A `HEAD` request.
    pub fn head(&self, uri: impl Into<String>) -> RequestBuilder {
        self.request(Method::HEAD, uri)
    }

    /// An `OPTIONS` request.
    pub fn options(&self, uri: impl Into<String>) -> RequestBuilder {
        self.request(Method::OPTIONS, uri)
    }

    /// A WebSocket handshake to `uri` (origin-form or absolute, like
    /// [`get`](Self::get)): `.await` it to get a
    /// [`TestWebSocket`](crate::TestWebSocket). It carries the jar's
    /// cookies and goes through a hyper server connection over an
    /// in-memory pipe, so the upgrade reaches the app through any layers;
    /// see [`WebSocketBuilder`](crate::WebSocketBuilder).
    ///
    /// ```
    /// use axum::extract::ws::{Message, WebSocketUpgrade};
    /// use axum::{Router, response::Response, routing::get};
    /// use pastry_testkit::TestClient;
    ///
    /// async fn greet(upgrade: WebSocketUpgrade) -> Response {
    ///     upgrade.on_upgrade(|mut socket| async move {
    ///         let _ = socket.send(Message::Text("hello".into())).await;
    ///     })
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = TestClient::new(Router::new().route("/greet", get(greet)));
    /// let mut socket = client.websocket("/greet").await;
    /// assert_eq!(socket.receive_text().await, "hello");
    /// # }
    /// ```
    pub fn websocket(&self, uri: impl Into<String>) -> WebSocketBuilder {
        WebSocketBuilder::new(self.get(uri))
    }

    /// The value of a live cookie called `name` in the jar (for any host
    /// and path), if there is one.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http::Response;
    /// use pastry_testkit::{Body, TestClient};
    ///
    /// let app = tower::service_fn(|_req: http::Request<Body>| async {
    ///     let res = Response::builder().header("set-cookie", "theme=dark; Path=/").body(String::new());
    ///     Ok::<_, Infallible>(res.unwrap())
    /// });
    /// let client = TestClient::new(app);
    /// client.get("/").send_blocking();
    /// assert_eq!(client.cookie("theme").as_deref(), Some("dark"));
    /// client.clear_cookies();
    /// assert_eq!(client.cookie("theme"), None);
    /// ```
    pub fn cookie(&self, name: &str) -> Option<String> {
        let now = self.now();
        self.jar().get(name, now)
    }

    /// The value of a live cookie called `name` as the octets the app set
    /// (RFC 6265 section 5.2): [`cookie`](Self::cookie) shows bytes that
    /// are not UTF-8 as U+FFFD, this returns them as they are.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http::{HeaderValue, Response};
    /// use pastry_testkit::{Body, TestClient};
    ///
    /// let app = tower::service_fn(|_req: http::Request<Body>| async {
    ///     let mut res = Response::new(String::new());
    ///     let latin1 = HeaderValue::from_bytes(b"name=Ren\xe9; Path=/").unwrap();
    ///     res.headers_mut().insert("set-cookie", latin1);
    ///     Ok::<_, Infallible>(res)
    /// });
    /// // Lenient: `Validate` holds apps to ASCII cookies (RFC 6265 section 4.1).
    /// let client = TestClient::new(app).lenient();
    /// client.get("/").send_blocking();
    /// assert_eq!(client.cookie_bytes("name").as_deref(), Some(&b"Ren\xe9"[..]));
    /// assert_eq!(client.cookie("name").as_deref(), Some("Ren\u{FFFD}"));
    /// ```
    pub fn cookie_bytes(&self, name: &str) -> Option<Vec<u8>> {
        let now = self.now();
        self.jar().get_bytes(name, now)
    }

    /// Every live cookie in the jar, as `(name, value)` pairs.
    pub fn cookies(&self) -> Vec<(String, String)> {
        let now = self.now();
        self.jar().all(now)
    }

    /// Puts a cookie in the jar as a user would: sent to every host, on
    /// every path, until cleared or replaced by the app.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http::Response;
    /// use pastry_testkit::{Body, TestClient};
    ///
    /// let app = tower::service_fn(|req: http::Request<Body>| async move {
    ///     let cookie = req.headers().get("cookie").map(|v| v.to_str().unwrap().to_owned());
    ///     Ok::<_, Infallible>(Response::new(cookie.unwrap_or_default()))
    /// });
    /// let client = TestClient::new(app);
    /// client.set_cookie("lang", "fr");
    /// assert_eq!(client.get("/").send_blocking().text(), "lang=fr");
    /// ```
    pub fn set_cookie(&self, name: &str, value: &str) {
        let now = self.now();
        self.jar().set_user(name, value, now);
    }

    /// Empties the cookie jar.
    pub fn clear_cookies(&self) {
        self.jar().clear();
    }

    /// Moves the cookie jar's clock forward by `by`, so that `Max-Age` and
    /// `Expires` can be tested without sleeping.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::time::Duration;
    /// use http::Response;
    /// use pastry_testkit::{Body, TestClient};
    ///
    /// let app = tower::service_fn(|_req: http::Request<Body>| async {
    ///     let res = Response::builder().header("set-cookie", "t=1; Max-Age=60").body(String::new());
    ///     Ok::<_, Infallible>(res.unwrap())
    /// });
    /// let client = TestClient::new(app);
    /// client.get("/").send_blocking();
    /// client.advance_time(Duration::from_secs(59));
    /// assert!(client.cookie("t").is_some());
    /// client.advance_time(Duration::from_secs(2));
    /// assert!(client.cookie("t").is_none());
    /// ```
    pub fn advance_time(&self, by: Duration) {
        let mut offset = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        *offset += by;
    }

    /// The jar's notion of now: the wall clock plus every `advance_time`.
    pub(crate) fn now(&self) -> SystemTime {
        let offset = *self.clock.lock().unwrap_or_else(|p| p.into_inner());
        SystemTime::now() + offset
    }

    /// The client's runtime for `send_blocking`, started on first use.
    pub(crate) fn blocking_runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .get_or_init(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap_or_else(|e| panic!("cannot start a runtime for send_blocking(): {e}"));
                BlockingRuntime(Some(runtime))
            })
            .get()
    }

    pub(crate) fn jar(&self) -> MutexGuard<'_, CookieJar> {
        self.jar.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("validate", &self.validate)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn client_and_its_results_can_cross_threads() {
        assert_send_sync::<TestClient>();
        assert_send_sync::<crate::TestResponse>();
        assert_send_sync::<RequestBuilder>();
    }
}
