//! Shared bench helpers.
pub mod baseline;
pub mod termgen;
