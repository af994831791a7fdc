//! Calls any conforming app (a `tower::Service` over `http` types) directly,
//! without a server, with synthetic requests, a cookie jar, HTML forms and
//! links, and redirects.
//! Every response is checked by a conformance validator ([`Validate`]) that
//! fails the test when it breaks an HTTP rule; see the [`guide`].
//! WebSockets ([`TestClient::websocket`]) and server-sent events
//! ([`TestResponse::events`], [`TestStream::next_event`]) are tested
//! in-process too, through any layers; see the guide's
//! [WebSockets and SSE](guide#websockets-and-sse).
//!
//! In the `pastry` facade this crate is `pastry::testkit` (feature
//! `testkit`, off by default: enable it in `[dev-dependencies]`):
//! `pastry_testkit::TestClient` is `pastry::testkit::TestClient`. The
//! examples use the crate paths, so each crate stays usable alone.
//!
//! Log in through a page's form (its hidden `next` field included), follow
//! the redirect with the session cookie, and check the JSON at the end:
//!
//! ```
//! use axum::http::{HeaderMap, StatusCode, header};
//! use axum::response::{Html, IntoResponse, Redirect};
//! use axum::routing::get;
//! use axum::{Form, Json, Router};
//! use pastry_testkit::TestClient;
//! use serde_json::json;
//!
//! #[derive(serde::Deserialize)]
//! struct Login { user: String, password: String, next: String }
//!
//! async fn login_page() -> Html<&'static str> {
//!     Html(r#"<form method="post" action="/login">
//!         <input type="hidden" name="next" value="/me">
//!         <input name="user"> <input type="password" name="password">
//!         <button>Log in</button>
//!     </form>"#)
//! }
//!
//! async fn log_in(Form(login): Form<Login>) -> impl IntoResponse {
//!     if login.password != "wonderland" {
//!         return (StatusCode::UNAUTHORIZED, "wrong password").into_response();
//!     }
//!     let cookie = format!("user={}; Path=/; HttpOnly", login.user);
//!     ([(header::SET_COOKIE, cookie)], Redirect::to(&login.next)).into_response()
//! }
//!
//! async fn me(headers: HeaderMap) -> Json<serde_json::Value> {
//!     let cookie = headers.get(header::COOKIE).and_then(|c| c.to_str().ok());
//!     let user = cookie.and_then(|c| c.strip_prefix("user=")).unwrap_or("nobody");
//!     Json(json!({ "user": user }))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/login", get(login_page).post(log_in))
//!     .route("/me", get(me));
//! let client = TestClient::new(app);
//!
//! let page = client.get("/login").await;
//! let res = page
//!     .form_at(0)
//!     .set("user", "alice")
//!     .set("password", "wonderland")
//!     .submit()
//!     .follow_redirects()
//!     .await;
//! assert_eq!(res.url(), "http://localhost/me");
//! res.assert_status(200).assert_json(&json!({ "user": "alice" }));
//! # }
//! ```
//!
//! # Changes
//!
//! - **[`Validate`] knows upgrades**: the answer that switches
//!   protocols (a `101` to an `Upgrade` request, a 2xx to `CONNECT`, as
//!   HTTP/2's extended `CONNECT` of RFC 8441) has no content, so no body
//!   rule and no body time limit applies to it; before, a tunnel body that
//!   never ended failed with `body-timeout`. New rule
//!   [`Rule::ConnectFraming`] (`connect-framing`): a 2xx to `CONNECT`
//!   carries neither `Content-Length` nor `Transfer-Encoding` (RFC 9110
//!   §9.3.6). [`Rule::ALL`] now holds 18 rules.
//! - **WebSockets and server-sent events**: new
//!   [`TestClient::websocket`] returns a [`WebSocketBuilder`] (`header`,
//!   `query`, `protocol`, `client_addr`, `scheme`, `remote_user`,
//!   `extension`, `basic_auth`, `bearer`, `timeout`; `.await` it or call
//!   [`WebSocketBuilder::try_connect`]) that opens a [`TestWebSocket`]
//!   (`send_text`, `send_binary`, `send`, `receive`, `receive_text`,
//!   `receive_binary`, `receive_json`, `receive_close`, `close`, and
//!   `try_` forms). The handshake carries the jar's cookies and runs
//!   through a hyper HTTP/1.1 server connection over an in-memory pipe, so
//!   the app sees hyper's `OnUpgrade` through any layers; its `Set-Cookie`s
//!   go to the jar. Every wait ends after [`DEFAULT_WEBSOCKET_TIMEOUT`]
//!   (5 s) or the builder's `timeout`. New [`TestResponse::events`],
//!   [`TestStream::next_event`], [`TestStream::try_next_event`] and
//!   [`TestStream::event_timeout`] read `text/event-stream` bodies as
//!   [`Event`]s per the WHATWG rules (gzip and deflate undone frame by
//!   frame; [`DEFAULT_EVENT_TIMEOUT`] per event). Re-exported
//!   [`Message`] and [`CloseFrame`] (tungstenite's). New [`TestError`]
//!   variants `Refused`, `WebSocket`, `Timeout` and `EventStream`, and
//!   [`TestError::refused_status`]. New dependencies: `hyper` (client,
//!   server, http1), `hyper-util` (tokio) and `tokio-tungstenite` 0.29
//!   (the version axum 0.8's `ws` uses).
//! - **Forms and links**: new [`Form`], from
//!   [`TestResponse::forms`], [`TestResponse::form`] (by id or name) and
//!   [`TestResponse::form_at`]; read it with [`Form::value`],
//!   [`Form::fields`], [`Form::action`], [`Form::method`]; fill it in with
//!   [`Form::set`], [`Form::set_all`], [`Form::check`], [`Form::uncheck`],
//!   [`Form::file`]; send it with [`Form::submit`] or
//!   [`Form::submit_with`] (a button), which return a [`RequestBuilder`].
//!   New [`TestResponse::links`], [`TestResponse::click`] and
//!   [`TestResponse::click_selector`] follow links. HTML is parsed with
//!   `scraper` (html5ever), a new dependency.
//! - **RFC 6265 to the letter**: the jar parses `Set-Cookie`
//!   itself, per section 5.2, instead of with the `cookie` crate: `Expires`
//!   is read with the cookie-date algorithm of section 5.1.1 (any token
//!   order, two-digit years, range checks; an unreadable date is ignored,
//!   so the cookie lives for the session), a past `Expires` in any
//!   spelling deletes the cookie, and names and values are octets: bytes
//!   above 0x7F are kept and sent back as they came. New
//!   [`TestClient::cookie_bytes`]; [`TestClient::cookie`] and
//!   [`TestClient::cookies`] show non-UTF-8 bytes as U+FFFD. A
//!   `Set-Cookie` without `=` or with an empty name is ignored, said in
//!   [`TestResponse::cookie_notes`].
//!   [`Cookie::expires`] reads `Expires` with the same algorithm (it used
//!   the `cookie` crate's fixed formats).
//! - New assertions: [`TestResponse::assert_header_contains`]
//!   and [`TestResponse::assert_redirect`]. A failed
//!   [`TestResponse::assert_header`] now says what the header holds (or
//!   that it is absent), and a failed [`TestResponse::assert_json`] cuts
//!   the JSON it got to 200 characters (the body excerpt follows).
//! - **Own cookie type**: [`Cookie`], returned by
//!   [`TestResponse::cookie`] and [`TestResponse::cookies`], is this crate's
//!   type instead of a re-export of `cookie::Cookie<'static>` (no lifetime
//!   parameter now). It keeps `name`, `value`, `path`, `domain`, `secure`
//!   and `http_only` as they were; [`Cookie::same_site`] returns
//!   `Option<&str>` (`"Strict"`, `"Lax"`, `"None"`) instead of
//!   `cookie::SameSite`, [`Cookie::max_age`] whole seconds instead of a
//!   `time::Duration`, [`Cookie::expires`] a `SystemTime`; `Display` prints
//!   the `Set-Cookie` value as before.
//! - **`Secure` cookies on loopback**: the jar treats `https` and
//!   plain `http` to `localhost`, `*.localhost`, `127.0.0.0/8` and `[::1]`
//!   as secure contexts, like browsers: `Secure` cookies are kept from and
//!   sent to them. A `Secure` cookie set over plain `http` by another host
//!   is now refused (it was stored but never sent).
//! - New [`TestClient::base_url`]: where origin-form requests go, scheme
//!   and host (default `http://localhost`).
//! - Failure messages end with the cookies the jar held back from the
//!   request and the `Set-Cookie`s it refused (on that response and on
//!   later requests to the same host), with the reason; new
//!   [`TestResponse::cookie_notes`] returns them. Cookies expired by the
//!   clock stay in the jar (unsent) so they can be reported.
//! - Failures point at the test: `.await` on a request returns a
//!   [`TestFuture`] (was `Pin<Box<dyn Future>>`) whose `poll` is
//!   `#[track_caller]`; [`RequestBuilder::stream`] (was an `async fn`),
//!   [`TestStream::next_frame`] and [`TestStream::next_data`] return one
//!   too. `send_blocking`, `basic_auth` and every assertion report the
//!   caller's line.

mod app;
mod body;
mod client;
mod cookie_date;
mod cookies;
mod error;
mod form;
mod future;
pub mod guide;
mod html;
mod jar;
mod logs;
mod multipart;
mod request;
mod response;
mod sse;
mod stream;
mod target;
pub mod validate;
mod websocket;

pub use body::Body;
pub use client::TestClient;
pub use cookies::Cookie;
pub use error::TestError;
pub use form::Form;
pub use future::TestFuture;
pub use logs::LogCapture;
pub use multipart::Multipart;
pub use request::{DEFAULT_MAX_REDIRECTS, RequestBuilder};
pub use response::{IntoStatus, TestResponse};
pub use sse::{DEFAULT_EVENT_TIMEOUT, Event};
pub use stream::TestStream;
/// A WebSocket message, as sent and received by [`TestWebSocket`]
/// (tokio-tungstenite's type, the one axum's `ws` wraps).
pub use tokio_tungstenite::tungstenite::Message;
/// The code and reason of a WebSocket close, from
/// [`TestWebSocket::receive_close`].
pub use tokio_tungstenite::tungstenite::protocol::CloseFrame;
pub use validate::{Rule, Validate, ValidateLayer, Violation};
pub use websocket::{DEFAULT_WEBSOCKET_TIMEOUT, TestWebSocket, WebSocketBuilder};
