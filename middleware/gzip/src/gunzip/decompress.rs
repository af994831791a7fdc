//! Request bodies: gzip decoded for the inner app, with a size limit.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use flate2::{Decompress, FlushDecompress, Status};
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, HeaderMap};
use http::{StatusCode, request};
use http_body::{Body, Frame, SizeHint};
use pastry_core::{BoxError, HttpError, is_upgrade};
use pin_project_lite::pin_project;

/// Most output produced per frame, so memory stays bounded however well the
/// input compresses.
const CHUNK: usize = 64 * 1024;

const OK: u8 = 0;
const TOO_LARGE: u8 = 1;
const CORRUPT: u8 = 2;

/// What went wrong decoding a request body, seen by the response future.
#[derive(Debug, Default)]
pub(crate) struct DecodeOutcome(AtomicU8);

impl DecodeOutcome {
    /// The status the response must have, if decoding failed.
    pub(crate) fn failure(&self) -> Option<StatusCode> {
        match self.0.load(Ordering::Acquire) {
            TOO_LARGE => Some(StatusCode::PAYLOAD_TOO_LARGE),
            CORRUPT => Some(StatusCode::BAD_REQUEST),
            _ => None,
        }
    }

    fn set(&self, code: u8) {
        let _ = self
            .0
            .compare_exchange(OK, code, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// Whether the request body is gzip (a single `gzip` or `x-gzip` coding).
fn is_gzip(headers: &HeaderMap) -> bool {
    let mut codings = headers.get_all(CONTENT_ENCODING).iter();
    match (codings.next(), codings.next()) {
        (Some(value), None) => value.to_str().is_ok_and(|text| {
            let text = text.trim();
            text.eq_ignore_ascii_case("gzip") || text.eq_ignore_ascii_case("x-gzip")
        }),
        _ => false,
    }
}

pin_project! {
    /// The request body the app behind
    /// [`GunzipRequests`](crate::GunzipRequests) sees: the original body, or
    /// its gzip content decoded.
    ///
    /// A decoding failure is a [`pastry_core::HttpError`] (413 past the
    /// limit, 400 for corrupt or truncated input), and the middleware
    /// replaces the app's response with that status.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http_body_util::{BodyExt, Full};
    /// use pastry_gzip::DecompressBody;
    ///
    /// // Without a gzip Content-Encoding the body passes through.
    /// let body = DecompressBody::plain(Full::new(Bytes::from("raw")));
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// assert_eq!(body.collect().await.unwrap().to_bytes(), "raw");
    /// # });
    /// ```
    pub struct DecompressBody<B> {
        #[pin]
        inner: B,
        decoder: Option<Decoder>,
    }
}

struct Decoder {
    inflate: Decompress,
    pending: Bytes,
    produced: u64,
    limit: u64,
    ended: bool,
    failed: bool,
    outcome: Arc<DecodeOutcome>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("produced", &self.produced)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<B> std::fmt::Debug for DecompressBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecompressBody")
            .field("decoder", &self.decoder)
            .finish_non_exhaustive()
    }
}

impl<B> DecompressBody<B> {
    /// A body passed through as it is.
    pub fn plain(inner: B) -> Self {
        DecompressBody {
            inner,
            decoder: None,
        }
    }

    /// Prepares a request: a gzip body is wrapped in a decoder and loses its
    /// `Content-Encoding` and `Content-Length`; the outcome handle reports
    /// failures to the response future.
    pub(crate) fn for_request(
        parts: &mut request::Parts,
        inner: B,
        limit: u64,
    ) -> (Self, Option<Arc<DecodeOutcome>>) {
        if !is_gzip(&parts.headers) || is_upgrade(&parts.method, &parts.headers) {
            // An upgrade's request body, if any, is the other protocol's
            // business: it passes as sent, `Content-Encoding` and all.
            return (Self::plain(inner), None);
        }
        parts.headers.remove(CONTENT_ENCODING);
        parts.headers.remove(CONTENT_LENGTH);
        let outcome = Arc::new(DecodeOutcome::default());
        let decoder = Decoder {
            inflate: Decompress::new_gzip(15),
            pending: Bytes::new(),
            produced: 0,
            limit,
            ended: false,
            failed: false,
            outcome: Arc::clone(&outcome),
        };
        let body = DecompressBody {
            inner,
            decoder: Some(decoder),
        };
        (body, Some(outcome))
    }
}

impl Decoder {
    fn fail(&mut self, code: u8) -> BoxError {
        self.failed = true;
        self.outcome.set(code);
        let error = if code == TOO_LARGE {
            HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("gzip request body inflates past {} bytes", self.limit),
            )
        } else {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                "corrupt or truncated gzip request body",
            )
        };
        tracing::debug!(target: "pastry_gzip", status = %error.status(), limit = self.limit, "request body rejected");
        error.into()
    }

    /// Inflates some of the pending input; `Ok(None)` when it produced
    /// nothing (more input needed).
    fn inflate(&mut self) -> Result<Option<Bytes>, BoxError> {
        let room = usize::try_from(self.limit - self.produced).unwrap_or(usize::MAX);
        // One byte past the limit is enough to know it was exceeded.
        let mut out = Vec::with_capacity(CHUNK.min(room.saturating_add(1)));
        let before = self.inflate.total_in();
        let status = self
            .inflate
            .decompress_vec(&self.pending, &mut out, FlushDecompress::None);
        let consumed = usize::try_from(self.inflate.total_in() - before).unwrap_or(usize::MAX);
        self.pending.advance(consumed.min(self.pending.len()));
        match status {
            Err(_) => return Err(self.fail(CORRUPT)),
            Ok(Status::StreamEnd) => {
                self.ended = true;
                if !self.pending.is_empty() {
                    // A second gzip member or trailing garbage.
                    return Err(self.fail(CORRUPT));
                }
            }
            Ok(_) if consumed == 0 && out.is_empty() => return Err(self.fail(CORRUPT)),
            Ok(_) => {}
        }
        self.produced += out.len() as u64;
        if self.produced > self.limit {
            return Err(self.fail(TOO_LARGE));
        }
        Ok((!out.is_empty()).then(|| Bytes::from(out)))
    }
}

impl<B> Body for DecompressBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let mut inner = this.inner;
        let Some(decoder) = this.decoder.as_mut() else {
            return inner
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(Into::into)));
        };
        loop {
            if decoder.failed {
                return Poll::Ready(None);
            }
            if !decoder.pending.is_empty() {
                match decoder.inflate() {
                    Ok(Some(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(None) => continue,
                    Err(error) => return Poll::Ready(Some(Err(error))),
                }
            }
            match ready!(inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => {}
                    Ok(_) if decoder.ended => return Poll::Ready(Some(Err(decoder.fail(CORRUPT)))),
                    Ok(data) => decoder.pending = data,
                    Err(frame) if decoder.ended => return Poll::Ready(Some(Ok(frame))),
                    Err(_) => return Poll::Ready(Some(Err(decoder.fail(CORRUPT)))),
                },
                Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
                // An empty body is empty, whatever its Content-Encoding says.
                None if decoder.ended || decoder.inflate.total_in() == 0 => {
                    return Poll::Ready(None);
                }
                None => return Poll::Ready(Some(Err(decoder.fail(CORRUPT)))),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.decoder {
            None => self.inner.is_end_stream(),
            Some(decoder) => decoder.failed,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.decoder {
            None => self.inner.size_hint(),
            Some(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use http::{HeaderValue, Request};
    use http_body_util::{BodyExt, Full, StreamBody};

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn gzip_request(body: Vec<u8>) -> request::Parts {
        let (mut parts, ()) = Request::post("/").body(()).unwrap().into_parts();
        parts
            .headers
            .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        parts
    }

    async fn decode(
        chunks: Vec<Vec<u8>>,
        limit: u64,
    ) -> (Result<Bytes, BoxError>, Option<StatusCode>) {
        let total: Vec<u8> = chunks.concat();
        let mut parts = gzip_request(total);
        let frames = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, BoxError>(Frame::data(Bytes::from(c)))),
        );
        let (body, outcome) =
            DecompressBody::for_request(&mut parts, StreamBody::new(frames), limit);
        assert!(parts.headers.get(CONTENT_ENCODING).is_none());
        assert!(parts.headers.get(CONTENT_LENGTH).is_none());
        let result = body.collect().await.map(|c| c.to_bytes());
        (result, outcome.unwrap().failure())
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn decodes_across_frame_boundaries() {
        let text = b"hello gzip world ".repeat(500);
        let gz = gzip(&text);
        let chunks = gz.chunks(7).map(<[u8]>::to_vec).collect();
        let (result, failure) = block_on(decode(chunks, 1 << 20));
        assert_eq!(result.unwrap(), text);
        assert_eq!(failure, None);
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let gz = gzip(&vec![0u8; 50 << 20]);
        assert!(gz.len() < 100_000);
        let (result, failure) = block_on(decode(vec![gz], 1 << 20));
        let error = result.unwrap_err();
        assert_eq!(
            HttpError::find(&*error).unwrap().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(failure, Some(StatusCode::PAYLOAD_TOO_LARGE));
    }

    #[test]
    fn exactly_the_limit_is_allowed() {
        let gz = gzip(&[7u8; 1000]);
        let (result, failure) = block_on(decode(vec![gz], 1000));
        assert_eq!(result.unwrap().len(), 1000);
        assert_eq!(failure, None);
    }

    #[test]
    fn corrupt_truncated_and_trailing_input_are_400() {
        let gz = gzip(b"some body that is long enough to matter");
        let mut flipped = gz.clone();
        flipped[gz.len() - 6] ^= 0xff; // inside the CRC
        let cases = [
            vec![b"not gzip at all".to_vec()],
            vec![gz[..gz.len() - 4].to_vec()],
            vec![flipped],
            vec![gz.clone(), b"junk".to_vec()],
        ];
        for chunks in cases {
            let (result, failure) = block_on(decode(chunks, 1 << 20));
            assert!(result.is_err());
            assert_eq!(failure, Some(StatusCode::BAD_REQUEST));
        }
    }

    #[test]
    fn an_empty_gzip_labelled_body_is_empty() {
        let (result, failure) = block_on(decode(vec![], 10));
        assert_eq!(result.unwrap(), "");
        assert_eq!(failure, None);
    }

    #[test]
    fn other_codings_pass_through() {
        let (mut parts, ()) = Request::post("/").body(()).unwrap().into_parts();
        parts
            .headers
            .insert(CONTENT_ENCODING, HeaderValue::from_static("br"));
        let (body, outcome) =
            DecompressBody::for_request(&mut parts, Full::new(Bytes::from("x")), 10);
        assert!(outcome.is_none());
        assert!(parts.headers.contains_key(CONTENT_ENCODING));
        assert_eq!(block_on(body.collect()).unwrap().to_bytes(), "x");
    }
}
