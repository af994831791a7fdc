//! A cookie as a response set it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::jar::SetCookie;

/// One `Set-Cookie` header of a response, parsed: see
/// [`TestResponse::cookie`](crate::TestResponse::cookie).
///
/// An attribute the header did not carry is `None`.
///
/// ```
/// # use pastry_testkit::{Body, TestClient};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = tower::service_fn(|_req: http::Request<Body>| async {
///     let res = http::Response::builder()
///         .header("set-cookie", "sid=abc; Path=/app; HttpOnly; SameSite=lax; Max-Age=60")
///         .body(String::new())
///         .unwrap();
///     Ok::<_, std::convert::Infallible>(res)
/// });
/// let res = TestClient::new(app).get("/").await;
/// let cookie = res.cookie("sid").unwrap();
/// assert_eq!(cookie.value(), "abc");
/// assert_eq!(cookie.path(), Some("/app"));
/// assert_eq!(cookie.http_only(), Some(true));
/// assert_eq!(cookie.secure(), None);
/// assert_eq!(cookie.same_site(), Some("Lax"));
/// assert_eq!(cookie.max_age(), Some(60));
/// # }
/// ```
#[derive(Clone, PartialEq)]
pub struct Cookie(cookie::Cookie<'static>, Option<SystemTime>);

impl Cookie {
    /// The cookie in a `Set-Cookie` value, if it parses; `Expires` is read
    /// as the jar reads it (RFC 6265 section 5.1.1).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let expires = SetCookie::parse(text.as_bytes())
            .ok()
            .and_then(|c| c.expires);
        cookie::Cookie::parse(text.to_owned())
            .ok()
            .map(|c| Cookie(c, expires))
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The cookie's value, without surrounding quotes.
    pub fn value(&self) -> &str {
        self.0.value()
    }

    /// The `Path` attribute.
    pub fn path(&self) -> Option<&str> {
        self.0.path()
    }

    /// The `Domain` attribute, without a leading dot.
    pub fn domain(&self) -> Option<&str> {
        self.0.domain()
    }

    /// `Some(true)` when the cookie is `Secure`.
    pub fn secure(&self) -> Option<bool> {
        self.0.secure()
    }

    /// `Some(true)` when the cookie is `HttpOnly`.
    pub fn http_only(&self) -> Option<bool> {
        self.0.http_only()
    }

    /// The `SameSite` attribute, spelled `Strict`, `Lax` or `None` whatever
    /// the case the header used.
    pub fn same_site(&self) -> Option<&'static str> {
        self.0.same_site().map(|same_site| match same_site {
            cookie::SameSite::Strict => "Strict",
            cookie::SameSite::Lax => "Lax",
            cookie::SameSite::None => "None",
        })
    }

    /// The `Max-Age` attribute in whole seconds (zero or less removes the
    /// cookie).
    pub fn max_age(&self) -> Option<i64> {
        self.0.max_age().map(|age| age.whole_seconds())
    }

    /// The `Expires` attribute, as a point in time, read with the
    /// cookie-date algorithm of RFC 6265 section 5.1.1 as the jar reads it
    /// (any token order, two-digit years); `None` when absent or when the
    /// date does not parse, in which case the jar ignores it too. Dates
    /// before 1970 are clamped to the Unix epoch.
    ///
    /// ```
    /// # use std::time::{Duration, UNIX_EPOCH};
    /// # use pastry_testkit::{Body, TestClient};
    /// let app = tower::service_fn(|_req: http::Request<Body>| async {
    ///     let res = http::Response::builder()
    ///         .header("set-cookie", "a=1; Expires=6 Nov 1994 8:49:37")
    ///         .header("set-cookie", "b=1; Expires=soon")
    ///         .body(String::new());
    ///     Ok::<_, std::convert::Infallible>(res.unwrap())
    /// });
    /// let res = TestClient::new(app).get("/").send_blocking();
    /// let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// assert_eq!(res.cookie("a").unwrap().expires(), Some(at));
    /// assert_eq!(res.cookie("b").unwrap().expires(), None);
    /// ```
    pub fn expires(&self) -> Option<SystemTime> {
        self.1.map(|at| at.max(UNIX_EPOCH))
    }
}

impl fmt::Display for Cookie {
    /// The cookie as a `Set-Cookie` value: `name=value` and its attributes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
