//! Shared fixtures for the Pastry benches.
