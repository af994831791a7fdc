//! The user stores that come with the crate.

pub(crate) mod file;
pub(crate) mod memory;
