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
//! [`next_frame`](crate::TestStream::next_frame).
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
