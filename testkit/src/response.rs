//! `TestResponse`: a whole response, read and decoded, with assertions.

use std::fmt;
use std::io::Read;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap};
use http::{Extensions, Method, Response, StatusCode};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::AppBody;
use crate::error::TestError;
use crate::form::Form;
use crate::html;
use crate::sse::{EventParser, check_event_stream};
use crate::target::Target;
use crate::{Cookie, Event, RequestBuilder, TestClient};

/// How much of the body failure messages show.
const BODY_PREVIEW: usize = 800;

/// A status given as a number (`404`) or a [`StatusCode`].
pub trait IntoStatus {
    /// The status; panics if the number is not a valid status.
    fn into_status(self) -> StatusCode;
}

impl IntoStatus for StatusCode {
    fn into_status(self) -> StatusCode {
        self
    }
}

impl IntoStatus for u16 {
    #[track_caller]
    fn into_status(self) -> StatusCode {
        match StatusCode::from_u16(self) {
            Ok(status) => status,
            Err(_) => panic!("{self} is not an HTTP status"),
        }
    }
}

impl IntoStatus for i32 {
    #[track_caller]
    fn into_status(self) -> StatusCode {
        match u16::try_from(self)
            .ok()
            .and_then(|n| StatusCode::from_u16(n).ok())
        {
            Some(status) => status,
            None => panic!("{self} is not an HTTP status"),
        }
    }
}

/// Which statuses a request accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Expect {
    Success,
    Status(StatusCode),
    Failure,
    Any,
}

impl Expect {
    pub(crate) fn check(self, res: &TestResponse) -> Result<(), TestError> {
        match self.unmet(res.status()) {
            None => Ok(()),
            Some(wanted) => Err(TestError::Status(
                res.failure(&format!("expected {wanted}, got {}", res.status())),
            )),
        }
    }

    pub(crate) fn check_head(
        self,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<(), TestError> {
        match self.unmet(status) {
            None => Ok(()),
            Some(wanted) => Err(TestError::Status(format!(
                "expected {wanted}, got {status}\n{}",
                describe_head(status, headers)
            ))),
        }
    }

    fn unmet(self, status: StatusCode) -> Option<String> {
        let ok = match self {
            Expect::Success => status.is_success() || status.is_redirection(),
            Expect::Status(wanted) => status == wanted,
            Expect::Failure => status.is_client_error() || status.is_server_error(),
            Expect::Any => true,
        };
        (!ok).then(|| match self {
            Expect::Success => "a 2xx or 3xx status".to_owned(),
            Expect::Status(wanted) => format!("status {wanted}"),
            Expect::Failure => "a 4xx or 5xx status (expect_failure)".to_owned(),
            Expect::Any => unreachable!(),
        })
    }
}

/// A response read to its end: status, headers, the body as sent and as a
/// browser would see it, its frames and trailers.
///
/// Reading methods (`text`, `json`, …) and `assert_*` helpers panic with a
/// message that shows the status, the headers and the start of the body.
///
/// ```
/// use std::convert::Infallible;
/// use http::Response;
/// use pastry_testkit::{Body, TestClient};
///
/// let app = tower::service_fn(|_req: http::Request<Body>| async {
///     let res = Response::builder()
///         .header("content-type", "application/json")
///         .body(r#"{"n":1}"#.to_owned());
///     Ok::<_, Infallible>(res.unwrap())
/// });
/// let res = TestClient::new(app).get("/n").send_blocking();
/// res.assert_status(200)
///     .assert_header("content-type", "application/json")
///     .assert_text_contains("\"n\"")
///     .assert_json(&serde_json::json!({"n": 1}));
/// assert_eq!(res.json::<serde_json::Value>()["n"], 1);
/// ```
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    extensions: Extensions,
    frames: Vec<Bytes>,
    raw: Bytes,
    decoded: Result<Bytes, String>,
    trailers: Option<HeaderMap>,
    url: String,
    pub(crate) history: Vec<TestResponse>,
    /// Why the jar held cookies back from this request or refused the
    /// response's `Set-Cookie`s.
    pub(crate) cookie_notes: Vec<String>,
    /// The client that got this response, to submit its forms and follow
    /// its links.
    pub(crate) client: Option<TestClient>,
}

impl TestResponse {
    pub(crate) async fn collect(
        res: Response<AppBody>,
        method: &Method,
        url: String,
    ) -> Result<Self, TestError> {
        let (parts, mut body) = res.into_parts();
        let mut frames = Vec::new();
        let mut trailers = None;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| match TestError::from_body(e) {
                TestError::Violation(v) => TestError::Violation(
                    v.with_context(&describe_head(parts.status, &parts.headers)),
                ),
                other => other,
            })?;
            match frame.into_data() {
                Ok(data) => frames.push(data),
                Err(frame) => {
                    if let Ok(t) = frame.into_trailers() {
                        match &mut trailers {
                            None => trailers = Some(t),
                            Some(all) => all.extend(t),
                        }
                    }
                }
            }
        }
        let raw = concat(&frames);
        let decoded = if *method == Method::HEAD {
            Ok(raw.clone())
        } else {
            decode(&parts.headers, &raw)
        };
        Ok(Self {
            status: parts.status,
            headers: parts.headers,
            extensions: parts.extensions,
            frames,
            raw,
            decoded,
            trailers,
            url,
            history: Vec::new(),
            cookie_notes: Vec::new(),
            client: None,
        })
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// All headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name`, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of header `name` that is visible ASCII.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The response extensions the app left.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// The absolute URL of the request that got this response (the last
    /// hop when redirects were followed).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The body as a browser sees it: decoded per `Content-Encoding`
    /// (`gzip`, `x-gzip`, `deflate`, `identity`, in the order applied).
    ///
    /// # Panics
    /// If the body does not decode, or uses another coding.
    #[track_caller]
    pub fn bytes(&self) -> Bytes {
        match &self.decoded {
            Ok(bytes) => bytes.clone(),
            Err(e) => panic!("{}", self.failure(e)),
        }
    }

    /// The decoded body as UTF-8 text.
    ///
    /// # Panics
    /// If the body does not decode or is not UTF-8.
    #[track_caller]
    pub fn text(&self) -> String {
        match String::from_utf8(self.bytes().to_vec()) {
            Ok(text) => text,
            Err(e) => panic!("{}", self.failure(&format!("body is not UTF-8: {e}"))),
        }
    }

    /// The decoded body read as server-sent events, as a browser's
    /// `EventSource` reads a `text/event-stream` (see [`Event`] for an
    /// example). An event the body ends in the middle of is dropped. To
    /// read an endless stream event by event, use
    /// [`RequestBuilder::stream`] and [`TestStream::next_event`](crate::TestStream::next_event).
    ///
    /// # Panics
    /// If the response is not `text/event-stream` or its body does not
    /// decode.
    #[track_caller]
    pub fn events(&self) -> Vec<Event> {
        if let Err(message) = check_event_stream(&self.headers) {
            panic!("{}", self.failure(&message));
        }
        EventParser::parse(&self.bytes())
    }

    /// The decoded body parsed as JSON.
    ///
    /// # Panics
    /// If the body is not JSON for a `T`.
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(&self.bytes()) {
            Ok(value) => value,
            Err(e) => panic!(
                "{}",
                self.failure(&format!("body is not the JSON expected: {e}"))
            ),
        }
    }

    /// The body bytes exactly as the app produced them (still compressed).
    pub fn raw_bytes(&self) -> Bytes {
        self.raw.clone()
    }

    /// The data frames as the app produced them, in order.
    pub fn frames(&self) -> &[Bytes] {
        &self.frames
    }

    /// The trailers, if the body ended with any.
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// The cookies of every `Set-Cookie` header that parses.
    pub fn cookies(&self) -> Vec<Cookie> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(Cookie::parse)
            .collect()
    }

    /// The cookie called `name` set by this response, if any.
    pub fn cookie(&self, name: &str) -> Option<Cookie> {
        self.cookies().into_iter().find(|c| c.name() == name)
    }

    /// The responses to earlier hops when redirects were followed, first
    /// hop first; empty otherwise.
    pub fn history(&self) -> &[TestResponse] {
        &self.history
    }

    /// Asserts the status.
    #[track_caller]
    pub fn assert_status(&self, status: impl IntoStatus) -> &Self {
        let wanted = status.into_status();
        if self.status != wanted {
            panic!(
                "{}",
                self.failure(&format!("expected status {wanted}, got {}", self.status))
            );
        }
        self
    }

    /// Asserts that header `name` has `value` (among its values).
    #[track_caller]
    pub fn assert_header(&self, name: &str, value: &str) -> &Self {
        if !self.header_all(name).contains(&value) {
            panic!(
                "{}",
                self.failure(&format!(
                    "expected header {name}: {value}, {}",
                    self.header_values(name)
                ))
            );
        }
        self
    }

    /// Asserts that header `name` is absent.
    #[track_caller]
    pub fn assert_no_header(&self, name: &str) -> &Self {
        if self.headers.contains_key(name) {
            panic!("{}", self.failure(&format!("expected no {name} header")));
        }
        self
    }

    /// Asserts that the decoded text contains `needle`.
    #[track_caller]
    pub fn assert_text_contains(&self, needle: &str) -> &Self {
        if !self.text().contains(needle) {
            panic!(
                "{}",
                self.failure(&format!("expected the body to contain {needle:?}"))
            );
        }
        self
    }

    /// Asserts that the decoded body is JSON equal to `expected`.
    #[track_caller]
    pub fn assert_json<T: Serialize + ?Sized>(&self, expected: &T) -> &Self {
        let expected = match serde_json::to_value(expected) {
            Ok(expected) => expected,
            Err(e) => panic!("cannot serialise the expected JSON: {e}"),
        };
        let actual: serde_json::Value = self.json();
        if actual != expected {
            panic!(
                "{}",
                self.failure(&format!(
                    "expected JSON {expected}, got {}",
                    excerpt(&actual.to_string())
                ))
            );
        }
        self
    }

    /// Asserts that header `name` has a value containing `needle`.
    ///
    /// ```
    /// # use pastry_testkit::{Body, TestClient};
    /// # let app = tower::service_fn(|_req: http::Request<Body>| async {
    /// #     let res = http::Response::builder().header("content-type", "text/html; charset=utf-8");
    /// #     Ok::<_, std::convert::Infallible>(res.body(String::new()).unwrap())
    /// # });
    /// let res = TestClient::new(app).get("/").send_blocking();
    /// res.assert_header_contains("content-type", "text/html");
    /// ```
    #[track_caller]
    pub fn assert_header_contains(&self, name: &str, needle: &str) -> &Self {
        if !self.header_all(name).iter().any(|v| v.contains(needle)) {
            panic!(
                "{}",
                self.failure(&format!(
                    "expected header {name} to contain {needle:?}, {}",
                    self.header_values(name)
                ))
            );
        }
        self
    }

    /// Asserts a redirect (3xx) whose `Location` is `location`, as sent.
    ///
    /// ```
    /// # use pastry_testkit::{Body, TestClient};
    /// # let app = tower::service_fn(|_req: http::Request<Body>| async {
    /// #     let res = http::Response::builder().status(303).header("location", "/home");
    /// #     Ok::<_, std::convert::Infallible>(res.body(String::new()).unwrap())
    /// # });
    /// TestClient::new(app).get("/").send_blocking().assert_redirect("/home");
    /// ```
    #[track_caller]
    pub fn assert_redirect(&self, location: &str) -> &Self {
        if !self.status.is_redirection() || self.header("location") != Some(location) {
            panic!(
                "{}",
                self.failure(&format!(
                    "expected a redirect to {location}, got {}, {}",
                    self.status,
                    self.header_values("location").trim_start_matches("but ")
                ))
            );
        }
        self
    }

    /// `header x: a, b` or `no x header`, for messages.
    fn header_values(&self, name: &str) -> String {
        let values: Vec<String> = self
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if values.is_empty() {
            format!("but there is no {name} header")
        } else {
            format!("but {name} is {values:?}")
        }
    }

    /// The page's URL as a request target.
    fn target(&self) -> Target {
        Target::parse(&self.url).unwrap_or_else(|_| {
            Target::parse("/").unwrap_or_else(|e| unreachable!("`/` is a target: {e}"))
        })
    }

    /// Every HTML form of the body, in document order, ready to be filled
    /// in and submitted (see [`Form`]).
    ///
    /// # Panics
    /// If the body is not text.
    #[track_caller]
    pub fn forms(&self) -> Vec<Form> {
        let doc = scraper::Html::parse_document(&self.text());
        html::forms(&doc, &self.target(), self.client.clone())
    }

    /// The form whose `id`, else whose `name`, is `id_or_name`.
    ///
    /// ```
    /// # use pastry_testkit::{Body, TestClient};
    /// # let app = tower::service_fn(|_req: http::Request<Body>| async {
    /// #     let page = r#"<form id="search" action="/find"><input name="q"></form>"#;
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(page.to_owned()))
    /// # });
    /// let page = TestClient::new(app).get("/").send_blocking();
    /// let form = page.form("search").set("q", "tea");
    /// assert_eq!(form.submit().send_blocking().url(), "http://localhost/find?q=tea");
    /// ```
    ///
    /// # Panics
    /// If there is none; the message lists the page's forms, then the
    /// response (status, headers, the start of the body).
    #[track_caller]
    pub fn form(&self, id_or_name: &str) -> Form {
        let forms = self.forms();
        let found = forms
            .iter()
            .position(|f| f.id() == Some(id_or_name))
            .or_else(|| forms.iter().position(|f| f.name() == Some(id_or_name)));
        match found {
            Some(i) => forms.into_iter().nth(i).unwrap_or_else(|| unreachable!()),
            None => panic!(
                "{}",
                self.failure(&format!(
                    "no form has the id or name {id_or_name:?}; {}",
                    describe_forms(&forms)
                ))
            ),
        }
    }

    /// The form at `index` among the page's forms (0 is the first).
    ///
    /// # Panics
    /// If the page has fewer forms; the message lists them.
    #[track_caller]
    pub fn form_at(&self, index: usize) -> Form {
        let forms = self.forms();
        if index >= forms.len() {
            panic!(
                "{}",
                self.failure(&format!(
                    "there is no form #{index}; {}",
                    describe_forms(&forms)
                ))
            );
        }
        forms
            .into_iter()
            .nth(index)
            .unwrap_or_else(|| unreachable!())
    }

    /// The page's links (`<a href>`, `<area href>`) as `(text, href)`, in
    /// document order, the text with whitespace collapsed and the `href` as
    /// written.
    #[track_caller]
    pub fn links(&self) -> Vec<(String, String)> {
        let doc = scraper::Html::parse_document(&self.text());
        html::links(&doc)
            .into_iter()
            .map(|link| (link.text, link.href))
            .collect()
    }

    /// A `GET` of the link whose text is `text` (whitespace collapsed), or
    /// failing that the first whose text contains it, resolved against the
    /// page's URL (or its `<base href>`). Send it like any request.
    ///
    /// ```
    /// # use pastry_testkit::{Body, TestClient};
    /// # let app = tower::service_fn(|req: http::Request<Body>| async move {
    /// #     let page = format!(r#"<p>at {}</p><a href="../help#top">Get  help</a>"#, req.uri());
    /// #     Ok::<_, std::convert::Infallible>(http::Response::new(page))
    /// # });
    /// let client = TestClient::new(app);
    /// let page = client.get("/docs/intro").send_blocking();
    /// let help = page.click("Get help").send_blocking();
    /// assert_eq!(help.url(), "http://localhost/help");
    /// ```
    ///
    /// # Panics
    /// If no link matches; the message lists the page's links.
    #[track_caller]
    pub fn click(&self, text: &str) -> RequestBuilder {
        let doc = scraper::Html::parse_document(&self.text());
        let links = html::links(&doc);
        let found = links
            .iter()
            .find(|l| l.text == text)
            .or_else(|| links.iter().find(|l| l.text.contains(text)));
        match found {
            Some(link) => self.follow(&doc, &link.href),
            None => panic!(
                "{}",
                self.failure(&format!(
                    "no link's text is or contains {text:?}; {}",
                    describe_links(&links)
                ))
            ),
        }
    }

    /// A `GET` of the `href` of the first element matching the CSS
    /// selector `css` (`a.next`, `#logout`, `nav a[href$=".pdf"]`).
    ///
    /// # Panics
    /// If the selector does not parse, or no element with an `href`
    /// matches it; the message lists the page's links.
    #[track_caller]
    pub fn click_selector(&self, css: &str) -> RequestBuilder {
        let selector = match scraper::Selector::parse(css) {
            Ok(selector) => selector,
            Err(e) => panic!("{css:?} is not a CSS selector: {e}"),
        };
        let doc = scraper::Html::parse_document(&self.text());
        let href = doc
            .select(&selector)
            .find_map(|el| el.value().attr("href").map(|h| h.trim().to_owned()));
        match href {
            Some(href) => self.follow(&doc, &href),
            None => panic!(
                "{}",
                self.failure(&format!(
                    "no element with an href matches {css:?}; {}",
                    describe_links(&html::links(&doc))
                ))
            ),
        }
    }

    #[track_caller]
    fn follow(&self, doc: &scraper::Html, href: &str) -> RequestBuilder {
        let Some(client) = &self.client else {
            panic!("this response has no client to follow its links with");
        };
        let base = html::base_url(doc, &self.target());
        match base.resolve(href) {
            Ok(next) => client.get(next.to_string()),
            Err(e) => panic!("{}", self.failure(&format!("cannot follow {href:?}: {e}"))),
        }
    }

    /// Why the cookie jar held cookies back from this request (`Secure`
    /// over plain `http` to a host that is not loopback, another host or
    /// path, expired) or refused this response's `Set-Cookie`s, one line
    /// each; empty when every cookie went and every `Set-Cookie` was kept.
    /// Failure messages end with these lines.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http::Response;
    /// use pastry_testkit::{Body, TestClient};
    ///
    /// let app = tower::service_fn(|_req: http::Request<Body>| async {
    ///     let res = Response::builder().header("set-cookie", "id=1; Secure").body(String::new());
    ///     Ok::<_, Infallible>(res.unwrap())
    /// });
    /// let client = TestClient::new(app);
    /// client.get("https://shop.example/").send_blocking();
    /// let res = client.get("http://shop.example/").send_blocking();
    /// assert!(res.cookie_notes()[0].contains("`id` is Secure"));
    /// ```
    pub fn cookie_notes(&self) -> &[String] {
        &self.cookie_notes
    }

    /// A failure message: what went wrong, then status, headers, the
    /// start of the body and what the cookie jar held back.
    pub(crate) fn failure(&self, what: &str) -> String {
        let body = match &self.decoded {
            Ok(bytes) => bytes,
            Err(_) => &self.raw,
        };
        let preview = &body[..body.len().min(BODY_PREVIEW)];
        let more = if body.len() > BODY_PREVIEW {
            " …"
        } else {
            ""
        };
        format!(
            "{what}\n  for {}\n{}\n  body ({} bytes): {}{more}{}",
            self.url,
            describe_head(self.status, &self.headers),
            body.len(),
            String::from_utf8_lossy(preview),
            describe_cookie_notes(&self.cookie_notes),
        )
    }
}

impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestResponse")
            .field("url", &self.url)
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.raw.len())
            .finish_non_exhaustive()
    }
}

/// `text` cut to 200 characters, for messages.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{} …", &text[..at]),
        None => text.to_owned(),
    }
}

/// The page's forms, for messages.
fn describe_forms(forms: &[Form]) -> String {
    if forms.is_empty() {
        return "the page has no <form>".to_owned();
    }
    let titles: Vec<String> = forms.iter().map(Form::title).collect();
    format!("the page's forms: {}", titles.join(", "))
}

/// The page's links, for messages.
fn describe_links(links: &[html::Link]) -> String {
    if links.is_empty() {
        return "the page has no links".to_owned();
    }
    let all: Vec<String> = links
        .iter()
        .map(|l| format!("{:?} -> {}", l.text, l.href))
        .collect();
    format!("the page's links: {}", all.join(", "))
}

/// The cookie jar's notes as the last lines of a failure message.
pub(crate) fn describe_cookie_notes(notes: &[String]) -> String {
    let mut out = String::new();
    if !notes.is_empty() {
        out.push_str("\n  cookie jar:");
    }
    for note in notes {
        out.push_str("\n    ");
        out.push_str(note);
    }
    out
}

pub(crate) fn describe_head(status: StatusCode, headers: &HeaderMap) -> String {
    let mut out = format!("  status: {status}\n  headers:");
    if headers.is_empty() {
        out.push_str(" (none)");
    }
    for (name, value) in headers {
        out.push_str(&format!(
            "\n    {name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    out
}

fn concat(frames: &[Bytes]) -> Bytes {
    match frames {
        [] => Bytes::new(),
        [one] => one.clone(),
        many => {
            let mut all = BytesMut::with_capacity(many.iter().map(Bytes::len).sum());
            for frame in many {
                all.extend_from_slice(frame);
            }
            all.freeze()
        }
    }
}

/// Undoes every content coding, last applied first.
pub(crate) fn decode(headers: &HeaderMap, raw: &Bytes) -> Result<Bytes, String> {
    let codings: Vec<String> = headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    let mut body = raw.clone();
    for coding in codings.iter().rev() {
        body = match coding.as_str() {
            "identity" => body,
            "gzip" | "x-gzip" => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .map_err(|e| format!("body does not decode as gzip: {e}"))?;
                Bytes::from(out)
            }
            "deflate" => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .map_err(|e| format!("body does not decode as deflate: {e}"))?;
                Bytes::from(out)
            }
            other => return Err(format!("cannot decode Content-Encoding {other:?}")),
        };
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Bytes {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        Bytes::from(enc.finish().unwrap())
    }

    #[test]
    fn gzip_body_is_decoded() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        assert_eq!(decode(&headers, &gzip(b"hello")).unwrap(), "hello");
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        assert!(decode(&headers, &Bytes::from_static(b"plain")).is_err());
    }

    #[test]
    fn unknown_coding_is_an_error_and_identity_is_not() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, "identity".parse().unwrap());
        assert_eq!(decode(&headers, &Bytes::from_static(b"x")).unwrap(), "x");
        headers.insert(header::CONTENT_ENCODING, "br".parse().unwrap());
        assert!(decode(&headers, &Bytes::from_static(b"x")).is_err());
    }

    #[test]
    fn statuses_convert_from_numbers() {
        assert_eq!(404.into_status(), StatusCode::NOT_FOUND);
        assert_eq!(204u16.into_status(), StatusCode::NO_CONTENT);
    }
}
