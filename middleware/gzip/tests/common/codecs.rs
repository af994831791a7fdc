//! Reference encoders and decoders for every coding this build has, from
//! the reference crates (flate2, brotli, zstd), not from the middleware.

use std::io::{Read, Write};

use pastry_gzip::Coding;

/// Every coding this build speaks, each tested the same way.
pub fn codings() -> Vec<Coding> {
    vec![
        Coding::Gzip,
        #[cfg(feature = "br")]
        Coding::Br,
        #[cfg(feature = "zstd")]
        Coding::Zstd,
    ]
}

/// A whole stream decoded; panics on anything but a complete, valid one.
pub fn decode(coding: Coding, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        Coding::Gzip => {
            flate2::read::GzDecoder::new(data)
                .read_to_end(&mut out)
                .unwrap();
        }
        #[cfg(feature = "br")]
        Coding::Br => {
            brotli::Decompressor::new(data, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        #[cfg(feature = "zstd")]
        Coding::Zstd => out = zstd::decode_all(data).unwrap(),
        _ => unreachable!("a coding this build has"),
    }
    out
}

/// What a streaming decoder can produce from the start of a stream, which
/// may stop anywhere: the bytes a client has after these frames.
pub fn decode_prefix(coding: Coding, data: &[u8]) -> Vec<u8> {
    match coding {
        Coding::Gzip => {
            let mut decoder = flate2::write::GzDecoder::new(Vec::new());
            decoder.write_all(data).unwrap();
            decoder.flush().unwrap();
            std::mem::take(decoder.get_mut())
        }
        #[cfg(feature = "br")]
        Coding::Br => {
            let mut state = brotli::BrotliState::new(
                brotli::HeapAlloc::<u8>::default(),
                brotli::HeapAlloc::<u32>::default(),
                brotli::HeapAlloc::<brotli::HuffmanCode>::default(),
            );
            let mut out = Vec::new();
            let mut input_offset = 0;
            let mut available_in = data.len();
            loop {
                let mut buf = vec![0u8; 64 * 1024];
                let mut available_out = buf.len();
                let mut output_offset = 0;
                let mut total = 0;
                let result = brotli::BrotliDecompressStream(
                    &mut available_in,
                    &mut input_offset,
                    data,
                    &mut available_out,
                    &mut output_offset,
                    &mut buf,
                    &mut total,
                    &mut state,
                );
                out.extend_from_slice(&buf[..output_offset]);
                match result {
                    brotli::BrotliResult::NeedsMoreOutput => continue,
                    brotli::BrotliResult::ResultFailure => panic!("corrupt brotli"),
                    _ => return out,
                }
            }
        }
        #[cfg(feature = "zstd")]
        Coding::Zstd => {
            use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};
            let mut decoder = Decoder::new().unwrap();
            let mut src = InBuffer::around(data);
            let mut out = Vec::new();
            loop {
                let mut buf = vec![0u8; 64 * 1024];
                let mut dst = OutBuffer::around(&mut buf[..]);
                decoder.run(&mut src, &mut dst).unwrap();
                let written = dst.pos();
                out.extend_from_slice(&buf[..written]);
                if written == 0 && src.pos() == data.len() {
                    return out;
                }
            }
        }
        _ => unreachable!("a coding this build has"),
    }
}

/// `data` compressed with the reference encoder.
pub fn encode(coding: Coding, data: &[u8]) -> Vec<u8> {
    match coding {
        Coding::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        }
        #[cfg(feature = "br")]
        Coding::Br => {
            let mut out = Vec::new();
            {
                let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                enc.write_all(data).unwrap();
            }
            out
        }
        #[cfg(feature = "zstd")]
        Coding::Zstd => zstd::encode_all(data, 3).unwrap(),
        _ => unreachable!("a coding this build has"),
    }
}
