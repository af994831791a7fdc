//! The compressor's metrics (feature `metrics`), recorded through the
//! `metrics` facade: bytes in and out by coding, whose ratio is the
//! compression ratio.

use bytes::Bytes;

use crate::Coding;

/// Counts `bytes_in` read and what `compressed` produced, for `coding`.
pub(crate) fn compressed<E>(coding: Coding, bytes_in: usize, compressed: &Result<Bytes, E>) {
    let Ok(out) = compressed else { return };
    let coding = coding.as_str();
    metrics::counter!("pastry_gzip_bytes_in_total", "coding" => coding).increment(bytes_in as u64);
    metrics::counter!("pastry_gzip_bytes_out_total", "coding" => coding)
        .increment(out.len() as u64);
}
