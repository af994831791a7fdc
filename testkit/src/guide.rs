//! A guide to testing apps and middleware with the kit.
//!
//! # A complete example: a counter with a cookie
//!
//! The app counts a visitor's visits in a cookie; `/reset` forgets the
//! count (deleting the cookie with `Max-Age=0`) and sends the visitor back
//! with `303 See Other`.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use pastry_testkit::{Body, TestClient};
//!
//! async fn counter(req: Request<Body>) -> Result<Response<String>, Infallible> {
//!     let seen = req
//!         .headers()
//!         .get_all("cookie")
//!         .iter()
//!         .filter_map(|v| v.to_str().ok())
//!         .flat_map(|v| v.split(';'))
//!         .filter_map(|pair| pair.trim().strip_prefix("visits="))
//!         .find_map(|n| n.parse::<u32>().ok())
//!         .unwrap_or(0);
//!     let res = match req.uri().path() {
//!         "/" => Response::builder()
//!             .header("content-type", "text/plain")
//!             .header("set-cookie", format!("visits={}; Path=/; HttpOnly", seen + 1))
//!             .body(format!("visit number {}", seen + 1)),
//!         "/reset" => Response::builder()
//!             .status(StatusCode::SEE_OTHER)
//!             .header("location", "/")
//!             .header("set-cookie", "visits=; Path=/; Max-Age=0")
//!             .body(String::new()),
//!         _ => Response::builder()
//!             .status(StatusCode::NOT_FOUND)
//!             .body("no such page".to_owned()),
//!     };
//!     Ok(res.unwrap())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In a real suite each block below is a `#[tokio::test]`.
//! let client = TestClient::new(tower::service_fn(counter));
//!
//! // The jar keeps the cookie between requests.
//! assert_eq!(client.get("/").await.text(), "visit number 1");
//! client
//!     .get("/")
//!     .await
//!     .assert_status(200)
//!     .assert_header("content-type", "text/plain")
//!     .assert_text_contains("number 2");
//! assert_eq!(client.cookie("visits").as_deref(), Some("2"));
//!
//! // Resetting deletes the cookie and redirects; the next hop is sent
//! // without it, so the count starts again.
//! let res = client.post("/reset").follow_redirects().await;
//! assert_eq!(res.history()[0].status(), StatusCode::SEE_OTHER);
//! assert_eq!(res.text(), "visit number 1");
//!
//! // Anything but a 2xx or 3xx fails the test unless expected.
//! client.get("/nowhere").expect_status(404).await;
//! # }
//! ```
//!
//! # Async and blocking tests
//!
//! Await requests in `#[tokio::test]`. From a plain `#[test]`, call
//! [`send_blocking`](crate::RequestBuilder::send_blocking), which runs the
//! request on a single-threaded runtime the client keeps:
//!
//! ```
//! # use pastry_testkit::{Body, TestClient};
//! # let app = tower::service_fn(|_req: http::Request<Body>| async {
//! #     Ok::<_, std::convert::Infallible>(http::Response::new("hi".to_owned()))
//! # });
//! let res = TestClient::new(app).get("/").send_blocking();
//! assert_eq!(res.text(), "hi");
//! ```
//!
//! # What the app sees
//!
//! A request the kit builds is what a server would hand the app:
//!
//! - an origin-form URI (`/path?query`). An absolute URI
//!   (`https://api.example.com/x`) is split into that path, a `Host`
//!   header and, for `https`, the [`UrlScheme::Https`](pastry_core::UrlScheme)
//!   extension; a relative one goes to the client's
//!   [`base_url`](crate::TestClient::base_url), by default `http://localhost`
//!   (`Host: localhost`);
//! - a `Content-Length` for whole bodies (`body`, `form`, `json`,
//!   `multipart`, and `0` for a bodiless `POST`/`PUT`/`PATCH`), none for
//!   `chunks`, whose frames arrive one at a time;
//! - a `Cookie` header from the jar (merged after an explicit one);
//! - the environ extensions set with `client_addr`, `scheme`,
//!   `script_name` and `remote_user` (only [`UrlScheme`](pastry_core::UrlScheme)
//!   is always set), plus any `extension(value)`.
//!
//! # Statuses and errors
//!
//! A request expects a 2xx or 3xx and panics otherwise, showing the status,
//! headers and the start of the body. Change that with `.expect_status(n)`,
//! `.expect_failure()` (a 4xx or 5xx) or `.any_status()`. An error from the
//! app, a [`Validate`](crate::Validate) violation or a refused redirect also
//! panics; [`try_send`](crate::RequestBuilder::try_send) returns all of
//! these as a [`TestError`](crate::TestError) instead.
//!
//! # Cookies
//!
//! The jar follows RFC 6265: cookies without `Domain` go back only to the
//! host that set them, `Domain` cookies to it and its subdomains, `Path`
//! matches on whole segments, and a cookie deleted with `Max-Age=0` or an
//! `Expires` in the past is gone.
//! [`advance_time`](crate::TestClient::advance_time) moves the jar's clock to
//! test expiry without sleeping. Clones of a client share its jar.
//!
//! `Secure` cookies are kept from and sent to secure contexts only, as
//! browsers decide them: `https`, or plain `http` to a loopback host
//! (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`). So a `Secure`
//! session cookie works with the default `http://localhost` target; to test
//! another host, give the client an `https` base URL with
//! [`base_url`](crate::TestClient::base_url)
//! (`TestClient::new(app).base_url("https://shop.example")`).
//!
//! `Set-Cookie` is read as RFC 6265 section 5.2 reads it, on octets: a
//! value with bytes above 0x7F is kept and sent back byte for byte
//! ([`cookie_bytes`](crate::TestClient::cookie_bytes) returns it as it
//! is), and `Expires` goes through the cookie-date algorithm of section
//! 5.1.1, so `Sun, 06 Nov 1994 08:49:37 GMT`, `6 Nov 94 8:49:37` and
//! `1994 Nov 06 08:49:37` are one date; a date the algorithm cannot read
//! is ignored (the cookie lasts for the session), as browsers do.
//!
//! When a request fails, its message ends with what the jar did not do and
//! why: each cookie held back from the request (`Secure` over plain `http`
//! to another host, another host or path, expired) and each `Set-Cookie` it
//! refused (also on later requests to that host, until the app sets a cookie
//! of that name the jar keeps);
//! [`TestResponse::cookie_notes`](crate::TestResponse::cookie_notes)
//! gives the same lines.
//!
//! # Forms and links
//!
//! [`TestResponse::form`](crate::TestResponse::form) (by id or name),
//! [`form_at`](crate::TestResponse::form_at) (by position) and
//! [`forms`](crate::TestResponse::forms) read a page's HTML forms with
//! their fields as a browser has them: hidden inputs, the checked boxes and
//! radios, each select's selected options (the first one when none is
//! marked), textareas, fields outside the form that name it with `form=`,
//! and not the disabled ones. [`Form::set`](crate::Form::set),
//! [`check`](crate::Form::check), [`set_all`](crate::Form::set_all) and
//! [`file`](crate::Form::file) fill it in;
//! [`submit`](crate::Form::submit) or
//! [`submit_with`](crate::Form::submit_with) (pressing a button) build the
//! request a browser would send: the form's method, its action resolved
//! against the page's URL, its encoding, the jar's cookies and, for a
//! `POST`, an `Origin` header. The request is awaited like any other, so
//! `.follow_redirects()` and `.expect_status(..)` apply.
//! [`click`](crate::TestResponse::click) and
//! [`click_selector`](crate::TestResponse::click_selector) follow a link.
//! When a form, field, option, button or link is not there, the panic says
//! which and lists the ones that are.
//!
//! # Failures point at the test
//!
//! A failed request (`.await`, `send_blocking`, `stream`) or assertion
//! (`assert_status`, `text`, `json`, …) panics with the location of the
//! test's own line: the assertions are `#[track_caller]`, and awaiting a
//! request polls a [`TestFuture`](crate::TestFuture) whose `poll` is too.
//!
//! # Streaming
//!
//! [`TestResponse::frames`](crate::TestResponse::frames) keeps the data
//! frames exactly as produced. To read a response while it is being
//! produced (server-sent events, flushing), use
//! [`stream`](crate::RequestBuilder::stream) and pull frames with
//! [`next_frame`](crate::TestStream::next_frame), or events with
//! [`next_event`](crate::TestStream::next_event) (see below).
//!
//! # WebSockets and SSE
//!
//! [`TestClient::websocket`](crate::TestClient::websocket) opens a
//! WebSocket without a port: the handshake is built like any request (the
//! base URL, the jar's cookies, your headers) and goes through a real
//! hyper server connection over an in-memory pipe, so the upgrade reaches
//! the app through every layer around it, and the `Set-Cookie`s of the
//! answer go to the jar. A handshake the app refuses fails with its status
//! and body ([`TestError::Refused`](crate::TestError::Refused) from
//! [`try_connect`](crate::WebSocketBuilder::try_connect)). Every send and
//! receive of the [`TestWebSocket`](crate::TestWebSocket) fails after a
//! timeout (5 s, or [`timeout`](crate::WebSocketBuilder::timeout)) instead
//! of hanging.
//!
//! A chat behind login, tested as a user would use it: refused before
//! logging in, talking after.
//!
//! ```
//! use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
//! use axum::response::{IntoResponse, Response};
//! use axum::routing::{get, post};
//! use axum::{Form, Router};
//! use http::StatusCode;
//! use pastry_sessions::{MemoryStore, Session, SessionError, SessionLayer};
//! use pastry_testkit::TestClient;
//!
//! #[derive(serde::Deserialize)]
//! struct Login { user: String }
//!
//! async fn log_in(session: Session, Form(login): Form<Login>) -> Result<&'static str, SessionError> {
//!     session.cycle_id().await?;
//!     session.insert("user", &login.user).await?;
//!     Ok("welcome")
//! }
//!
//! /// Signed-in users only; each message comes back with its author.
//! async fn chat(session: Session, upgrade: WebSocketUpgrade) -> Result<Response, SessionError> {
//!     let Some(user) = session.get::<String>("user").await? else {
//!         return Ok((StatusCode::UNAUTHORIZED, "log in first").into_response());
//!     };
//!     Ok(upgrade.on_upgrade(move |mut socket: WebSocket| async move {
//!         while let Some(Ok(Message::Text(text))) = socket.recv().await {
//!             let line = format!("{user}: {text}");
//!             if socket.send(Message::Text(line.into())).await.is_err() {
//!                 break;
//!             }
//!         }
//!     }))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/login", post(log_in))
//!     .route("/chat", get(chat))
//!     .layer(SessionLayer::new(MemoryStore::new()));
//! let client = TestClient::new(app);
//!
//! // No session yet: the handshake is refused, and the error says how.
//! let refused = client.websocket("/chat").try_connect().await.unwrap_err();
//! assert_eq!(refused.refused_status(), Some(StatusCode::UNAUTHORIZED));
//! assert!(refused.to_string().contains("log in first"));
//!
//! // Logged in: the session cookie in the jar goes with the handshake.
//! client.post("/login").form(&[("user", "alice")]).await;
//! let mut socket = client.websocket("/chat").await;
//! socket.send_text("hello").await;
//! assert_eq!(socket.receive_text().await, "alice: hello");
//! socket.close().await;
//! # }
//! ```
//!
//! Server-sent events are read as a browser's `EventSource` reads them
//! (fields `id`, `event`, `data`, `retry`; comments skipped; any line
//! ending): a whole body with
//! [`TestResponse::events`](crate::TestResponse::events), or an endless
//! stream one [`Event`](crate::Event) at a time with
//! [`TestStream::next_event`](crate::TestStream::next_event), which undoes
//! gzip as frames come and fails after a timeout (5 s, or
//! [`event_timeout`](crate::TestStream::event_timeout)) rather than
//! hanging. Here through a gzip layer, which flushes each event:
//!
//! ```
//! use std::convert::Infallible;
//! use axum::response::sse::{Event, Sse};
//! use axum::{Router, routing::get};
//! use futures_util::stream::{self, Stream, StreamExt};
//! use pastry_gzip::GzipLayer;
//! use pastry_testkit::TestClient;
//!
//! async fn news() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
//!     let first = Event::default().id("1").event("headline").data("Pastry 1.0\nout today");
//!     // ... and then nothing more: the stream stays open.
//!     Sse::new(stream::iter([Ok(first)]).chain(stream::pending()))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new().route("/news", get(news)).layer(GzipLayer::new());
//! let client = TestClient::new(app);
//! let mut stream = client.get("/news").header("accept-encoding", "gzip").stream().await;
//! assert_eq!(stream.header("content-encoding"), Some("gzip"));
//! let event = stream.next_event().await.unwrap();
//! assert_eq!((event.id.as_str(), event.event.as_str()), ("1", "headline"));
//! assert_eq!(event.data, "Pastry 1.0\nout today");
//! # }
//! ```
//!
//! # Conformance: `Validate`
//!
//! Every response a default client gets is checked by
//! [`Validate`](crate::Validate); a broken rule fails the test with a
//! message naming it (`Validate rule `no-body` broken: …`). The rules are
//! the variants of [`Rule`](crate::Rule). Turn one off with
//! `client.validate(ValidateLayer::new().skip(rule))`, change the 10 s time
//! limit with `.timeout(..)`, or turn everything off with `.lenient()`.
//!
//! When testing middleware, put a [`ValidateLayer`](crate::ValidateLayer)
//! *inside* it too, around the app it wraps: it then also checks that the
//! middleware calls `poll_ready` before `call`.
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use pastry_testkit::{Body, TestClient, ValidateLayer};
//! use tower::ServiceBuilder;
//!
//! let app = ServiceBuilder::new()
//!     .map_response(|res: Response<_>| res) // the middleware under test
//!     .layer(ValidateLayer::new())
//!     .service_fn(|_req: Request<Body>| async {
//!         Ok::<_, Infallible>(Response::new("ok".to_owned()))
//!     });
//! assert_eq!(TestClient::new(app).get("/").send_blocking().text(), "ok");
//! ```
