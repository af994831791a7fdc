//! `TestWebSocket`: a WebSocket opened in-process, over an in-memory pipe.

use std::fmt;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use pastry_core::{RemoteUser, UrlScheme};
use serde::de::DeserializeOwned;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::error::TestError;
use crate::response::{decode, describe_cookie_notes};
use crate::{Body, RequestBuilder, TestClient, TestFuture};

/// How long a [`TestWebSocket`] waits for the handshake answer, for each
/// message it sends and for each message it receives, unless
/// [`WebSocketBuilder::timeout`] says otherwise.
pub const DEFAULT_WEBSOCKET_TIMEOUT: Duration = Duration::from_secs(5);

/// The in-memory pipe's buffer, each way.
const PIPE_BUFFER: usize = 64 * 1024;

/// A WebSocket handshake being built; `.await` it (or call
/// [`try_connect`](Self::try_connect)) to get a [`TestWebSocket`].
///
/// The handshake is a `GET` built like any other request of the
/// [`TestClient`](crate::TestClient): the base URL and `Host`, the jar's
/// cookies, the headers and extensions given here. It then goes through a
/// real hyper HTTP/1.1 server connection over an in-memory pipe, so the
/// app (and every layer around it) sees hyper's `OnUpgrade` extension, as
/// behind `pastry::serve`, and no port is opened.
/// The `Set-Cookie`s of the answer go to the jar. It needs a Tokio
/// runtime with time enabled, as `#[tokio::test]` has.
///
/// ```
/// use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
/// use axum::{Router, response::Response, routing::get};
/// use pastry_testkit::TestClient;
///
/// async fn echo(upgrade: WebSocketUpgrade) -> Response {
///     upgrade.on_upgrade(|mut socket: WebSocket| async move {
///         while let Some(Ok(Message::Text(text))) = socket.recv().await {
///             let _ = socket.send(Message::Text(format!("echo: {text}").into())).await;
///         }
///     })
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = TestClient::new(Router::new().route("/echo", get(echo)));
/// let mut socket = client.websocket("/echo").await;
/// socket.send_text("hello").await;
/// assert_eq!(socket.receive_text().await, "echo: hello");
/// socket.close().await;
/// # }
/// ```
#[must_use = "a WebSocket is not opened until awaited"]
pub struct WebSocketBuilder {
    request: RequestBuilder,
    protocols: Vec<String>,
    timeout: Duration,
}

impl WebSocketBuilder {
    pub(crate) fn new(request: RequestBuilder) -> Self {
        Self {
            request,
            protocols: Vec::new(),
            timeout: DEFAULT_WEBSOCKET_TIMEOUT,
        }
    }

    /// Adds a header to the handshake (an `Origin`, an `Authorization` ...).
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
        self.request = self.request.header(name, value);
        self
    }

    /// Appends URL-encoded query pairs to the URI.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(mut self, pairs: &[(K, V)]) -> Self {
        self.request = self.request.query(pairs);
        self
    }

    /// Offers a subprotocol (`Sec-WebSocket-Protocol`); call it again to
    /// offer several, in order of preference. The one the app picked is
    /// [`TestWebSocket::protocol`].
    pub fn protocol(mut self, name: &str) -> Self {
        self.protocols.push(name.to_owned());
        self
    }

    /// Sends `Authorization: Basic` with these credentials.
    #[track_caller]
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.request = self.request.basic_auth(user, password);
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    #[track_caller]
    pub fn bearer(mut self, token: &str) -> Self {
        self.request = self.request.bearer(token);
        self
    }

    /// Sets the [`ClientAddr`](pastry_core::ClientAddr) extension.
    pub fn client_addr(mut self, addr: SocketAddr) -> Self {
        self.request = self.request.client_addr(addr);
        self
    }

    /// Sets the scheme the handshake came over (the [`UrlScheme`]
    /// extension); by default the URI's or the base URL's.
    pub fn scheme(mut self, scheme: UrlScheme) -> Self {
        self.request = self.request.scheme(scheme);
        self
    }

    /// Sets the [`RemoteUser`] extension, as auth middleware would.
    pub fn remote_user(mut self, name: &str) -> Self {
        self.request = self.request.extension(RemoteUser::new(name));
        self
    }

    /// Inserts any request extension.
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.request = self.request.extension(value);
        self
    }

    /// How long to wait for the handshake answer and then for each
    /// message sent or received (default [`DEFAULT_WEBSOCKET_TIMEOUT`]).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Opens the WebSocket, returning errors instead of panicking:
    /// [`TestError::Refused`] when the app answers another status than 101
    /// (its body is in the error), [`TestError::Timeout`] when no answer
    /// comes in time, [`TestError::WebSocket`] when the answer is not a
    /// valid WebSocket handshake, [`TestError::App`] when the app fails.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use pastry_testkit::TestClient;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = Router::new().route("/chat", get(|| async { "not a WebSocket" }));
    /// let refused = TestClient::new(app).websocket("/chat").try_connect().await.unwrap_err();
    /// assert_eq!(refused.refused_status(), Some(http::StatusCode::OK));
    /// # }
    /// ```
    pub async fn try_connect(self) -> Result<TestWebSocket, TestError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(TestError::Request(
                "a WebSocket runs on a Tokio runtime (with time enabled, as in #[tokio::test]); \
                 none is running here"
                    .to_owned(),
            ));
        }
        let limit = self.timeout;
        match tokio::time::timeout(limit, self.handshake()).await {
            Ok(result) => result,
            Err(_) => Err(TestError::Timeout(format!(
                "no answer to the WebSocket handshake within {limit:?}"
            ))),
        }
    }

    async fn handshake(self) -> Result<TestWebSocket, TestError> {
        let client = self.request.client().clone();
        let (req, target, mut cookie_notes) = self.request.prepare()?;
        let (parts, _) = req.into_parts();
        let key = generate_key();
        let mut wire = Request::new(Empty::<Bytes>::new());
        *wire.uri_mut() = parts.uri;
        *wire.headers_mut() = parts.headers;
        let headers = wire.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        let key_value = HeaderValue::from_str(&key)
            .map_err(|e| TestError::Request(format!("unusable WebSocket key: {e}")))?;
        headers.insert(header::SEC_WEBSOCKET_KEY, key_value);
        if !self.protocols.is_empty() {
            let offered = HeaderValue::from_str(&self.protocols.join(", ")).map_err(|e| {
                TestError::Request(format!("invalid subprotocols {:?}: {e}", self.protocols))
            })?;
            headers.insert(header::SEC_WEBSOCKET_PROTOCOL, offered);
        }

        let (client_io, server_io) = tokio::io::duplex(PIPE_BUFFER);
        let app_error = serve_app(&client, parts.extensions, server_io);
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(client_io))
                .await
                .map_err(|e| TestError::WebSocket(format!("cannot start the handshake: {e}")))?;
        tokio::spawn(connection.with_upgrades());

        let sent = sender.send_request(wire).await;
        let mut res = match sent {
            Ok(res) => res,
            Err(e) => {
                let failure = app_error.lock().unwrap_or_else(|p| p.into_inner()).take();
                return Err(failure.unwrap_or_else(|| {
                    TestError::WebSocket(format!("the handshake got no answer: {e}"))
                }));
            }
        };
        cookie_notes.extend(client.jar().store(res.headers(), &target, client.now()));

        if res.status() != StatusCode::SWITCHING_PROTOCOLS {
            let status = res.status();
            let headers = res.headers().clone();
            let raw = res
                .into_body()
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            let body = decode(&headers, &raw).unwrap_or(raw);
            let mut body = String::from_utf8_lossy(&body).into_owned();
            body.push_str(&describe_cookie_notes(&cookie_notes));
            return Err(TestError::Refused { status, body });
        }
        check_answer(res.headers(), &key)?;
        let headers = res.headers().clone();
        let upgraded = hyper::upgrade::on(&mut res)
            .await
            .map_err(|e| TestError::WebSocket(format!("the upgrade failed: {e}")))?;
        let stream =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Client, None).await;
        Ok(TestWebSocket {
            stream,
            headers,
            timeout: self.timeout,
            what: format!("WebSocket {target}"),
        })
    }
}

/// Serves one connection of the app over `io` with hyper, as `serve` does,
/// adding `extensions` (the client address, the scheme ...) to the request
/// hyper parsed. Returns where an error of the app is kept, so that the
/// client can report it rather than a closed connection.
fn serve_app(
    client: &TestClient,
    extensions: http::Extensions,
    io: tokio::io::DuplexStream,
) -> Arc<Mutex<Option<TestError>>> {
    let app = client.app.clone();
    let validate = client.validate;
    let app_error = Arc::new(Mutex::new(None));
    let error_slot = app_error.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (mut parts, _) = req.into_parts();
        parts.extensions.extend(extensions.clone());
        let future = app.call(Request::from_parts(parts, Body::empty()), validate.as_ref());
        let error_slot = error_slot.clone();
        async move {
            future.await.map_err(|e| {
                let failure = TestError::from_app(e);
                let message = failure.to_string();
                *error_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
                message
            })
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::spawn(connection);
    app_error
}

/// Checks that a 101 answer is a WebSocket one (RFC 6455 section 4.1).
fn check_answer(headers: &HeaderMap, key: &str) -> Result<(), TestError> {
    let upgrade = headers.get(header::UPGRADE).and_then(|v| v.to_str().ok());
    if !upgrade.is_some_and(|u| u.trim().eq_ignore_ascii_case("websocket")) {
        return Err(TestError::WebSocket(format!(
            "the app answered 101 with Upgrade: {upgrade:?}, not websocket"
        )));
    }
    let accept = headers
        .get(header::SEC_WEBSOCKET_ACCEPT)
        .and_then(|v| v.to_str().ok());
    let expected = derive_accept_key(key.as_bytes());
    if accept != Some(expected.as_str()) {
        return Err(TestError::WebSocket(format!(
            "the app answered 101 with Sec-WebSocket-Accept: {accept:?}, expected {expected:?}"
        )));
    }
    Ok(())
}

/// `.await` opens the WebSocket; a failure panics at the `.await` in the
/// test (see [`TestFuture`]).
impl IntoFuture for WebSocketBuilder {
    type Output = TestWebSocket;
    type IntoFuture = TestFuture<'static, TestWebSocket>;

    fn into_future(self) -> Self::IntoFuture {
        TestFuture::new(async move {
            let what = format!("WebSocket {}", self.request.uri());
            self.try_connect().await.map_err(|e| format!("{what}: {e}"))
        })
    }
}

impl fmt::Debug for WebSocketBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketBuilder")
            .field("request", &self.request)
            .field("protocols", &self.protocols)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// An open WebSocket to the app, from
/// [`TestClient::websocket`](crate::TestClient::websocket).
///
/// Every send and receive waits at most the
/// [timeout](WebSocketBuilder::timeout) (5 s by default) and then fails
/// the test, saying what it waited for, instead of hanging. Pings are
/// answered and, like pongs, skipped by the receives, as a browser does.
/// The methods returning a [`TestFuture`] panic at the `.await` in the
/// test; the `try_` ones return a [`TestError`].
///
/// ```
/// use std::time::Duration;
/// use axum::extract::ws::WebSocketUpgrade;
/// use axum::{Router, response::Response, routing::get};
/// use pastry_testkit::{TestClient, TestError};
///
/// // A server that accepts the WebSocket and never says anything.
/// async fn silent(upgrade: WebSocketUpgrade) -> Response {
///     upgrade.on_upgrade(|socket| async move {
///         tokio::time::sleep(Duration::from_secs(60)).await;
///         drop(socket);
///     })
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = TestClient::new(Router::new().route("/silent", get(silent)));
/// let mut socket = client.websocket("/silent").timeout(Duration::from_millis(50)).await;
/// let err = socket.try_receive().await.unwrap_err();
/// assert!(matches!(err, TestError::Timeout(_)));
/// assert_eq!(err.to_string(), "no WebSocket message within 50ms");
/// # }
/// ```
pub struct TestWebSocket {
    stream: WebSocketStream<TokioIo<Upgraded>>,
    headers: HeaderMap,
    timeout: Duration,
    what: String,
}

impl TestWebSocket {
    /// The headers of the app's `101 Switching Protocols` answer.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The subprotocol the app picked (`Sec-WebSocket-Protocol`), if any.
    pub fn protocol(&self) -> Option<&str> {
        self.headers
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
    }

    /// Sends a text message.
    ///
    /// # Panics
    /// Where it is awaited, if the message cannot be sent in time.
    pub fn send_text(&mut self, text: impl Into<String>) -> TestFuture<'_, ()> {
        self.send(Message::text(text.into()))
    }

    /// Sends a binary message.
    ///
    /// # Panics
    /// Like [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, bytes: impl Into<Bytes>) -> TestFuture<'_, ()> {
        self.send(Message::binary(bytes.into()))
    }

    /// Sends any message (a ping, a close frame of your own ...).
    ///
    /// # Panics
    /// Like [`send_text`](Self::send_text).
    pub fn send(&mut self, message: Message) -> TestFuture<'_, ()> {
        TestFuture::new(async move {
            let result = self.try_send(message).await;
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// Sends `message`, or says why it could not be sent in time.
    pub async fn try_send(&mut self, message: Message) -> Result<(), TestError> {
        let limit = self.timeout;
        match tokio::time::timeout(limit, self.stream.send(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TestError::WebSocket(format!("cannot send: {e}"))),
            Err(_) => Err(TestError::Timeout(format!(
                "the WebSocket message could not be sent within {limit:?} (is the app reading?)"
            ))),
        }
    }

    /// The next message from the app: text, binary or its close frame.
    ///
    /// # Panics
    /// Where it is awaited, if nothing arrives in time or the connection
    /// fails or has ended.
    pub fn receive(&mut self) -> TestFuture<'_, Message> {
        TestFuture::new(async move {
            let result = self.try_receive().await;
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// The next text message.
    ///
    /// # Panics
    /// Like [`receive`](Self::receive), and if the next message is not
    /// text.
    pub fn receive_text(&mut self) -> TestFuture<'_, String> {
        TestFuture::new(async move {
            let result = self.try_receive_text().await;
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// The next binary message.
    ///
    /// # Panics
    /// Like [`receive`](Self::receive), and if the next message is not
    /// binary.
    pub fn receive_binary(&mut self) -> TestFuture<'_, Bytes> {
        TestFuture::new(async move {
            let result = match self.try_receive().await {
                Ok(Message::Binary(bytes)) => Ok(bytes),
                Ok(other) => Err(unexpected("a binary message", &other)),
                Err(e) => Err(e),
            };
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// The next text message parsed as JSON.
    ///
    /// # Panics
    /// Like [`receive_text`](Self::receive_text), and if the text is not
    /// JSON of type `T`.
    pub fn receive_json<T: DeserializeOwned + Send>(&mut self) -> TestFuture<'_, T> {
        TestFuture::new(async move {
            let result = self.try_receive_text().await.and_then(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    TestError::WebSocket(format!(
                        "the message is not the JSON expected: {e}: {text:?}"
                    ))
                })
            });
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// Waits for the app to close the WebSocket and returns its close
    /// frame (code and reason), if it sent one; the close is answered.
    ///
    /// # Panics
    /// Like [`receive`](Self::receive), and if a data message comes first.
    pub fn receive_close(&mut self) -> TestFuture<'_, Option<CloseFrame>> {
        TestFuture::new(async move {
            let result = match self.try_receive().await {
                Ok(Message::Close(frame)) => {
                    // Sends the queued answer to the close.
                    let _ = self.stream.flush().await;
                    Ok(frame)
                }
                Ok(other) => Err(unexpected("the app to close the WebSocket", &other)),
                Err(e) => Err(e),
            };
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// The next message from the app, skipping pings and pongs, or why
    /// none came: [`TestError::Timeout`] after the timeout,
    /// [`TestError::WebSocket`] when the connection failed or has ended.
    pub async fn try_receive(&mut self) -> Result<Message, TestError> {
        let limit = self.timeout;
        let next = async {
            loop {
                match self.stream.next().await {
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(message)) => return Ok(message),
                    Some(Err(e)) => {
                        return Err(TestError::WebSocket(format!("receiving failed: {e}")));
                    }
                    None => {
                        return Err(TestError::WebSocket(
                            "the WebSocket is closed: no more messages".to_owned(),
                        ));
                    }
                }
            }
        };
        match tokio::time::timeout(limit, next).await {
            Ok(result) => result,
            Err(_) => Err(TestError::Timeout(format!(
                "no WebSocket message within {limit:?}"
            ))),
        }
    }

    /// The next text message, or why there is none.
    pub async fn try_receive_text(&mut self) -> Result<String, TestError> {
        match self.try_receive().await? {
            Message::Text(text) => Ok(text.as_str().to_owned()),
            other => Err(unexpected("a text message", &other)),
        }
    }

    /// Closes the WebSocket (code 1000) and waits for the app's answering
    /// close frame or for it to hang up; messages still arriving before
    /// are dropped.
    ///
    /// # Panics
    /// Where it is awaited, if the app does not answer the close in time.
    pub fn close(&mut self) -> TestFuture<'_, ()> {
        TestFuture::new(async move {
            let result = self.try_close().await;
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// Closes the WebSocket, or says why it could not: the close frame
    /// could not be sent, or the app neither answered it nor hung up in
    /// time.
    pub async fn try_close(&mut self) -> Result<(), TestError> {
        let limit = self.timeout;
        let closing = async {
            let frame = CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            };
            match self.stream.close(Some(frame)).await {
                Ok(()) => {}
                // The app closed first: nothing left to wait for.
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => return Ok(()),
                Err(e) => return Err(TestError::WebSocket(format!("cannot close: {e}"))),
            }
            // The app answers with its own close frame, or just hangs up
            // (as many handlers do once they see the close): either way
            // the WebSocket is closed.
            while let Some(Ok(message)) = self.stream.next().await {
                if let Message::Close(_) = message {
                    break;
                }
            }
            Ok(())
        };
        match tokio::time::timeout(limit, closing).await {
            Ok(result) => result,
            Err(_) => Err(TestError::Timeout(format!(
                "the app did not answer the close within {limit:?}"
            ))),
        }
    }
}

/// The error for a message of another kind than the one expected.
fn unexpected(expected: &str, got: &Message) -> TestError {
    let got = match got {
        Message::Text(text) => format!("the text message {:?}", text.as_str()),
        Message::Binary(bytes) => format!("a binary message of {} bytes", bytes.len()),
        Message::Close(Some(frame)) => {
            format!(
                "a close frame ({} {:?})",
                u16::from(frame.code),
                frame.reason.as_str()
            )
        }
        Message::Close(None) => "a close frame without a code".to_owned(),
        Message::Ping(_) => "a ping".to_owned(),
        Message::Pong(_) => "a pong".to_owned(),
        Message::Frame(_) => "a raw frame".to_owned(),
    };
    TestError::WebSocket(format!("expected {expected}, got {got}"))
}

impl fmt::Debug for TestWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestWebSocket")
            .field("what", &self.what)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
