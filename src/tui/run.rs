//! Placeholder replaced below.
use crate::cli::Cli;
/// Opens the dashboard.
pub fn dashboard(_cli: &Cli) -> u8 {
    0
}
