//! A cookie as a response set it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
pub struct Cookie(cookie::Cookie<'static>);

impl Cookie {
    /// The cookie in a `Set-Cookie` value, if it parses.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        cookie::Cookie::parse(text.to_owned()).ok().map(Cookie)
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

    /// The `Expires` attribute, as a point in time (clamped to the Unix
    /// epoch).
    pub fn expires(&self) -> Option<SystemTime> {
        self.0.expires_datetime().map(|at| {
            let secs = u64::try_from(at.unix_timestamp()).unwrap_or(0);
            UNIX_EPOCH + Duration::from_secs(secs)
        })
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
