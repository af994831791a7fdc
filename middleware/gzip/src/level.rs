//! The compression level, one scale for both engines.

use crate::error::GzipError;

/// How hard to compress, on zlib's familiar 0-9 scale.
///
/// Both engines receive the same number: the one-shot engine (libdeflate) for
/// bodies known up front and the streaming engine (zlib-rs) for the rest. At
/// equal levels libdeflate's output is the same size as zlib's or smaller, so
/// a level means the same trade-off whichever engine answers a response.
///
/// ```
/// use pastry_gzip::Level;
///
/// assert_eq!(Level::DEFAULT.get(), 6);
/// assert_eq!(Level::new(9).unwrap(), Level::BEST);
/// assert!(Level::new(10).is_err());
/// assert_eq!(Level::default(), Level::DEFAULT);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(u8);

impl Level {
    /// Level 0: stored blocks, no compression (still gzip framing).
    pub const NONE: Level = Level(0);
    /// Level 1: the fastest real compression.
    pub const FASTEST: Level = Level(1);
    /// Level 6: the usual balance, and the default.
    pub const DEFAULT: Level = Level(6);
    /// Level 9: the smallest output.
    pub const BEST: Level = Level(9);

    /// A level from 0 to 9; anything above is [`GzipError::InvalidLevel`].
    pub fn new(level: u32) -> Result<Level, GzipError> {
        u8::try_from(level)
            .ok()
            .filter(|level| *level <= 9)
            .map(Level)
            .ok_or(GzipError::InvalidLevel(level))
    }

    /// The level as a number from 0 to 9.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    pub(crate) fn zlib(self) -> flate2::Compression {
        flate2::Compression::new(self.get())
    }

    pub(crate) fn libdeflate(self) -> libdeflater::CompressionLvl {
        // 0-9 is inside libdeflate's 0-12 range, so this cannot fail.
        libdeflater::CompressionLvl::new(i32::from(self.0)).unwrap_or_default()
    }
}

impl Default for Level {
    fn default() -> Self {
        Level::DEFAULT
    }
}

impl TryFrom<u32> for Level {
    type Error = GzipError;

    fn try_from(level: u32) -> Result<Self, Self::Error> {
        Level::new(level)
    }
}

/// Brotli's quality, 0 to 11 (cargo feature `br`).
///
/// The default is 4, as tower-http's: brotli's own default, 11, is meant
/// for files compressed once and served many times, and takes tens of
/// milliseconds per 100 KiB; at 4 brotli is about as fast as gzip at 6 and
/// still smaller.
///
/// ```
/// use pastry_gzip::BrLevel;
///
/// assert_eq!(BrLevel::DEFAULT.get(), 4);
/// assert_eq!(BrLevel::new(11).unwrap(), BrLevel::BEST);
/// assert!(BrLevel::new(12).is_err());
/// ```
#[cfg(feature = "br")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrLevel(u8);

#[cfg(feature = "br")]
impl BrLevel {
    /// Quality 0: the fastest.
    pub const FASTEST: BrLevel = BrLevel(0);
    /// Quality 4: the default, for responses compressed as they are sent.
    pub const DEFAULT: BrLevel = BrLevel(4);
    /// Quality 11: the smallest output, and by far the slowest.
    pub const BEST: BrLevel = BrLevel(11);

    /// A quality from 0 to 11; anything above is
    /// [`GzipError::InvalidBrLevel`].
    pub fn new(level: u32) -> Result<BrLevel, GzipError> {
        u8::try_from(level)
            .ok()
            .filter(|level| *level <= 11)
            .map(BrLevel)
            .ok_or(GzipError::InvalidBrLevel(level))
    }

    /// The quality as a number from 0 to 11.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

#[cfg(feature = "br")]
impl Default for BrLevel {
    fn default() -> Self {
        BrLevel::DEFAULT
    }
}

/// Zstandard's level, 1 to 19 (cargo feature `zstd`).
///
/// The default is 3, zstd's own. Levels 20 to 22 ("ultra") are refused:
/// they need a window larger than the 8 MiB that HTTP's `zstd` coding
/// allows a decoder to insist on (RFC 9659), so some clients would fail
/// to decode them.
///
/// ```
/// use pastry_gzip::ZstdLevel;
///
/// assert_eq!(ZstdLevel::DEFAULT.get(), 3);
/// assert_eq!(ZstdLevel::new(19).unwrap(), ZstdLevel::BEST);
/// assert!(ZstdLevel::new(0).is_err());
/// assert!(ZstdLevel::new(22).is_err());
/// ```
#[cfg(feature = "zstd")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZstdLevel(u8);

#[cfg(feature = "zstd")]
impl ZstdLevel {
    /// Level 1: the fastest.
    pub const FASTEST: ZstdLevel = ZstdLevel(1);
    /// Level 3: zstd's default, and this crate's.
    pub const DEFAULT: ZstdLevel = ZstdLevel(3);
    /// Level 19: the smallest output within HTTP's window limit.
    pub const BEST: ZstdLevel = ZstdLevel(19);

    /// A level from 1 to 19; anything else is
    /// [`GzipError::InvalidZstdLevel`].
    pub fn new(level: u32) -> Result<ZstdLevel, GzipError> {
        u8::try_from(level)
            .ok()
            .filter(|level| (1..=19).contains(level))
            .map(ZstdLevel)
            .ok_or(GzipError::InvalidZstdLevel(level))
    }

    /// The level as a number from 1 to 19.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    pub(crate) fn zstd(self) -> i32 {
        i32::from(self.0)
    }
}

#[cfg(feature = "zstd")]
impl Default for ZstdLevel {
    fn default() -> Self {
        ZstdLevel::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_maps_to_the_same_number_in_both_engines() {
        for n in 0..=9 {
            let level = Level::new(n).unwrap();
            assert_eq!(level.zlib().level(), n);
            assert_eq!(i32::from(level.libdeflate()), n as i32);
        }
    }

    #[test]
    fn out_of_range_levels_are_typed_errors() {
        assert!(matches!(Level::new(10), Err(GzipError::InvalidLevel(10))));
        assert!(matches!(
            Level::try_from(u32::MAX),
            Err(GzipError::InvalidLevel(u32::MAX))
        ));
    }
}
