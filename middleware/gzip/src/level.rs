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
