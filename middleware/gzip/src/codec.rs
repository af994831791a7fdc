//! The engines. gzip: libdeflate for a whole body in one call, zlib-rs for
//! streams. brotli (feature `br`): the `brotli` crate for both. zstd
//! (feature `zstd`): libzstd's one-call and streaming APIs, contexts
//! pooled. Every streaming engine has the same three operations: compress
//! what arrived, flush so far (one frame made decodable), finish.

use std::io;

use bytes::Bytes;
use flate2::{FlushCompress, Status};

use crate::coding::Coding;
use crate::pool::{PooledStream, Pools};

/// Compresses a whole body in one call with `coding`.
pub(crate) fn compress_oneshot(pools: &Pools, coding: Coding, input: &[u8]) -> io::Result<Bytes> {
    let out = match coding {
        Coding::Gzip => pools.with_oneshot(|compressor| {
            let bound = compressor.gzip_compress_bound(input.len());
            let mut out = vec![0u8; bound];
            let written = compressor
                .gzip_compress(input, &mut out)
                .map_err(io::Error::other)?;
            out.truncate(written);
            Ok::<_, io::Error>(out)
        })?,
        #[cfg(feature = "br")]
        Coding::Br => {
            let params = brotli_params(pools, Some(input.len()));
            let mut out = Vec::with_capacity(input.len() / 4 + 64);
            brotli::BrotliCompress(&mut &input[..], &mut out, &params)?;
            out
        }
        #[cfg(feature = "zstd")]
        Coding::Zstd => pools.with_zstd_oneshot(|compressor| {
            let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(input.len()));
            compressor.compress_to_buffer(input, &mut out)?;
            Ok(out)
        })?,
    };
    Ok(shrink(out))
}

/// The bound is about the input's size; keep a large, well compressed body
/// from pinning that much memory until it is sent.
fn shrink(out: Vec<u8>) -> Bytes {
    if out.capacity() - out.len() > 64 * 1024 {
        return Bytes::copy_from_slice(&out);
    }
    Bytes::from(out)
}

#[cfg(feature = "br")]
fn brotli_params(pools: &Pools, size: Option<usize>) -> brotli::enc::BrotliEncoderParams {
    brotli::enc::BrotliEncoderParams {
        quality: i32::try_from(pools.levels().br.get()).unwrap_or(4),
        // A window no larger than the body (at least 1 KiB), at most 4 MiB
        // (brotli's usual 22) for streams of unknown size.
        lgwin: match size {
            Some(len) => (usize::BITS - len.max(1024).leading_zeros()).clamp(10, 22) as i32,
            None => 22,
        },
        size_hint: size.unwrap_or(0),
        ..Default::default()
    }
}

/// A compressed stream being written frame by frame.
#[derive(Debug)]
pub(crate) struct StreamEncoder {
    engine: Engine,
    out: Vec<u8>,
    /// The `coding` label of the bytes counted.
    #[cfg(feature = "metrics")]
    pub(crate) coding: Coding,
}

enum Engine {
    Gzip(PooledStream),
    #[cfg(feature = "br")]
    Br(Option<Box<brotli::CompressorWriter<Vec<u8>>>>),
    #[cfg(feature = "zstd")]
    Zstd(crate::pool::PooledZstd),
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Engine::Gzip(_) => "gzip",
            #[cfg(feature = "br")]
            Engine::Br(_) => "br",
            #[cfg(feature = "zstd")]
            Engine::Zstd(_) => "zstd",
        };
        f.write_str(name)
    }
}

impl StreamEncoder {
    /// A stream encoder for `coding`, from the layer's pools where it has
    /// one.
    pub(crate) fn new(pools: &std::sync::Arc<Pools>, coding: Coding) -> io::Result<Self> {
        let engine = match coding {
            Coding::Gzip => Engine::Gzip(pools.stream()),
            #[cfg(feature = "br")]
            Coding::Br => Engine::Br(Some(Box::new(brotli::CompressorWriter::with_params(
                Vec::new(),
                16 * 1024,
                &brotli_params(pools, None),
            )))),
            #[cfg(feature = "zstd")]
            Coding::Zstd => Engine::Zstd(pools.zstd_stream()?),
        };
        Ok(StreamEncoder {
            engine,
            out: Vec::new(),
            #[cfg(feature = "metrics")]
            coding,
        })
    }

    /// Compresses `input`; with `flush` everything so far is made decodable
    /// (a zlib sync flush, a brotli flush, the end of a zstd block).
    /// Returns what the compressor produced, possibly nothing.
    pub(crate) fn encode(&mut self, input: &[u8], flush: bool) -> io::Result<Bytes> {
        match &mut self.engine {
            Engine::Gzip(stream) => {
                let mode = if flush {
                    FlushCompress::Sync
                } else {
                    FlushCompress::None
                };
                run_deflate(stream, &mut self.out, input, mode)?;
            }
            #[cfg(feature = "br")]
            Engine::Br(writer) => {
                use std::io::Write;
                let writer = writer.as_mut().ok_or_else(finished)?;
                writer.write_all(input)?;
                if flush {
                    writer.flush()?;
                }
                return Ok(take(writer.get_mut()));
            }
            #[cfg(feature = "zstd")]
            Engine::Zstd(encoder) => {
                use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
                let encoder = encoder.get().ok_or_else(finished)?;
                let mut src = InBuffer::around(input);
                while src.pos() < input.len() {
                    reserve(&mut self.out, input.len() - src.pos());
                    let pos = self.out.len();
                    let mut dst = OutBuffer::around_pos(&mut self.out, pos);
                    encoder.run(&mut src, &mut dst)?;
                }
                if flush {
                    loop {
                        reserve(&mut self.out, 0);
                        let pos = self.out.len();
                        let mut dst = OutBuffer::around_pos(&mut self.out, pos);
                        if encoder.flush(&mut dst)? == 0 {
                            break;
                        }
                    }
                }
            }
        }
        Ok(take(&mut self.out))
    }

    /// Ends the stream: the last block and the coding's trailer.
    pub(crate) fn finish(&mut self) -> io::Result<Bytes> {
        match &mut self.engine {
            Engine::Gzip(stream) => {
                run_deflate(stream, &mut self.out, &[], FlushCompress::Finish)?;
            }
            #[cfg(feature = "br")]
            Engine::Br(writer) => {
                let writer = writer.take().ok_or_else(finished)?;
                return Ok(Bytes::from(writer.into_inner()));
            }
            #[cfg(feature = "zstd")]
            Engine::Zstd(encoder) => {
                use zstd::stream::raw::{Operation, OutBuffer};
                let encoder = encoder.get().ok_or_else(finished)?;
                loop {
                    reserve(&mut self.out, 0);
                    let pos = self.out.len();
                    let mut dst = OutBuffer::around_pos(&mut self.out, pos);
                    if encoder.finish(&mut dst, false)? == 0 {
                        break;
                    }
                }
            }
        }
        Ok(take(&mut self.out))
    }
}

#[cfg(any(feature = "br", feature = "zstd"))]
fn finished() -> io::Error {
    io::Error::other("compressed stream already finished")
}

/// Room for more output: at least 64 bytes, growing with the input.
fn reserve(out: &mut Vec<u8>, input: usize) {
    if out.capacity() - out.len() < 64 {
        out.reserve((input / 2).clamp(4096, 64 * 1024));
    }
}

fn take(out: &mut Vec<u8>) -> Bytes {
    if out.is_empty() {
        Bytes::new()
    } else {
        Bytes::from(std::mem::take(out))
    }
}

fn run_deflate(
    stream: &mut PooledStream,
    out: &mut Vec<u8>,
    mut input: &[u8],
    mode: FlushCompress,
) -> io::Result<()> {
    let compress = stream.get();
    loop {
        reserve(out, input.len());
        let before = compress.total_in();
        let status = compress
            .compress_vec(input, out, mode)
            .map_err(io::Error::other)?;
        let consumed = usize::try_from(compress.total_in() - before).unwrap_or(input.len());
        input = &input[consumed.min(input.len())..];
        let room_left = out.len() < out.capacity();
        match (mode, status) {
            (_, Status::StreamEnd) => return Ok(()),
            (FlushCompress::Finish, _) => {}
            // No progress possible: nothing pending and nothing to flush.
            (_, Status::BufError) if room_left => return Ok(()),
            _ if input.is_empty() && room_left => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::sync::Arc;

    use super::*;
    use crate::Level;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| b"the quick brown fox jumps "[i % 26] ^ (i / 997) as u8)
            .collect()
    }

    #[test]
    fn oneshot_round_trips_including_empty() {
        let pools = Pools::new(Level::DEFAULT);
        for len in [0, 1, 1000, 300_000] {
            let input = sample(len);
            assert_eq!(
                gunzip(&compress_oneshot(&pools, Coding::Gzip, &input).unwrap()),
                input
            );
        }
    }

    #[test]
    fn stream_round_trips_across_frames_and_reuse() {
        let pools = Arc::new(Pools::new(Level::DEFAULT));
        for round in 0..3 {
            let input = sample(200_000 + round);
            let mut enc = StreamEncoder::new(&pools, Coding::Gzip).unwrap();
            let mut gz = Vec::new();
            for chunk in input.chunks(7001) {
                gz.extend_from_slice(&enc.encode(chunk, false).unwrap());
            }
            gz.extend_from_slice(&enc.finish().unwrap());
            assert_eq!(gunzip(&gz), input);
        }
    }

    #[test]
    fn sync_flush_makes_each_frame_decodable_on_its_own() {
        let pools = Arc::new(Pools::new(Level::DEFAULT));
        let mut enc = StreamEncoder::new(&pools, Coding::Gzip).unwrap();
        let first = enc.encode(b"data: one\n\n", true).unwrap();
        let mut decoder = flate2::write::GzDecoder::new(Vec::new());
        std::io::Write::write_all(&mut decoder, &first).unwrap();
        std::io::Write::flush(&mut decoder).unwrap();
        assert_eq!(decoder.get_ref().as_slice(), b"data: one\n\n");
        let second = enc.encode(b"data: two\n\n", true).unwrap();
        std::io::Write::write_all(&mut decoder, &second).unwrap();
        std::io::Write::flush(&mut decoder).unwrap();
        assert_eq!(decoder.get_ref().as_slice(), b"data: one\n\ndata: two\n\n");
    }

    #[test]
    fn both_engines_produce_similar_sizes_at_the_same_level() {
        let input = sample(100_000);
        for n in [1, 6, 9] {
            let level = Level::new(n).unwrap();
            let pools = Arc::new(Pools::new(level));
            let one = compress_oneshot(&pools, Coding::Gzip, &input)
                .unwrap()
                .len();
            let mut enc = StreamEncoder::new(&pools, Coding::Gzip).unwrap();
            let mut streamed = enc.encode(&input, false).unwrap().len();
            streamed += enc.finish().unwrap().len();
            assert!(
                one as f64 <= streamed as f64 * 1.05,
                "level {n}: {one} vs {streamed}"
            );
        }
    }
}
