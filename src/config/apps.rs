//! The apps every `pastry.toml` can mount without a program registering
//! them: files, a fixed answer, a redirect and the metrics page.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;

use crate::{BoxApp, BoxBody, BoxError};

use super::context::Context;

/// The built-in app names.
pub(crate) const BUILT_IN: &[&str] = &["static", "text", "redirect", "metrics"];

/// Builds the built-in app `name`.
pub(crate) fn build(name: &str, ctx: &Context<'_>) -> Result<BoxApp, BoxError> {
    let s = ctx.settings();
    match name {
        "static" => {
            let dir = s.required("dir", |s, k| s.path(k))?;
            if !dir.is_dir() {
                return Err(s
                    .error("dir", format!("{} is not a directory", dir.display()))
                    .into());
            }
            let mut files = tower_http::services::ServeDir::new(dir);
            if s.bool("precompressed")?.unwrap_or(true) {
                files = files
                    .precompressed_gzip()
                    .precompressed_br()
                    .precompressed_zstd();
            }
            Ok(BoxApp::new(files))
        }
        "text" => {
            let body = Bytes::from(s.required("body", |s, k| s.string(k))?);
            let status = status(ctx, "status", StatusCode::OK, |_| true)?;
            let content_type = s
                .string("content_type")?
                .unwrap_or_else(|| "text/plain; charset=utf-8".to_owned());
            let content_type = HeaderValue::try_from(content_type).map_err(|_| {
                s.error("content_type", "`content_type` is not a valid header value")
            })?;
            Ok(BoxApp::new(tower::service_fn(
                move |_req: Request<BoxBody>| {
                    let res = Response::builder()
                        .status(status)
                        .header(header::CONTENT_TYPE, content_type.clone())
                        .body(Full::new(body.clone()))
                        .expect("checked status and header");
                    async move { Ok::<_, Infallible>(res) }
                },
            )))
        }
        "redirect" => {
            let to = s.required("to", |s, k| s.string(k))?;
            let location = HeaderValue::try_from(to)
                .map_err(|_| s.error("to", "`to` is not a valid Location header value"))?;
            let status = status(ctx, "status", StatusCode::TEMPORARY_REDIRECT, |code| {
                code.is_redirection()
            })?;
            Ok(BoxApp::new(tower::service_fn(
                move |_req: Request<BoxBody>| {
                    let res = Response::builder()
                        .status(status)
                        .header(header::LOCATION, location.clone())
                        .body(Full::new(Bytes::new()))
                        .expect("checked status and header");
                    async move { Ok::<_, Infallible>(res) }
                },
            )))
        }
        #[cfg(feature = "metrics")]
        "metrics" => Ok(BoxApp::new(ctx.metrics().endpoint())),
        #[cfg(not(feature = "metrics"))]
        "metrics" => Err(ctx
            .settings()
            .error("app", "the `metrics` app needs pastry's `metrics` feature")
            .into()),
        other => unreachable!("`{other}` is not a built-in app"),
    }
}

fn status(
    ctx: &Context<'_>,
    key: &'static str,
    default: StatusCode,
    allowed: impl Fn(StatusCode) -> bool,
) -> Result<StatusCode, BoxError> {
    let s = ctx.settings();
    match s.u32(key)? {
        None => Ok(default),
        Some(code) => u16::try_from(code)
            .ok()
            .and_then(|code| StatusCode::from_u16(code).ok())
            .filter(|code| allowed(*code))
            .ok_or_else(|| {
                s.error(
                    key,
                    format!("`{key}` = {code} is not a status this app can answer"),
                )
                .into()
            }),
    }
}
