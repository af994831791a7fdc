//! Request bodies: gzip (and brotli, zstd) decoded for the inner app, with
//! a size limit.

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

#[cfg(feature = "br")]
use brotli::{HeapAlloc, HuffmanCode};

use crate::coding::Coding;

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

/// The coding of the request body, when it is a single coding this build
/// decodes (`gzip` or `x-gzip`; `br`, `zstd` with their features).
fn request_coding(headers: &HeaderMap) -> Option<Coding> {
    let mut codings = headers.get_all(CONTENT_ENCODING).iter();
    match (codings.next(), codings.next()) {
        (Some(value), None) => value.to_str().ok().and_then(Coding::from_name),
        _ => None,
    }
}

/// The most window a zstd request body may ask for: 2^23 bytes (8 MiB),
/// RFC 9659's limit for the `zstd` content coding. A frame asking for
/// more is refused (400) instead of making the server allocate it.
#[cfg(feature = "zstd")]
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// One decoder per coding; each takes input as it arrives and writes at
/// most the room it is given.
enum Inflater {
    Gzip(Decompress),
    #[cfg(feature = "br")]
    Br(Box<brotli::BrotliState<HeapAlloc<u8>, HeapAlloc<u32>, HeapAlloc<HuffmanCode>>>),
    #[cfg(feature = "zstd")]
    Zstd(zstd::stream::raw::Decoder<'static>),
}

/// What one step of an inflater did.
struct Step {
    consumed: usize,
    /// The compressed stream ended (a frame boundary, for zstd).
    ended: bool,
}

impl Inflater {
    fn new(coding: Coding) -> Result<Self, ()> {
        Ok(match coding {
            Coding::Gzip => Inflater::Gzip(Decompress::new_gzip(15)),
            #[cfg(feature = "br")]
            Coding::Br => Inflater::Br(Box::new(brotli::BrotliState::new_strict(
                HeapAlloc::default(),
                HeapAlloc::default(),
                HeapAlloc::default(),
            ))),
            #[cfg(feature = "zstd")]
            Coding::Zstd => {
                let mut decoder = zstd::stream::raw::Decoder::new().map_err(|_| ())?;
                decoder
                    .set_parameter(zstd::zstd_safe::DParameter::WindowLogMax(
                        ZSTD_WINDOW_LOG_MAX,
                    ))
                    .map_err(|_| ())?;
                Inflater::Zstd(decoder)
            }
        })
    }

    /// Decodes from `input` into the spare capacity of `out`; `Err` for
    /// corrupt input.
    fn step(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Step, ()> {
        match self {
            Inflater::Gzip(inflate) => {
                let before = inflate.total_in();
                let status = inflate.decompress_vec(input, out, FlushDecompress::None);
                let consumed = usize::try_from(inflate.total_in() - before).unwrap_or(usize::MAX);
                match status {
                    Err(_) => Err(()),
                    Ok(Status::StreamEnd) => Ok(Step {
                        consumed,
                        ended: true,
                    }),
                    Ok(_) => Ok(Step {
                        consumed,
                        ended: false,
                    }),
                }
            }
            #[cfg(feature = "br")]
            Inflater::Br(state) => {
                let start = out.len();
                let room = out.capacity() - start;
                out.resize(start + room, 0);
                let mut available_in = input.len();
                let mut input_offset = 0;
                let mut available_out = room;
                let mut output_offset = start;
                let mut total_out = 0;
                let result = brotli::BrotliDecompressStream(
                    &mut available_in,
                    &mut input_offset,
                    input,
                    &mut available_out,
                    &mut output_offset,
                    out,
                    &mut total_out,
                    state,
                );
                out.truncate(output_offset);
                match result {
                    brotli::BrotliResult::ResultFailure => Err(()),
                    brotli::BrotliResult::ResultSuccess => Ok(Step {
                        consumed: input_offset,
                        ended: true,
                    }),
                    _ => Ok(Step {
                        consumed: input_offset,
                        ended: false,
                    }),
                }
            }
            #[cfg(feature = "zstd")]
            Inflater::Zstd(decoder) => {
                use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
                let mut src = InBuffer::around(input);
                let pos = out.len();
                let mut dst = OutBuffer::around_pos(out, pos);
                let hint = decoder.run(&mut src, &mut dst).map_err(|_| ())?;
                // 0: a frame is complete and flushed. Another may follow
                // (RFC 8878 allows several frames), so zstd starts again.
                Ok(Step {
                    consumed: src.pos(),
                    ended: hint == 0,
                })
            }
        }
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
    coding: Coding,
    inflate: Inflater,
    pending: Bytes,
    /// Compressed bytes fed to the inflater so far.
    fed: u64,
    /// The last step filled its output: the inflater may hold more
    /// output even with no input left (brotli and zstd take input ahead).
    more_output: bool,
    produced: u64,
    limit: u64,
    ended: bool,
    failed: bool,
    outcome: Arc<DecodeOutcome>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("coding", &self.coding)
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

    /// Prepares a request: a compressed body is wrapped in a decoder and loses its
    /// `Content-Encoding` and `Content-Length`; the outcome handle reports
    /// failures to the response future.
    pub(crate) fn for_request(
        parts: &mut request::Parts,
        inner: B,
        limit: u64,
    ) -> (Self, Option<Arc<DecodeOutcome>>) {
        let coding = match request_coding(&parts.headers) {
            // An upgrade's request body, if any, is the other protocol's
            // business: it passes as sent, `Content-Encoding` and all.
            Some(_) if is_upgrade(&parts.method, &parts.headers) => None,
            coding => coding,
        };
        let Some(coding) = coding else {
            return (Self::plain(inner), None);
        };
        parts.headers.remove(CONTENT_ENCODING);
        parts.headers.remove(CONTENT_LENGTH);
        let outcome = Arc::new(DecodeOutcome::default());
        let (inflate, failed) = match Inflater::new(coding) {
            Ok(inflate) => (inflate, false),
            // No decoder could be made (zstd out of memory): refused as
            // corrupt rather than passed on still encoded.
            Err(()) => (Inflater::Gzip(Decompress::new_gzip(15)), true),
        };
        let mut decoder = Decoder {
            coding,
            inflate,
            fed: 0,
            more_output: false,
            pending: Bytes::new(),
            produced: 0,
            limit,
            ended: false,
            failed: false,
            outcome: Arc::clone(&outcome),
        };
        if failed {
            let _ = decoder.fail(CORRUPT);
        }
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
                format!(
                    "{} request body inflates past {} bytes",
                    self.coding, self.limit
                ),
            )
        } else {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                format!("corrupt or truncated {} request body", self.coding),
            )
        };
        tracing::debug!(target: "pastry_gzip", status = %error.status(), coding = %self.coding, limit = self.limit, "request body rejected");
        error.into()
    }

    /// Inflates some of the pending input; `Ok(None)` when it produced
    /// nothing (more input needed).
    fn inflate(&mut self) -> Result<Option<Bytes>, BoxError> {
        let room = usize::try_from(self.limit - self.produced).unwrap_or(usize::MAX);
        // One byte past the limit is enough to know it was exceeded.
        let mut out = Vec::with_capacity(CHUNK.min(room.saturating_add(1)));
        let step = self.inflate.step(&self.pending, &mut out);
        let Ok(Step { consumed, ended }) = step else {
            return Err(self.fail(CORRUPT));
        };
        let consumed = consumed.min(self.pending.len());
        self.pending.advance(consumed);
        self.fed += consumed as u64;
        self.ended = ended;
        let had_input = !self.pending.is_empty() || consumed > 0;
        self.more_output = !ended && out.len() == out.capacity();
        if ended {
            if !self.pending.is_empty() && !self.more_frames_allowed() {
                // A second gzip member, or bytes after the brotli stream.
                return Err(self.fail(CORRUPT));
            }
        } else if had_input && consumed == 0 && out.is_empty() {
            return Err(self.fail(CORRUPT));
        }
        self.produced += out.len() as u64;
        if self.produced > self.limit {
            return Err(self.fail(TOO_LARGE));
        }
        Ok((!out.is_empty()).then(|| Bytes::from(out)))
    }
}

impl Decoder {
    /// Whether input may follow the end of a stream: zstd data is one or
    /// more frames (RFC 8878 section 3); gzip members and brotli streams
    /// end the body.
    fn more_frames_allowed(&self) -> bool {
        #[cfg(feature = "zstd")]
        if matches!(self.inflate, Inflater::Zstd(_)) {
            return true;
        }
        false
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
            if !decoder.pending.is_empty() || decoder.more_output {
                match decoder.inflate() {
                    Ok(Some(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(None) => continue,
                    Err(error) => return Poll::Ready(Some(Err(error))),
                }
            }
            match ready!(inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => {}
                    Ok(_) if decoder.ended && !decoder.more_frames_allowed() => {
                        return Poll::Ready(Some(Err(decoder.fail(CORRUPT))));
                    }
                    Ok(data) => decoder.pending = data,
                    Err(frame) if decoder.ended => return Poll::Ready(Some(Ok(frame))),
                    Err(_) => return Poll::Ready(Some(Err(decoder.fail(CORRUPT)))),
                },
                Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
                // An empty body is empty, whatever its Content-Encoding says.
                None if decoder.ended || decoder.fed == 0 => {
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
            .insert(CONTENT_ENCODING, HeaderValue::from_static("compress"));
        let (body, outcome) =
            DecompressBody::for_request(&mut parts, Full::new(Bytes::from("x")), 10);
        assert!(outcome.is_none());
        assert!(parts.headers.contains_key(CONTENT_ENCODING));
        assert_eq!(block_on(body.collect()).unwrap().to_bytes(), "x");
    }
}
