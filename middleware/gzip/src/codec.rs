//! The two engines: libdeflate for a whole body in one call, zlib-rs for
//! streams.

use std::io;

use bytes::Bytes;
use flate2::{FlushCompress, Status};

use crate::pool::{PooledStream, Pools};

/// Compresses a whole body in one call with libdeflate.
pub(crate) fn compress_oneshot(pools: &Pools, input: &[u8]) -> io::Result<Bytes> {
    pools.with_oneshot(|compressor| {
        let bound = compressor.gzip_compress_bound(input.len());
        let mut out = vec![0u8; bound];
        let written = compressor
            .gzip_compress(input, &mut out)
            .map_err(io::Error::other)?;
        out.truncate(written);
        // The bound is about the input's size; keep a large, well
        // compressed body from pinning that much memory until it is sent.
        if out.capacity() - out.len() > 64 * 1024 {
            return Ok(Bytes::copy_from_slice(&out));
        }
        Ok(Bytes::from(out))
    })
}

/// A gzip stream being written frame by frame.
#[derive(Debug)]
pub(crate) struct StreamEncoder {
    stream: PooledStream,
    out: Vec<u8>,
}

impl StreamEncoder {
    pub(crate) fn new(stream: PooledStream) -> Self {
        StreamEncoder {
            stream,
            out: Vec::new(),
        }
    }

    /// Compresses `input`; with `flush` everything so far is made decodable
    /// (a zlib sync flush). Returns what the compressor produced, possibly
    /// nothing.
    pub(crate) fn encode(&mut self, input: &[u8], flush: bool) -> io::Result<Bytes> {
        let mode = if flush {
            FlushCompress::Sync
        } else {
            FlushCompress::None
        };
        self.run(input, mode)?;
        Ok(self.take())
    }

    /// Ends the stream: the last block and the gzip trailer (CRC and size).
    pub(crate) fn finish(&mut self) -> io::Result<Bytes> {
        self.run(&[], FlushCompress::Finish)?;
        Ok(self.take())
    }

    fn take(&mut self) -> Bytes {
        if self.out.is_empty() {
            Bytes::new()
        } else {
            Bytes::from(std::mem::take(&mut self.out))
        }
    }

    fn run(&mut self, mut input: &[u8], mode: FlushCompress) -> io::Result<()> {
        let compress = self.stream.get();
        loop {
            if self.out.capacity() - self.out.len() < 64 {
                self.out.reserve((input.len() / 2).clamp(4096, 64 * 1024));
            }
            let before = compress.total_in();
            let status = compress
                .compress_vec(input, &mut self.out, mode)
                .map_err(io::Error::other)?;
            let consumed = usize::try_from(compress.total_in() - before).unwrap_or(input.len());
            input = &input[consumed.min(input.len())..];
            let room_left = self.out.len() < self.out.capacity();
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
            assert_eq!(gunzip(&compress_oneshot(&pools, &input).unwrap()), input);
        }
    }

    #[test]
    fn stream_round_trips_across_frames_and_reuse() {
        let pools = Arc::new(Pools::new(Level::DEFAULT));
        for round in 0..3 {
            let input = sample(200_000 + round);
            let mut enc = StreamEncoder::new(pools.stream());
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
        let mut enc = StreamEncoder::new(pools.stream());
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
            let one = compress_oneshot(&pools, &input).unwrap().len();
            let mut enc = StreamEncoder::new(pools.stream());
            let mut streamed = enc.encode(&input, false).unwrap().len();
            streamed += enc.finish().unwrap().len();
            assert!(
                one as f64 <= streamed as f64 * 1.05,
                "level {n}: {one} vs {streamed}"
            );
        }
    }
}
