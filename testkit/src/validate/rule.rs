//! The rules `Validate` checks, and the error naming the one broken.

use std::fmt;

/// A rule [`Validate`](crate::Validate) checks. Its [`id`](Rule::id) is the
/// name failure messages use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// A final response's status is not 1xx (101 is allowed when the
    /// request asked for an `Upgrade`).
    FinalStatus,
    /// Responses to `HEAD`, and 204 and 304 responses, carry no body.
    NoBody,
    /// A 204 response has no `Content-Length`.
    NoContentLengthOn204,
    /// `Content-Length` is a single non-negative decimal number.
    ContentLengthSyntax,
    /// `Content-Length`, on a response with a body, equals the bytes sent.
    ContentLengthMatchesBody,
    /// `Content-Length` and `Transfer-Encoding` never appear together.
    ContentLengthWithTransferEncoding,
    /// Header values hold no CR, LF or NUL.
    HeaderValue,
    /// `Content-Type`, `Content-Length`, `Location` and `Content-Encoding`
    /// appear at most once.
    SingleValuedHeader,
    /// A `Content-Encoding: gzip` body really is gzip.
    GzipDecodes,
    /// A response encoded for a request carrying `Accept-Encoding` says
    /// `Vary: Accept-Encoding` (or `Vary: *`).
    VaryAcceptEncoding,
    /// Every `Set-Cookie` parses as a cookie.
    SetCookieParses,
    /// `Location` is a valid URI reference (RFC 3986).
    LocationSyntax,
    /// The response future resolves within the time limit.
    ResponseTimeout,
    /// The body ends within the time limit after the response head.
    BodyTimeout,
    /// The service is called only after `poll_ready` returned ready.
    PollReadyBeforeCall,
    /// The body's `size_hint` (which a server may turn into a
    /// `Content-Length`) brackets the bytes it really produces.
    SizeHint,
    /// A body whose `is_end_stream` said it had ended yields no more
    /// frames (a server may stop polling it there).
    EndStream,
    /// A 2xx answering `CONNECT` (a tunnel, or HTTP/2's extended `CONNECT`
    /// that opens a WebSocket, RFC 8441) carries neither `Content-Length`
    /// nor `Transfer-Encoding` (RFC 9110 §9.3.6; hyper resets the HTTP/2
    /// stream when its `Content-Length` is not 0).
    ConnectFraming,
}

impl Rule {
    /// Every rule, in the order above.
    pub const ALL: [Rule; 18] = [
        Rule::FinalStatus,
        Rule::NoBody,
        Rule::NoContentLengthOn204,
        Rule::ContentLengthSyntax,
        Rule::ContentLengthMatchesBody,
        Rule::ContentLengthWithTransferEncoding,
        Rule::HeaderValue,
        Rule::SingleValuedHeader,
        Rule::GzipDecodes,
        Rule::VaryAcceptEncoding,
        Rule::SetCookieParses,
        Rule::LocationSyntax,
        Rule::ResponseTimeout,
        Rule::BodyTimeout,
        Rule::PollReadyBeforeCall,
        Rule::SizeHint,
        Rule::EndStream,
        Rule::ConnectFraming,
    ];

    /// The rule's name, as failure messages show it.
    ///
    /// ```
    /// use pastry_testkit::Rule;
    ///
    /// assert_eq!(Rule::NoBody.id(), "no-body");
    /// ```
    pub fn id(self) -> &'static str {
        match self {
            Rule::FinalStatus => "final-status",
            Rule::NoBody => "no-body",
            Rule::NoContentLengthOn204 => "no-content-length-on-204",
            Rule::ContentLengthSyntax => "content-length-syntax",
            Rule::ContentLengthMatchesBody => "content-length-matches-body",
            Rule::ContentLengthWithTransferEncoding => "content-length-with-transfer-encoding",
            Rule::HeaderValue => "header-value",
            Rule::SingleValuedHeader => "single-valued-header",
            Rule::GzipDecodes => "gzip-decodes",
            Rule::VaryAcceptEncoding => "vary-accept-encoding",
            Rule::SetCookieParses => "set-cookie-parses",
            Rule::LocationSyntax => "location-syntax",
            Rule::ResponseTimeout => "response-timeout",
            Rule::BodyTimeout => "body-timeout",
            Rule::PollReadyBeforeCall => "poll-ready-before-call",
            Rule::SizeHint => "size-hint",
            Rule::EndStream => "end-stream",
            Rule::ConnectFraming => "connect-framing",
        }
    }

    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A broken [`Rule`]: what [`Validate`](crate::Validate) fails with, as the
/// service's error (rules about the head) or the body's error (rules about
/// the body), boxed into a [`BoxError`](pastry_core::BoxError).
///
/// ```
/// use pastry_testkit::{Rule, Violation};
///
/// let v = Violation::new(Rule::NoBody, "a 204 response sent 3 body bytes");
/// assert_eq!(v.rule(), Rule::NoBody);
/// assert_eq!(v.to_string(), "Validate rule `no-body` broken: a 204 response sent 3 body bytes");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    rule: Rule,
    detail: String,
}

impl Violation {
    /// A violation of `rule`, explained by `detail`.
    pub fn new(rule: Rule, detail: impl Into<String>) -> Self {
        Self {
            rule,
            detail: detail.into(),
        }
    }

    /// This violation with `context` (the response head, say) appended
    /// to its detail.
    pub(crate) fn with_context(mut self, context: &str) -> Self {
        self.detail.push('\n');
        self.detail.push_str(context);
        self
    }

    /// The rule broken.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// What exactly was wrong.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Finds a violation in a boxed error (as returned by a service wrapped
    /// in [`Validate`](crate::Validate), or by its body).
    pub fn find<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Violation> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(v) = e.downcast_ref::<Violation>() {
                return Some(v);
            }
            current = e.source();
        }
        None
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Validate rule `{}` broken: {}", self.rule, self.detail)
    }
}

impl std::error::Error for Violation {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_and_bits_are_distinct() {
        let ids: std::collections::HashSet<_> = Rule::ALL.iter().map(|r| r.id()).collect();
        assert_eq!(ids.len(), Rule::ALL.len());
        let bits = Rule::ALL.iter().fold(0u32, |acc, r| {
            assert_eq!(acc & r.bit(), 0);
            acc | r.bit()
        });
        assert_eq!(bits.count_ones() as usize, Rule::ALL.len());
    }
}
