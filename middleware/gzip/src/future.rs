//! The response future: decides, per response, between passing through,
//! compressing in one call and streaming.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, HeaderMap, HeaderValue,
};
use http::{Method, Request, Response, StatusCode, response};
use http_body::Body;
use pastry_core::header::{content_length, merge_vary};
use pastry_core::{BoxError, is_upgrade_response};
use pin_project_lite::pin_project;

use crate::body::GzipBody;
use crate::cache::{CacheKey, CacheTarget};
use crate::codec::{StreamEncoder, compress_oneshot};
use crate::coding::{Coding, negotiate};
use crate::config::Config;
use crate::negotiate::{Streaming, compressible_content_type, is_event_stream, no_transform};
use crate::pool::Pools;

/// What the response future needs to know about the request.
#[derive(Debug)]
pub(crate) struct RequestContext {
    /// The coding the client's `Accept-Encoding` chose among the offered
    /// ones; `None` for identity.
    pub(crate) coding: Option<Coding>,
    pub(crate) head: bool,
    /// The request is a `CONNECT` (a tunnel, or HTTP/2's extended
    /// `CONNECT` opening a WebSocket): its 2xx answer has no body.
    pub(crate) connect: bool,
    /// A copy of the request head, kept only for a user predicate.
    pub(crate) request: Option<Request<()>>,
    /// The request's part of a cache key, kept only with a cache.
    pub(crate) cache_target: Option<CacheTarget>,
}

impl RequestContext {
    pub(crate) fn new<B>(req: &Request<B>, config: &Config) -> Self {
        let request = config.predicate.as_ref().map(|_| {
            let mut copy = Request::new(());
            *copy.method_mut() = req.method().clone();
            *copy.uri_mut() = req.uri().clone();
            *copy.version_mut() = req.version();
            *copy.headers_mut() = req.headers().clone();
            copy
        });
        RequestContext {
            coding: negotiate(req.headers(), config.codings),
            head: req.method() == Method::HEAD,
            connect: req.method() == Method::CONNECT,
            request,
            cache_target: config.cache.as_ref().map(|_| CacheTarget::of(req)),
        }
    }
}

pin_project! {
    /// The future of [`Gzip`](crate::Gzip)'s responses.
    ///
    /// When the whole body is known up front it is collected and compressed
    /// here, before the head is returned, so the head can carry the exact
    /// compressed `Content-Length`.
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
        ctx: RequestContext,
        config: Arc<Config>,
    }
}

pin_project! {
    #[project = StateProj]
    #[project_replace = StateOwn]
    enum State<F, B> {
        Inner {
            #[pin]
            future: F,
        },
        Collect {
            // Boxed so that a body longer than its size hint can move into
            // the response body and stream from where collecting stopped.
            body: Pin<Box<B>>,
            coding: Coding,
            parts: Option<response::Parts>,
            collected: Collected,
            trailers: Option<HeaderMap>,
            cache_key: Option<CacheKey>,
        },
        Done,
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn new(future: F, ctx: RequestContext, config: Arc<Config>) -> Self {
        ResponseFuture {
            state: State::Inner { future },
            ctx,
            config,
        }
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<GzipBody<B>>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let mut this = self.as_mut().project();
            let output = match this.state.as_mut().project() {
                StateProj::Inner { future } => {
                    let result = ready!(future.poll(cx));
                    match start(result, this.ctx, this.config) {
                        Next::Ready(output) => output,
                        Next::Collect {
                            parts,
                            body,
                            len,
                            coding,
                            cache_key,
                        } => {
                            this.state.set(State::Collect {
                                body: Box::pin(body),
                                coding,
                                parts: Some(parts),
                                collected: Collected::new(len, this.config.buffer_limit),
                                trailers: None,
                                cache_key,
                            });
                            continue;
                        }
                    }
                }
                StateProj::Collect {
                    body,
                    coding,
                    parts,
                    collected,
                    trailers,
                    cache_key,
                } => {
                    let end = ready!(poll_collect(body.as_mut(), collected, trailers, cx));
                    let Some(parts) = parts.take() else {
                        panic!("ResponseFuture polled after completion");
                    };
                    let error = match end {
                        CollectEnd::Complete(error) => error,
                        CollectEnd::OverLimit => {
                            let read = collected.take();
                            let coding = *coding;
                            let StateOwn::Collect { body, .. } =
                                this.state.as_mut().project_replace(State::Done)
                            else {
                                unreachable!("in the collect state");
                            };
                            let res = spilled_response(parts, body, read, this.config, coding);
                            return Poll::Ready(Ok(res));
                        }
                    };
                    let body =
                        compress_collected(collected.take(), error, &this.config.pools, *coding);
                    if let (Ok(compressed), None, Some(cache), Some(key)) =
                        (&body, &trailers, &this.config.cache, cache_key.take())
                    {
                        cache.insert(key, compressed);
                    }
                    Ok(collected_response(parts, body, trailers.take()))
                }
                StateProj::Done => panic!("ResponseFuture polled after completion"),
            };
            this.state.set(State::Done);
            return Poll::Ready(output);
        }
    }
}

/// What to do once the inner service answered.
// Lives on the stack for one poll; boxing a variant would allocate per
// response.
#[allow(clippy::large_enum_variant)]
enum Next<B, E> {
    /// The response is final: passed through, streamed, or an error.
    Ready(Result<Response<GzipBody<B>>, E>),
    /// The body is known up front: collect it, then compress it in one call.
    Collect {
        parts: response::Parts,
        body: B,
        len: u64,
        coding: Coding,
        /// Where to store the result: the response is cacheable and was not
        /// in the cache.
        cache_key: Option<CacheKey>,
    },
}

/// Passes errors on and plans the response: every case but
/// [`Plan::Collect`] is final here.
fn start<B: Body, E>(
    result: Result<Response<B>, E>,
    ctx: &RequestContext,
    config: &Config,
) -> Next<B, E> {
    let (mut parts, body) = match result {
        Ok(response) => response.into_parts(),
        Err(error) => return Next::Ready(Err(error)),
    };
    // The app's validator and type, read before the plan weakens the ETag.
    let cacheable = match (&config.cache, &ctx.cache_target) {
        (Some(_), Some(_)) => parts.headers.get(ETAG).cloned().map(|etag| {
            let content_type = parts.headers.get(CONTENT_TYPE).cloned();
            (etag, content_type)
        }),
        _ => None,
    };
    let body = match plan(&mut parts, &body, ctx, config) {
        Plan::Identity => GzipBody::identity(body),
        Plan::Empty => GzipBody::empty(),
        Plan::Stream { flush, coding } => match StreamEncoder::new(&config.pools, coding) {
            Ok(encoder) => GzipBody::stream(body, encoder, flush),
            Err(error) => {
                // Only an out-of-memory zstd context gets here.
                tracing::debug!(target: "pastry_gzip", %error, "no encoder for the response");
                GzipBody::failed(error.into())
            }
        },
        Plan::Collect { len, coding } => {
            let cache_key = cacheable.and_then(|(etag, content_type)| {
                let target = ctx.cache_target.as_ref()?;
                let level = config.pools.levels().of(coding);
                CacheKey::new(target, &etag, content_type.as_ref(), coding, level)
            });
            if let (Some(cache), Some(key)) = (&config.cache, &cache_key)
                && let Some(compressed) = cache.get(key)
            {
                // The app's body is dropped unread: the stored bytes are
                // its compression.
                parts
                    .headers
                    .insert(CONTENT_LENGTH, content_length(compressed.len()));
                return Next::Ready(Ok(Response::from_parts(
                    parts,
                    GzipBody::full(compressed, None),
                )));
            }
            return Next::Collect {
                parts,
                body,
                len,
                coding,
                cache_key,
            };
        }
    };
    Next::Ready(Ok(Response::from_parts(parts, body)))
}

/// How collecting a body ended.
enum CollectEnd {
    /// At the body's end, or at its error.
    Complete(Option<BoxError>),
    /// More than the buffer limit arrived: the size hint was wrong.
    OverLimit,
}

/// Reads the body to its end, keeping its data in `collected` and its
/// trailers in `trailers`, unless it grows past the collection's limit.
fn poll_collect<B>(
    mut body: Pin<&mut B>,
    collected: &mut Collected,
    trailers: &mut Option<HeaderMap>,
    cx: &mut Context<'_>,
) -> Poll<CollectEnd>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    loop {
        match ready!(body.as_mut().poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    collected.push(data);
                    if collected.over_limit() {
                        return Poll::Ready(CollectEnd::OverLimit);
                    }
                }
                Err(frame) => {
                    if let Ok(map) = frame.into_trailers() {
                        *trailers = Some(map);
                    }
                }
            },
            Some(Err(error)) => return Poll::Ready(CollectEnd::Complete(Some(error.into()))),
            None => return Poll::Ready(CollectEnd::Complete(None)),
        }
    }
}

/// The response for a body that sent more than its size hint promised:
/// what was read is compressed first, the rest streams after it, with no
/// `Content-Length`.
fn spilled_response<B>(
    mut parts: response::Parts,
    body: Pin<Box<B>>,
    read: Bytes,
    config: &Config,
    coding: Coding,
) -> Response<GzipBody<B>> {
    tracing::debug!(
        target: "pastry_gzip",
        read = read.len(),
        limit = config.buffer_limit,
        "body longer than its size hint, streaming the rest"
    );
    parts.headers.remove(CONTENT_LENGTH);
    let started = StreamEncoder::new(&config.pools, coding).and_then(|mut encoder| {
        let pending = encoder.encode(&read, false);
        #[cfg(feature = "metrics")]
        crate::telemetry::compressed(coding, read.len(), &pending);
        Ok((encoder, pending?))
    });
    let body = match started {
        Ok((encoder, pending)) => GzipBody::spilled(body, encoder, pending),
        Err(error) => GzipBody::failed(error.into()),
    };
    Response::from_parts(parts, body)
}

/// The collected body compressed in one call, or the error that stopped it.
fn compress_collected(
    data: Bytes,
    error: Option<BoxError>,
    pools: &Pools,
    coding: Coding,
) -> Result<Bytes, BoxError> {
    match error {
        Some(error) => Err(error),
        None => {
            let compressed = compress_oneshot(pools, coding, &data);
            #[cfg(feature = "metrics")]
            crate::telemetry::compressed(coding, data.len(), &compressed);
            compressed.map_err(BoxError::from)
        }
    }
}

/// The response for a collected body: an exact `Content-Length` when no
/// trailers follow, none when they do or when the body failed.
fn collected_response<B>(
    mut parts: response::Parts,
    body: Result<Bytes, BoxError>,
    trailers: Option<HeaderMap>,
) -> Response<GzipBody<B>> {
    let body = match body {
        Ok(gz) if trailers.is_none() => {
            parts
                .headers
                .insert(CONTENT_LENGTH, content_length(gz.len()));
            GzipBody::full(gz, None)
        }
        Ok(gz) => {
            parts.headers.remove(CONTENT_LENGTH);
            GzipBody::full(gz, trailers)
        }
        Err(error) => {
            tracing::debug!(target: "pastry_gzip", %error, "inner body failed before compression");
            parts.headers.remove(CONTENT_LENGTH);
            GzipBody::failed(error)
        }
    };
    Response::from_parts(parts, body)
}

/// The body of a response known up front, gathered without copying when it
/// arrives in one frame.
#[derive(Debug)]
struct Collected {
    first: Option<Bytes>,
    rest: BytesMut,
    expected: usize,
    /// Bytes pushed so far.
    len: u64,
    /// The most this collection holds before it is over its limit.
    limit: u64,
}

impl Collected {
    fn new(expected: u64, limit: u64) -> Self {
        Collected {
            first: None,
            rest: BytesMut::new(),
            expected: usize::try_from(expected).unwrap_or(0),
            len: 0,
            limit,
        }
    }

    fn over_limit(&self) -> bool {
        self.len > self.limit
    }

    fn push(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        self.len += data.len() as u64;
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(data);
            return;
        }
        if let Some(first) = self.first.take() {
            self.rest
                .reserve(self.expected.max(first.len() + data.len()));
            self.rest.extend_from_slice(&first);
        }
        self.rest.extend_from_slice(&data);
    }

    fn take(&mut self) -> Bytes {
        match self.first.take() {
            Some(first) => first,
            None => std::mem::take(&mut self.rest).freeze(),
        }
    }
}

/// What to do with one response.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Pass the body through as it is.
    Identity,
    /// Compressed headers, no body (HEAD).
    Empty,
    /// Compress frame by frame, flushing after each when `flush`.
    Stream { flush: bool, coding: Coding },
    /// Collect the body (`len` bytes) and compress it in one call.
    Collect { len: u64, coding: Coding },
}

/// Applies the header rules to `parts` and says how to treat the body.
fn plan<B: Body>(
    parts: &mut response::Parts,
    body: &B,
    ctx: &RequestContext,
    config: &Config,
) -> Plan {
    let status = parts.status;
    let method = if ctx.connect {
        Method::CONNECT
    } else {
        Method::GET
    };
    if is_upgrade_response(&method, status) {
        // The handshake answer of an upgrade: what follows is another
        // protocol's bytes, so neither head nor body is touched.
        return Plan::Identity;
    }
    if status.is_informational() || status == StatusCode::NO_CONTENT {
        return Plan::Identity;
    }
    if status == StatusCode::NOT_MODIFIED {
        mark_not_modified(&mut parts.headers, ctx, config);
        return Plan::Identity;
    }
    if config.codings.is_empty() {
        // Nothing offered: the response cannot vary by Accept-Encoding.
        return Plan::Identity;
    }
    let exact = body.size_hint().exact();
    if exact == Some(0) && !ctx.head {
        // No body: nothing to compress, and nothing that could vary.
        return Plan::Identity;
    }
    if is_encoded(&parts.headers) {
        // Already encoded by the app (a precompressed file, say): sent as
        // it is, but it is one of the resource's codings, chosen by
        // Accept-Encoding, so it says so.
        merge_vary(&mut parts.headers, &ACCEPT_ENCODING);
        return Plan::Identity;
    }
    if !eligible(parts, exact, ctx, config) {
        return Plan::Identity;
    }
    let headers = &mut parts.headers;
    merge_vary(headers, &ACCEPT_ENCODING);
    let Some(coding) = ctx.coding else {
        return Plan::Identity;
    };
    mark_encoded(headers, coding);
    if ctx.head {
        headers.remove(CONTENT_LENGTH);
        return Plan::Empty;
    }
    let flush = is_event_stream(headers) || parts.extensions.get::<Streaming>().is_some();
    match exact {
        Some(len) if !flush && len <= config.buffer_limit => Plan::Collect { len, coding },
        _ => {
            parts.headers.remove(CONTENT_LENGTH);
            Plan::Stream { flush, coding }
        }
    }
}

/// A 304 stands for the 200 the client cached: it carries the `Vary` that
/// 200 had and, if that 200 was compressed, its weakened ETag.
fn mark_not_modified(headers: &mut HeaderMap, ctx: &RequestContext, config: &Config) {
    let would_compress = !config.codings.is_empty()
        && !headers.contains_key(CONTENT_ENCODING)
        && !no_transform(headers)
        && (!headers.contains_key(CONTENT_TYPE) || compressible_content_type(headers));
    if would_compress {
        merge_vary(headers, &ACCEPT_ENCODING);
        if ctx.coding.is_some() {
            weaken_etag(headers);
        }
    }
}

/// Whether the response may and should be compressed: not encoded, not a
/// range, no `no-transform`, not known to be under the minimum size, and
/// compressible by the predicate (or content type). `exact` is the body's
/// exact size hint; a HEAD response goes by its declared length.
fn eligible(
    parts: &response::Parts,
    exact: Option<u64>,
    ctx: &RequestContext,
    config: &Config,
) -> bool {
    let headers = &parts.headers;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    let size = if ctx.head {
        declared
    } else {
        exact.or(declared)
    };
    let allowed = !headers.contains_key(CONTENT_ENCODING)
        && parts.status != StatusCode::PARTIAL_CONTENT
        && !headers.contains_key(CONTENT_RANGE)
        && !no_transform(headers)
        && size.is_none_or(|size| size >= config.min_size);
    allowed
        && match (&config.predicate, &ctx.request) {
            (Some(predicate), Some(request)) => predicate(request, parts),
            _ => compressible_content_type(headers),
        }
}

/// Whether the response carries a content coding other than `identity`.
fn is_encoded(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .any(|value| !value.as_bytes().eq_ignore_ascii_case(b"identity"))
}

/// The headers of a response about to be compressed: the coding, a weak
/// ETag, and no `Accept-Ranges` (ranges of the compressed bytes are not
/// offered).
fn mark_encoded(headers: &mut HeaderMap, coding: Coding) {
    headers.insert(CONTENT_ENCODING, coding.header_value());
    weaken_etag(headers);
    headers.remove(ACCEPT_RANGES);
}

/// `"x"` becomes `W/"x"`: the compressed bytes are not the bytes the strong
/// validator was computed for.
fn weaken_etag(headers: &mut HeaderMap) {
    let Some(etag) = headers.get(ETAG) else {
        return;
    };
    let bytes = etag.as_bytes();
    if !bytes.starts_with(b"\"") {
        return;
    }
    let mut weak = Vec::with_capacity(bytes.len() + 2);
    weak.extend_from_slice(b"W/");
    weak.extend_from_slice(bytes);
    if let Ok(value) = HeaderValue::from_bytes(&weak) {
        headers.insert(ETAG, value);
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::{Empty, Full};

    use super::*;

    fn config() -> Config {
        Config {
            min_size: 256,
            buffer_limit: 1024,
            predicate: None,
            codings: crate::coding::Codings::all(),
            pools: Arc::new(Pools::new(crate::Level::DEFAULT)),
            cache: None,
        }
    }

    fn ctx(accepts_gzip: bool, head: bool) -> RequestContext {
        RequestContext {
            coding: accepts_gzip.then_some(Coding::Gzip),
            head,
            connect: false,
            request: None,
            cache_target: None,
        }
    }

    fn parts(status: u16, headers: &[(&'static str, &'static str)]) -> response::Parts {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn informational_and_no_content_are_untouched() {
        for status in [101, 103, 204] {
            let mut p = parts(status, &[("content-type", "text/html"), ("etag", "\"x\"")]);
            let before = p.headers.clone();
            assert_eq!(
                plan(&mut p, &Empty::<Bytes>::new(), &ctx(true, false), &config()),
                Plan::Identity
            );
            assert_eq!(p.headers, before, "{status}");
        }
    }

    #[test]
    fn a_2xx_answering_connect_is_untouched() {
        let connect = RequestContext {
            connect: true,
            ..ctx(true, false)
        };
        let mut p = parts(200, &[("content-type", "text/html"), ("etag", "\"x\"")]);
        let before = p.headers.clone();
        let body = Full::new(Bytes::from(vec![b'a'; 512]));
        assert_eq!(plan(&mut p, &body, &connect, &config()), Plan::Identity);
        assert_eq!(p.headers, before);
    }

    #[test]
    fn known_small_bodies_are_left_alone() {
        let mut p = parts(200, &[("content-type", "text/plain")]);
        let body = Full::new(Bytes::from(vec![b'a'; 255]));
        assert_eq!(
            plan(&mut p, &body, &ctx(true, false), &config()),
            Plan::Identity
        );
        assert!(!p.headers.contains_key("vary"));
    }

    #[test]
    fn known_bodies_up_to_the_limit_are_collected_larger_ones_streamed() {
        let mut p = parts(
            200,
            &[("content-type", "text/plain"), ("content-length", "1024")],
        );
        let body = Full::new(Bytes::from(vec![b'a'; 1024]));
        assert_eq!(
            plan(&mut p, &body, &ctx(true, false), &config()),
            Plan::Collect {
                len: 1024,
                coding: Coding::Gzip
            }
        );
        let mut p = parts(
            200,
            &[("content-type", "text/plain"), ("content-length", "1025")],
        );
        let body = Full::new(Bytes::from(vec![b'a'; 1025]));
        assert_eq!(
            plan(&mut p, &body, &ctx(true, false), &config()),
            Plan::Stream {
                flush: false,
                coding: Coding::Gzip
            }
        );
        assert!(!p.headers.contains_key(CONTENT_LENGTH));
    }

    #[test]
    fn event_streams_flush_even_when_known_up_front() {
        let mut p = parts(200, &[("content-type", "text/event-stream")]);
        let body = Full::new(Bytes::from(vec![b'a'; 300]));
        assert_eq!(
            plan(&mut p, &body, &ctx(true, false), &config()),
            Plan::Stream {
                flush: true,
                coding: Coding::Gzip
            }
        );
    }

    #[test]
    fn head_uses_the_declared_length_and_drops_it() {
        let mut p = parts(
            200,
            &[("content-type", "text/html"), ("content-length", "5000")],
        );
        assert_eq!(
            plan(&mut p, &Empty::<Bytes>::new(), &ctx(true, true), &config()),
            Plan::Empty
        );
        assert_eq!(p.headers[CONTENT_ENCODING], "gzip");
        assert!(!p.headers.contains_key(CONTENT_LENGTH));
    }

    #[test]
    fn not_modified_gets_vary_and_a_weak_etag_but_no_coding() {
        let mut p = parts(304, &[("etag", "\"v1\"")]);
        assert_eq!(
            plan(&mut p, &Empty::<Bytes>::new(), &ctx(true, false), &config()),
            Plan::Identity
        );
        assert_eq!(p.headers["vary"], "accept-encoding");
        assert_eq!(p.headers[ETAG], "W/\"v1\"");
        assert!(!p.headers.contains_key(CONTENT_ENCODING));
    }

    #[test]
    fn weak_etags_stay_as_they_are() {
        let mut headers = HeaderMap::new();
        headers.insert(ETAG, HeaderValue::from_static("W/\"a\""));
        weaken_etag(&mut headers);
        assert_eq!(headers[ETAG], "W/\"a\"");
    }

    #[test]
    fn collected_single_frame_is_not_copied() {
        let data = Bytes::from(vec![1u8; 100]);
        let mut collected = Collected::new(100, 1024);
        collected.push(data.clone());
        assert_eq!(collected.take().as_ptr(), data.as_ptr());
        let mut collected = Collected::new(6, 1024);
        for part in ["ab", "", "cd", "ef"] {
            collected.push(Bytes::from(part));
        }
        assert_eq!(collected.take(), "abcdef");
    }
}
