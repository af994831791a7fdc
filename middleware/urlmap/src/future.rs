use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use http::header::{HeaderValue, LOCATION};
use pastry_core::{BoxError, ScriptName};

use crate::UrlMapBody;
use crate::app::BoxFuture;

/// The response future of [`UrlMap`](crate::UrlMap): the chosen app's
/// (which first waits for the app to be ready), or the map's own answer.
pub struct ResponseFuture {
    kind: Kind,
}

enum Kind {
    Ready(Option<Response<UrlMapBody>>),
    Inner {
        future: BoxFuture,
        /// The script name the app was given, to put before a root-relative
        /// `Location`, when the mount opted in.
        location_prefix: Option<ScriptName>,
        /// No map is outside this one: the [`LocationDone`] marker ends
        /// here.
        outermost: bool,
    },
}

/// Marks a response whose `Location` already holds the whole script name
/// (rewritten by an inner map, or a map's own slash redirect), so that a
/// map outside leaves it alone instead of adding its prefix twice. The
/// outermost map removes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LocationDone;

impl ResponseFuture {
    pub(crate) fn ready(res: Response<UrlMapBody>) -> Self {
        Self {
            kind: Kind::Ready(Some(res)),
        }
    }

    pub(crate) fn inner(
        future: BoxFuture,
        location_prefix: Option<ScriptName>,
        outermost: bool,
    ) -> Self {
        Self {
            kind: Kind::Inner {
                future,
                location_prefix,
                outermost,
            },
        }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<UrlMapBody>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().kind {
            Kind::Ready(res) => Poll::Ready(
                res.take()
                    .ok_or_else(|| "ResponseFuture polled after completion".into()),
            ),
            Kind::Inner {
                future,
                location_prefix,
                outermost,
            } => {
                let mut res = ready!(future.as_mut().poll(cx))?;
                let done = if *outermost {
                    res.extensions_mut().remove::<LocationDone>().is_some()
                } else {
                    res.extensions().get::<LocationDone>().is_some()
                };
                if !done
                    && let Some(prefix) = location_prefix
                    && rewrite_location(&mut res, prefix.as_str())
                    && !*outermost
                {
                    res.extensions_mut().insert(LocationDone);
                }
                Poll::Ready(Ok(res))
            }
        }
    }
}

/// Puts `prefix` before a root-relative `Location` (`/x`, not `//host/x`);
/// whether it did.
fn rewrite_location(res: &mut Response<UrlMapBody>, prefix: &str) -> bool {
    let Some(location) = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if !location.starts_with('/') || location.starts_with("//") || location.starts_with("/\\") {
        return false;
    }
    let rewritten = format!("{prefix}{location}");
    match HeaderValue::from_str(&rewritten) {
        Ok(value) => {
            res.headers_mut().insert(LOCATION, value);
            true
        }
        Err(_) => false,
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.kind {
            Kind::Ready(_) => "ready",
            Kind::Inner { .. } => "inner",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(location: &str) -> Response<UrlMapBody> {
        let mut res = Response::new(UrlMapBody::empty());
        res.headers_mut()
            .insert(LOCATION, HeaderValue::from_str(location).unwrap());
        rewrite_location(&mut res, "/blog");
        res
    }

    #[test]
    fn only_root_relative_locations_are_rewritten() {
        assert_eq!(
            located("/login?next=/x").headers()[LOCATION],
            "/blog/login?next=/x"
        );
        assert_eq!(located("/").headers()[LOCATION], "/blog/");
        assert_eq!(
            located("//evil.example/x").headers()[LOCATION],
            "//evil.example/x"
        );
        assert_eq!(
            located("/\\evil.example").headers()[LOCATION],
            "/\\evil.example"
        );
        assert_eq!(
            located("https://example.com/x").headers()[LOCATION],
            "https://example.com/x"
        );
        assert_eq!(located("relative").headers()[LOCATION], "relative");
    }
}
