//! The label values: every one from a short, fixed list, or a mount name
//! from a capped set.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use http::{Method, StatusCode};

/// The label of a mount that came after the cap was reached.
pub(crate) const OTHER_MOUNT: &str = "other";

/// The method as a label: one of the nine methods of RFC 9110 and RFC 5789,
/// or `OTHER`.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// The status as its class: `1xx` to `5xx`.
pub(crate) fn status_label(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The mounts a layer has seen, at most `max` of them; the ones after are
/// all [`OTHER_MOUNT`].
#[derive(Debug)]
pub(crate) struct Mounts {
    seen: Mutex<HashSet<Arc<str>>>,
    max: usize,
}

impl Mounts {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            seen: Mutex::new(HashSet::new()),
            max,
        }
    }

    /// The label of `script_name` (`/` for the root).
    pub(crate) fn label(&self, script_name: &str) -> Arc<str> {
        let name = if script_name.is_empty() {
            "/"
        } else {
            script_name
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = seen.get(name) {
            return Arc::clone(known);
        }
        if seen.len() >= self.max {
            return Arc::from(OTHER_MOUNT);
        }
        let label: Arc<str> = Arc::from(name);
        seen.insert(Arc::clone(&label));
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_other() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(
            method_label(&Method::from_bytes(b"PURGE").unwrap()),
            "OTHER"
        );
    }

    #[test]
    fn statuses_are_classes() {
        assert_eq!(status_label(StatusCode::SWITCHING_PROTOCOLS), "1xx");
        assert_eq!(status_label(StatusCode::NO_CONTENT), "2xx");
        assert_eq!(status_label(StatusCode::NOT_MODIFIED), "3xx");
        assert_eq!(status_label(StatusCode::from_u16(499).unwrap()), "4xx");
        assert_eq!(status_label(StatusCode::from_u16(599).unwrap()), "5xx");
    }

    #[test]
    fn mounts_past_the_cap_are_other() {
        let mounts = Mounts::new(2);
        assert_eq!(&*mounts.label(""), "/");
        assert_eq!(&*mounts.label("/api"), "/api");
        assert_eq!(&*mounts.label("/blog"), OTHER_MOUNT);
        assert_eq!(&*mounts.label("/api"), "/api");
    }
}
