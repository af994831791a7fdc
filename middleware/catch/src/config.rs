//! The settings every [`Catch`](crate::Catch) service of one layer shares,
//! and what they decide: how a failure is logged and answered.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use bytes::Bytes;
use http::header::HeaderName;
use http::{HeaderValue, Method, Response};

use crate::failure::{Cause, Failure, Phase, RequestInfo};
use crate::page;

/// The response header carrying a failure's id: `x-error-id`.
///
/// ```
/// assert_eq!(pastry_catch::ERROR_ID_HEADER, "x-error-id");
/// ```
pub const ERROR_ID_HEADER: HeaderName = HeaderName::from_static("x-error-id");

pub(crate) type HandlerFn = dyn Fn(&Failure) -> Response<Bytes> + Send + Sync;

/// What every [`Catch`](crate::Catch) service of one layer shares. Cloning it copies a
/// flag and, when a handler is set, bumps one reference count.
#[derive(Clone, Default)]
pub(crate) struct Config {
    pub(crate) debug: bool,
    pub(crate) handler: Option<Arc<HandlerFn>>,
}

impl Config {
    /// Whether requests must keep their whole header map for a page or
    /// handler (costs a clone per request).
    pub(crate) fn wants_headers(&self) -> bool {
        self.debug || self.handler.is_some()
    }

    /// Logs a failure and builds its response: the handler's, else the
    /// default page; always with the `x-error-id` header, and with an empty
    /// body for `HEAD`.
    pub(crate) fn respond(&self, phase: Phase, cause: Cause, info: RequestInfo) -> Response<Bytes> {
        let format = info.format();
        let failure = Failure::new(phase, cause, info);
        failure.log(self.debug);
        let mut response = match &self.handler {
            None => page::render(&failure, format, self.debug),
            Some(handler) => match catch_unwind(AssertUnwindSafe(|| handler(&failure))) {
                Ok(response) => response,
                Err(payload) => {
                    let message = Cause::panic(payload).chain().join(": ");
                    tracing::error!(
                        target: "pastry_catch",
                        error_id = %failure.id(),
                        panic = message.as_str(),
                        "the custom error handler panicked; answering with the default page"
                    );
                    page::render(&failure, format, self.debug)
                }
            },
        };
        let id = failure.id().to_string();
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(ERROR_ID_HEADER, value);
        }
        if failure.method() == Method::HEAD {
            *response.body_mut() = Bytes::new();
        }
        response
    }
}
