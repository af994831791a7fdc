//! The default error page, in HTML, JSON or plain text by `Accept`.

use std::fmt::Write as _;

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE, VARY,
    X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderName, HeaderValue, Response};
use pastry_core::header::{Quality, media_quality};
use pastry_core::html_escape;

use crate::failure::{Failure, RequestInfo};

/// The format of the default error page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Html,
    Json,
    Text,
}

/// Picks the page format: JSON when `Accept` gives `application/json` a
/// higher quality than `text/html`, plain text when it gives `text/plain` a
/// higher quality than both, HTML otherwise (ties and no `Accept` included).
pub(crate) fn negotiate<'a, I>(accept: I) -> Format
where
    I: IntoIterator<Item = &'a HeaderValue>,
    I::IntoIter: Clone,
{
    let accept = accept.into_iter();
    let quality = |media| media_quality(accept.clone(), media).map_or(0, Quality::thousandths);
    let html = quality("text/html");
    let json = quality("application/json");
    let text = quality("text/plain");
    if json > html && json >= text {
        Format::Json
    } else if text > html && text > json {
        Format::Text
    } else {
        Format::Html
    }
}

impl RequestInfo {
    pub(crate) fn format(&self) -> Format {
        negotiate(self.accept())
    }
}

/// Header names whose values never appear on a page.
const REDACTED: [HeaderName; 4] = [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, SET_COOKIE];

/// The request headers as `(name, value)` text, with credential values
/// replaced by `[redacted]` and non-UTF-8 bytes replaced.
pub(crate) fn redacted_headers(headers: &HeaderMap) -> Vec<(&str, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if REDACTED.contains(name) {
                "[redacted]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str(), shown)
        })
        .collect()
}

/// Renders the default page for `failure`.
pub(crate) fn render(failure: &Failure, format: Format, debug: bool) -> Response<Bytes> {
    let (content_type, body) = match format {
        Format::Html => ("text/html; charset=utf-8", html(failure, debug)),
        Format::Json => ("application/json", json(failure, debug)),
        Format::Text => ("text/plain; charset=utf-8", text(failure, debug)),
    };
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = failure.status();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(VARY, HeaderValue::from_static("accept"));
    response
}

fn title(failure: &Failure) -> String {
    let status = failure.status();
    format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    )
}

fn html(failure: &Failure, debug: bool) -> String {
    let title = title(failure);
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<p>Error id: <code>{}</code></p>\n",
        failure.id()
    );
    if debug {
        let kind = if failure.panic_message().is_some() {
            "Panic"
        } else {
            "Error"
        };
        let _ = writeln!(
            page,
            "<h2>{kind} (caught in {})</h2>\n<ol>",
            failure.phase()
        );
        for message in failure.chain() {
            let _ = writeln!(page, "<li><pre>{}</pre></li>", html_escape(&message));
        }
        page.push_str("</ol>\n");
        if let Some(location) = failure.location() {
            let _ = writeln!(page, "<p>At <code>{}</code></p>", html_escape(location));
        }
        page.push_str("<h2>Backtrace</h2>\n");
        match failure.backtrace() {
            Some(backtrace) => {
                let _ = writeln!(page, "<pre>{}</pre>", html_escape(&backtrace.to_string()));
            }
            None => page.push_str(
                "<p>Not recorded. Call <code>pastry_catch::capture_backtraces()</code> at start-up to record panic backtraces.</p>\n",
            ),
        }
        let _ = writeln!(
            page,
            "<h2>Request</h2>\n<p><code>{} {}</code></p>\n<table>",
            html_escape(failure.method().as_str()),
            html_escape(&failure.uri().to_string())
        );
        for (name, value) in redacted_headers(failure.headers()) {
            let _ = writeln!(
                page,
                "<tr><th>{}</th><td><code>{}</code></td></tr>",
                html_escape(name),
                html_escape(&value)
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("</body>\n</html>\n");
    page
}

fn json(failure: &Failure, debug: bool) -> String {
    let status = failure.status();
    let mut value = serde_json::json!({
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "id": failure.id().to_string(),
    });
    if debug {
        let headers: Vec<_> = redacted_headers(failure.headers())
            .into_iter()
            .map(|(name, value)| serde_json::json!([name, value]))
            .collect();
        value["phase"] = failure.phase().as_str().into();
        value["panic"] = failure.panic_message().is_some().into();
        value["chain"] = failure.chain().into();
        value["location"] = failure.location().into();
        value["backtrace"] = failure.backtrace().map(ToString::to_string).into();
        value["request"] = serde_json::json!({
            "method": failure.method().as_str(),
            "uri": failure.uri().to_string(),
            "headers": headers,
        });
    }
    value.to_string()
}

fn text(failure: &Failure, debug: bool) -> String {
    let mut page = format!("{}\nError id: {}\n", title(failure), failure.id());
    if debug {
        let kind = if failure.panic_message().is_some() {
            "Panic"
        } else {
            "Error"
        };
        let _ = writeln!(page, "\n{kind} (caught in {}):", failure.phase());
        for message in failure.chain() {
            let _ = writeln!(page, "  {message}");
        }
        if let Some(location) = failure.location() {
            let _ = writeln!(page, "At {location}");
        }
        if let Some(backtrace) = failure.backtrace() {
            let _ = writeln!(page, "\nBacktrace:\n{backtrace}");
        }
        let _ = writeln!(page, "\nRequest: {} {}", failure.method(), failure.uri());
        for (name, value) in redacted_headers(failure.headers()) {
            let _ = writeln!(page, "  {name}: {value}");
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::{Cause, Phase};
    use http::{Request, StatusCode};

    fn hv(text: &'static str) -> HeaderValue {
        HeaderValue::from_static(text)
    }

    fn failure(message: &str, headers: &[(&'static str, &'static str)]) -> Failure {
        let mut req = Request::get("/posts/1?a=1&b=2");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let info = RequestInfo::capture(&req.body(()).unwrap(), true);
        let cause = Cause::Panic {
            message: message.to_owned(),
            location: None,
            backtrace: None,
        };
        Failure::new(Phase::Future, cause, info)
    }

    fn body(res: &Response<Bytes>) -> &str {
        std::str::from_utf8(res.body()).unwrap()
    }

    #[test]
    fn negotiation_follows_accept() {
        assert_eq!(negotiate([] as [&HeaderValue; 0]), Format::Html);
        assert_eq!(negotiate([&hv("*/*")]), Format::Html);
        assert_eq!(negotiate([&hv("application/json")]), Format::Json);
        assert_eq!(negotiate([&hv("text/plain")]), Format::Text);
        assert_eq!(
            negotiate([&hv("text/html, application/json")]),
            Format::Html
        );
        assert_eq!(
            negotiate([&hv("text/html;q=0.5, application/json")]),
            Format::Json
        );
        assert_eq!(
            negotiate([&hv("application/*, text/html;q=0.9")]),
            Format::Json
        );
        assert_eq!(
            negotiate([&hv("text/*;q=0.9, text/html;q=0.1")]),
            Format::Text
        );
        assert_eq!(negotiate([&hv("image/png")]), Format::Html);
        assert_eq!(negotiate([&hv("application/json;q=bogus")]), Format::Html);
        assert_eq!(
            negotiate([&hv("text/plain;q=0.2"), &hv("application/json;q=0.2")]),
            Format::Json
        );
    }

    #[test]
    fn production_pages_show_only_status_reason_and_id() {
        let failure = failure("secret panic text", &[("authorization", "Bearer t0ken")]);
        for format in [Format::Html, Format::Json, Format::Text] {
            let res = render(&failure, format, false);
            let page = body(&res);
            assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(page.contains("Internal Server Error"), "{format:?}");
            assert!(page.contains(&failure.id().to_string()), "{format:?}");
            assert!(!page.contains("secret panic text"), "{format:?}");
            assert!(!page.contains("/posts"), "{format:?}");
        }
    }

    #[test]
    fn production_json_has_exactly_status_error_and_id() {
        let failure = failure("boom", &[]);
        let res = render(&failure, Format::Json, false);
        let value: serde_json::Value = serde_json::from_str(body(&res)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"status": 500, "error": "Internal Server Error", "id": failure.id().to_string()})
        );
        assert_eq!(res.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn debug_html_escapes_the_message_and_the_request() {
        let failure = failure("<script>alert('x')</script>", &[("x-note", "<b>&")]);
        let res = render(&failure, Format::Html, true);
        let page = body(&res);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(page.contains("&lt;b&gt;&amp;"));
        assert!(page.contains("<code>GET /posts/1?a=1&amp;b=2</code>"));
    }

    #[test]
    fn debug_pages_redact_credentials() {
        let failure = failure(
            "boom",
            &[
                ("authorization", "Basic YWxpY2U6aHVudGVyMg=="),
                ("proxy-authorization", "Basic c2VjcmV0"),
                ("cookie", "sid=abcdef123456"),
                ("set-cookie", "sid=abcdef123456"),
                ("user-agent", "probe/1.0"),
            ],
        );
        for format in [Format::Html, Format::Json, Format::Text] {
            let res = render(&failure, format, true);
            let page = body(&res);
            assert!(!page.contains("YWxpY2U6aHVudGVyMg"), "{format:?}");
            assert!(!page.contains("c2VjcmV0"), "{format:?}");
            assert!(!page.contains("abcdef123456"), "{format:?}");
            assert!(page.contains("[redacted]"), "{format:?}");
            assert!(page.contains("probe/1.0"), "{format:?}");
            assert!(page.contains("boom"), "{format:?}");
        }
    }

    #[test]
    fn pages_are_not_cached_and_vary_on_accept() {
        let res = render(&failure("boom", &[]), Format::Text, false);
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
        assert_eq!(res.headers()[VARY], "accept");
        assert_eq!(res.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
    }
}
