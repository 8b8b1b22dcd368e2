//! Shared bench helpers.
pub mod termgen;
