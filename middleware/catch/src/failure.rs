//! What was caught: the failure handed to logs, pages and custom handlers.

use std::any::Any;
use std::backtrace::Backtrace;
use std::error::Error;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use http::header::ACCEPT;
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use pastry_core::{BoxError, HttpError};

use crate::backtrace;
use crate::id::ErrorId;

/// Where in the life of a request a failure was caught.
///
/// ```
/// use pastry_catch::Phase;
///
/// assert_eq!(Phase::Future.as_str(), "future");
/// assert_eq!(Phase::Body.to_string(), "body");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// The inner service's `poll_ready` returned an error or panicked; the
    /// request that followed was answered with an error page.
    Ready,
    /// The inner service's `call` panicked.
    Call,
    /// The response future returned an error or panicked.
    Future,
    /// The response body returned an error or panicked after the response
    /// head was handed to the server. Only logged: the status is already
    /// sent, so the body ends with an error instead.
    Body,
}

impl Phase {
    /// The phase as a lowercase word, as it appears in log events.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Ready => "ready",
            Phase::Call => "call",
            Phase::Future => "future",
            Phase::Body => "body",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A panic or an error, as caught.
pub(crate) enum Cause {
    Panic {
        message: String,
        location: Option<String>,
        backtrace: Option<Backtrace>,
    },
    Error(BoxError),
}

impl Cause {
    /// Turns a caught panic payload into a cause, taking the backtrace the
    /// opt-in hook recorded for it on this thread.
    pub(crate) fn panic(payload: Box<dyn Any + Send>) -> Self {
        #[cfg(feature = "metrics")]
        metrics::counter!("pastry_catch_panics_total").increment(1);
        let message = panic_message(&*payload);
        drop_payload(payload);
        let captured = backtrace::take();
        let (location, backtrace) = match captured {
            Some(captured) => (captured.location, Some(captured.backtrace)),
            None => (None, None),
        };
        Cause::Panic {
            message,
            location,
            backtrace,
        }
    }

    /// The status a failure with this cause is answered with: the
    /// [`HttpError`]'s when the error chain holds one with a 4xx or 5xx
    /// status, 500 otherwise.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Cause::Error(err) => HttpError::find(&**err)
                .map(HttpError::status)
                .filter(|status| status.is_client_error() || status.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Cause::Panic { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The panic message, or the error and each of its sources.
    pub(crate) fn chain(&self) -> Vec<String> {
        match self {
            Cause::Panic { message, .. } => vec![message.clone()],
            Cause::Error(err) => {
                let mut chain = Vec::new();
                let mut current: Option<&(dyn Error + 'static)> = Some(&**err);
                while let Some(err) = current {
                    chain.push(err.to_string());
                    current = err.source();
                }
                chain
            }
        }
    }

    pub(crate) fn is_panic(&self) -> bool {
        matches!(self, Cause::Panic { .. })
    }

    pub(crate) fn backtrace(&self) -> Option<&Backtrace> {
        match self {
            Cause::Panic { backtrace, .. } => backtrace.as_ref(),
            Cause::Error(_) => None,
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Drops a panic payload, whose own `Drop` could panic again.
fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(nested) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(nested);
    }
}

/// What the middleware keeps of a request until its response is complete.
///
/// Small and allocation-free for requests a server parsed (their bytes are
/// shared, so clones bump a reference count): the method, the path and
/// query, and the `Accept` value. The whole URI and header map are copied
/// (one allocation) only when a page or handler needs them: debug mode or a
/// custom handler.
pub(crate) struct RequestInfo {
    pub(crate) method: Method,
    pub(crate) path: Option<PathAndQuery>,
    /// The first `Accept` value, kept when `full` was not captured.
    accept: Option<HeaderValue>,
    full: Option<Box<(Uri, HeaderMap)>>,
}

impl RequestInfo {
    #[inline]
    pub(crate) fn capture<B>(req: &http::Request<B>, full: bool) -> Self {
        let (accept, full) = if full {
            (
                None,
                Some(Box::new((req.uri().clone(), req.headers().clone()))),
            )
        } else {
            (req.headers().get(ACCEPT).cloned(), None)
        };
        Self {
            method: req.method().clone(),
            path: req.uri().path_and_query().cloned(),
            accept,
            full,
        }
    }

    /// The request's `Accept` values.
    pub(crate) fn accept(&self) -> Vec<&HeaderValue> {
        match &self.full {
            Some(full) => full.1.get_all(ACCEPT).iter().collect(),
            None => self.accept.iter().collect(),
        }
    }
}

/// The path for log events.
pub(crate) fn log_path(path: Option<&PathAndQuery>) -> &str {
    path.map_or("", PathAndQuery::path)
}

/// A caught failure: what a custom [`handler`](crate::CatchLayer::handler)
/// receives to build its response.
///
/// ```
/// use bytes::Bytes;
/// use http::Response;
/// use pastry_catch::{CatchLayer, Failure};
///
/// let layer = CatchLayer::new().handler(|failure: &Failure| {
///     Response::builder()
///         .status(failure.status())
///         .body(Bytes::from(format!("Sorry! Quote {} to support.", failure.id())))
///         .unwrap()
/// });
/// # let _ = layer;
/// ```
pub struct Failure {
    id: ErrorId,
    phase: Phase,
    status: StatusCode,
    cause: Cause,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Failure {
    pub(crate) fn new(phase: Phase, cause: Cause, info: RequestInfo) -> Self {
        let (uri, headers) = match info.full {
            Some(full) => *full,
            None => (
                info.path.map(Uri::from).unwrap_or_default(),
                HeaderMap::new(),
            ),
        };
        Self {
            id: ErrorId::random(),
            phase,
            status: cause.status(),
            cause,
            method: info.method,
            uri,
            headers,
        }
    }

    /// The random (v4) id of this failure, also in the `X-Error-Id` header
    /// and in the log event.
    pub fn id(&self) -> ErrorId {
        self.id
    }

    /// Where the failure was caught.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The status the default page uses: the [`HttpError`]'s status when the
    /// error is (or wraps) one with a 4xx or 5xx status, else 500.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The panic message, when the failure was a panic.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.cause {
            Cause::Panic { message, .. } => Some(message),
            Cause::Error(_) => None,
        }
    }

    /// The error, when the failure was an error rather than a panic.
    pub fn error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match &self.cause {
            Cause::Error(err) => Some(&**err),
            Cause::Panic { .. } => None,
        }
    }

    /// The panic message, or the error followed by each of its sources.
    pub fn chain(&self) -> Vec<String> {
        self.cause.chain()
    }

    /// Where the panic happened (`file:line:column`), when
    /// [`capture_backtraces`](crate::capture_backtraces) is on.
    pub fn location(&self) -> Option<&str> {
        match &self.cause {
            Cause::Panic { location, .. } => location.as_deref(),
            Cause::Error(_) => None,
        }
    }

    /// The backtrace of the panic, when
    /// [`capture_backtraces`](crate::capture_backtraces) is on.
    pub fn backtrace(&self) -> Option<&Backtrace> {
        self.cause.backtrace()
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request URI, as the wrapped service received it.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request headers, unredacted. Captured when debug mode or a custom
    /// handler is on (so a handler always sees them); empty otherwise. A page
    /// shown to clients should not echo `Authorization` or `Cookie` values.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Emits the one log event of this failure.
    pub(crate) fn log(&self, debug: bool) {
        log_event(
            self.id,
            self.phase,
            &self.method,
            self.uri.path(),
            &self.cause,
            debug,
            None,
        );
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("id", &self.id)
            .field("phase", &self.phase)
            .field("status", &self.status)
            .field("panic", &self.cause.is_panic())
            .field("method", &self.method)
            .field("path", &self.uri.path())
            .finish_non_exhaustive()
    }
}

/// The one `tracing::error!` event of a failure (target `pastry_catch`).
pub(crate) fn log_event(
    id: ErrorId,
    phase: Phase,
    method: &Method,
    path: &str,
    cause: &Cause,
    debug: bool,
    bytes_sent: Option<u64>,
) {
    let chain = cause.chain().join(": ");
    let (panic, error) = if cause.is_panic() {
        (Some(chain.as_str()), None)
    } else {
        (None, Some(chain.as_str()))
    };
    let location = match cause {
        Cause::Panic { location, .. } => location.as_deref(),
        Cause::Error(_) => None,
    };
    let backtrace = if debug {
        cause.backtrace().map(ToString::to_string)
    } else {
        None
    };
    let status = cause.status().as_u16();
    if phase == Phase::Body {
        tracing::error!(
            target: "pastry_catch",
            error_id = %id,
            phase = phase.as_str(),
            method = %method,
            path,
            bytes_sent,
            panic,
            error,
            location,
            backtrace = backtrace.as_deref(),
            "response body failed after the head was sent; aborting the response"
        );
    } else {
        tracing::error!(
            target: "pastry_catch",
            error_id = %id,
            phase = phase.as_str(),
            method = %method,
            path,
            status,
            panic,
            error,
            location,
            backtrace = backtrace.as_deref(),
            "request failed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("loading the post")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn error_chain_lists_every_source() {
        let cause = Cause::Error(Box::new(Outer(std::io::Error::other("disk on fire"))));
        assert_eq!(cause.chain(), ["loading the post", "disk on fire"]);
        assert_eq!(cause.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn http_error_status_is_used_anywhere_in_the_chain() {
        let inner = HttpError::new(StatusCode::NOT_FOUND, "no such post");
        let cause = Cause::Error(Box::new(
            HttpError::new(StatusCode::NOT_FOUND, "x").source(inner),
        ));
        assert_eq!(cause.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn http_error_with_a_success_status_becomes_500() {
        for status in [StatusCode::OK, StatusCode::FOUND, StatusCode::CONTINUE] {
            let cause = Cause::Error(Box::new(HttpError::new(status, "odd")));
            assert_eq!(
                cause.status(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{status}"
            );
        }
    }

    #[test]
    fn panic_payloads_become_messages() {
        assert_eq!(panic_message(&"static text"), "static text");
        assert_eq!(panic_message(&String::from("owned text")), "owned text");
        assert_eq!(panic_message(&42_u32), "panic with a non-string payload");
    }

    #[test]
    fn request_info_keeps_accept_without_cloning_headers() {
        let req = http::Request::get("/a?b")
            .header("accept", "application/json")
            .header("cookie", "sid=1")
            .body(())
            .unwrap();
        let info = RequestInfo::capture(&req, false);
        assert_eq!(info.accept.as_ref().unwrap(), "application/json");
        assert!(info.full.is_none());
        assert_eq!(info.accept(), ["application/json"]);
        let failure = Failure::new(Phase::Call, Cause::Error("x".into()), info);
        assert_eq!(failure.uri(), "/a?b");
        assert!(failure.headers().is_empty());

        let info = RequestInfo::capture(&req, true);
        assert!(info.accept.is_none());
        assert_eq!(info.accept(), ["application/json"]);
        let failure = Failure::new(Phase::Call, Cause::Error("x".into()), info);
        assert_eq!(failure.headers().len(), 2);
        assert_eq!(failure.uri(), "/a?b");
    }
}
