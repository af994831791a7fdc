//! The crate's error type.

/// A bad configuration, reported when the layer is built.
///
/// ```
/// use pastry_gzip::{GzipError, Level};
///
/// let err = Level::new(11).unwrap_err();
/// assert!(matches!(err, GzipError::InvalidLevel(11)));
/// assert_eq!(err.to_string(), "gzip level 11 is out of range (0-9)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GzipError {
    /// The compression level is not between 0 and 9.
    #[error("gzip level {0} is out of range (0-9)")]
    InvalidLevel(u32),
    /// The brotli quality is not between 0 and 11.
    #[error("brotli level {0} is out of range (0-11)")]
    InvalidBrLevel(u32),
    /// The zstd level is not between 1 and 19.
    #[error("zstd level {0} is out of range (1-19)")]
    InvalidZstdLevel(u32),
}
