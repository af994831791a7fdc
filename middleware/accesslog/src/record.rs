//! One request's entry: what is known when the request comes in, what the
//! response adds, and how it is written.

use std::fmt::Write;
use std::net::IpAddr;
use std::time::{Instant, SystemTime};

use http::header::{REFERER, USER_AGENT};
use http::{Request, Response, Version};
use pastry_core::{Environ, RemoteUser, is_upgrade, is_upgrade_response};

use crate::config::{Config, Format, Sink};
use crate::date::write_clf_date;

/// The response header `catch` puts its error id in.
const ERROR_ID: &str = "x-error-id";

/// Query parameters whose values never reach the log.
const SECRET_PARAMS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "key",
    "code",
    "session",
    "sid",
    "auth",
    "authorization",
    "csrf",
    "csrf_token",
];

pub(crate) struct Entry {
    config: Config,
    started: Instant,
    at: SystemTime,
    client: Option<IpAddr>,
    user: Option<String>,
    method: http::Method,
    target: String,
    version: Version,
    /// The protocol an upgrade asks for: HTTP/2's `:protocol`, or the
    /// HTTP/1.1 `Upgrade` header.
    protocol: Option<String>,
    referer: Option<String>,
    user_agent: Option<String>,
    pub(crate) status: u16,
    error_id: Option<String>,
    pub(crate) bytes: u64,
}

impl Entry {
    pub(crate) fn new<B>(req: &Request<B>, config: &Config) -> Self {
        let max = config.max_field_len;
        let mut target = String::from(req.script_name());
        match req.uri().authority() {
            // A plain CONNECT names only host and port (authority-form).
            Some(authority) if req.uri().path().is_empty() => target.push_str(authority.as_str()),
            _ => target.push_str(req.uri().path()),
        }
        if let Some(query) = req.uri().query() {
            target.push('?');
            push_redacted_query(&mut target, query);
        }
        let header = |name| {
            req.headers().get(name).map(|v: &http::HeaderValue| {
                cut(&redact_url(&String::from_utf8_lossy(v.as_bytes())), max)
            })
        };
        let wants_headers = config.format != Format::Common || matches!(config.sink, Sink::Tracing);
        Self {
            started: config.clock.instant(),
            at: config.clock.now(),
            client: req.client_addr().map(|a| a.ip().to_canonical()),
            user: req.remote_user().map(|u| cut(u, max)),
            method: req.method().clone(),
            target: cut(&target, max),
            version: req.version(),
            protocol: upgrade_protocol(req).map(|p| cut(p, max)),
            referer: if wants_headers { header(REFERER) } else { None },
            user_agent: if wants_headers {
                header(USER_AGENT)
            } else {
                None
            },
            status: 0,
            error_id: None,
            bytes: 0,
            config: config.clone(),
        }
    }

    /// Takes what the response says: status, error id, and the user an
    /// inner auth layer put in the response's extensions.
    pub(crate) fn response<B>(&mut self, res: &Response<B>) {
        self.status = res.status().as_u16();
        self.error_id = res
            .headers()
            .get(ERROR_ID)
            .and_then(|v| v.to_str().ok())
            .map(|id| cut(id, 64));
        if let Some(user) = res.extensions().get::<RemoteUser>() {
            self.user = Some(cut(user.as_str(), self.config.max_field_len));
        }
    }

    /// Whether `status` answering this request switches protocols (a 101,
    /// or a 2xx to CONNECT): the entry is then written with the head.
    pub(crate) fn switches_protocols(&self, status: http::StatusCode) -> bool {
        is_upgrade_response(&self.method, status)
    }

    /// Writes the entry. `completed`: the body reached its end.
    pub(crate) fn emit(self, completed: bool) {
        let duration = self
            .config
            .clock
            .instant()
            .saturating_duration_since(self.started);
        if let Sink::Tracing = self.config.sink {
            tracing::info!(
                target: "pastry_accesslog",
                client = %self.client.map_or_else(|| "-".to_owned(), |c| c.to_string()),
                user = self.user.as_deref().unwrap_or("-"),
                method = %self.method,
                path = %self.target,
                version = ?self.version,
                protocol = self.protocol.as_deref().unwrap_or("-"),
                status = self.status,
                bytes = self.bytes,
                duration_us = duration.as_micros() as u64,
                error_id = self.error_id.as_deref().unwrap_or("-"),
                referer = self.referer.as_deref().unwrap_or("-"),
                user_agent = self.user_agent.as_deref().unwrap_or("-"),
                completed,
                "request"
            );
            return;
        }
        let mut line = String::with_capacity(160);
        match self.client {
            Some(ip) => {
                let _ = write!(line, "{ip}");
            }
            None => line.push('-'),
        }
        line.push_str(" - ");
        match &self.user {
            Some(user) if !user.is_empty() => push_escaped(&mut line, user),
            _ => line.push('-'),
        }
        line.push(' ');
        write_clf_date(&mut line, self.at);
        line.push_str(" \"");
        push_escaped(&mut line, self.method.as_str());
        line.push(' ');
        push_escaped(&mut line, &self.target);
        let _ = write!(line, " {:?}\" {} ", self.version, self.status);
        if self.bytes == 0 {
            line.push('-');
        } else {
            let _ = write!(line, "{}", self.bytes);
        }
        if self.config.format != Format::Common {
            for field in [&self.referer, &self.user_agent] {
                line.push_str(" \"");
                match field {
                    Some(value) => push_escaped(&mut line, value),
                    None => line.push('-'),
                }
                line.push('"');
            }
        }
        if self.config.format == Format::Detailed {
            let _ = write!(line, " {} ", duration.as_micros());
            match &self.error_id {
                Some(id) => push_escaped(&mut line, id),
                None => line.push('-'),
            }
        }
        line.push('\n');
        self.config.sink.write_line(&line);
    }
}

/// The protocol an upgrade request asks for: the `:protocol` of an HTTP/2
/// extended CONNECT (RFC 8441), which hyper hands over as the
/// [`hyper::ext::Protocol`] extension, or the HTTP/1.1 `Upgrade` header.
fn upgrade_protocol<B>(req: &Request<B>) -> Option<&str> {
    if let Some(protocol) = req.extensions().get::<hyper::ext::Protocol>() {
        return Some(protocol.as_str());
    }
    if !is_upgrade(req.method(), req.headers()) {
        return None;
    }
    req.headers()
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
}

/// Apache's escaping: `"` and `\` get a backslash, control and non-ASCII
/// bytes become `\xHH`, so a field can never end the line or the quotes.
fn push_escaped(out: &mut String, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

/// At most `max` bytes of `text`, cut on a character boundary and marked
/// with `...`.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The query with the values of secret-looking parameters replaced.
fn push_redacted_query(out: &mut String, query: &str) {
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => {
                out.push_str(name);
                out.push_str("=[redacted]");
            }
            _ => out.push_str(pair),
        }
    }
}

fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|secret| name == *secret)
        || name.contains("password")
        || name.contains("secret")
        || name.contains("token")
}

/// A URL (a `Referer`) without user info and with secret query values
/// redacted.
fn redact_url(url: &str) -> String {
    let mut base = url.split('#').next().unwrap_or(url).to_owned();
    if let Some(scheme_end) = base.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = base[rest_start..]
            .find(['/', '?'])
            .map_or(base.len(), |i| rest_start + i);
        if let Some(at) = base[rest_start..authority_end].rfind('@') {
            base.replace_range(rest_start..rest_start + at + 1, "");
        }
    }
    let mut out = String::with_capacity(base.len());
    match base.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            push_redacted_query(&mut out, query);
        }
        None => out.push_str(&base),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_a_field_inside_its_quotes() {
        let mut out = String::new();
        push_escaped(&mut out, "a\"b\\c\nd\u{e9}");
        assert_eq!(out, "a\\\"b\\\\c\\x0ad\\xc3\\xa9");
    }

    #[test]
    fn secret_query_values_are_redacted() {
        let mut out = String::new();
        push_redacted_query(&mut out, "q=rust&password=hunter2&API_KEY=k&x&resetToken=t");
        assert_eq!(
            out,
            "q=rust&password=[redacted]&API_KEY=[redacted]&x&resetToken=[redacted]"
        );
    }

    #[test]
    fn referers_lose_user_info_fragments_and_secrets() {
        assert_eq!(
            redact_url("https://bob:hunter2@example.com/p?token=abc&q=1#frag"),
            "https://example.com/p?token=[redacted]&q=1"
        );
        assert_eq!(redact_url("/local?x=1"), "/local?x=1");
    }

    #[test]
    fn long_fields_are_cut_on_a_character_boundary() {
        assert_eq!(cut("abcdef", 4), "abcd...");
        assert_eq!(cut("é", 1), "...");
        assert_eq!(cut("abc", 4), "abc");
    }
}
