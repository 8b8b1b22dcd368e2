//! Progress of a `nox run` on stderr: one line per task transition (and
//! per agent that stops for good), each with the time since the run
//! started; statuses in colour only when stderr is a terminal and
//! `NO_COLOR` is unset.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Writes progress lines.
pub struct Progress {
    start: Instant,
    color: bool,
}

impl Progress {
    /// Progress of a run starting now.
    pub fn new() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            start: Instant::now(),
            color: std::io::stderr().is_terminal() && !no_color,
        }
    }

    /// Time since the run started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Prints `[  3.2s] text` (a closed stderr is ignored).
    pub fn line(&self, text: &str) {
        let secs = self.elapsed().as_secs_f64();
        let _ = writeln!(std::io::stderr().lock(), "[{secs:>6.1}s] {text}");
    }

    /// `status`, coloured by what it means when colour is on.
    pub fn status(&self, status: &str) -> String {
        if !self.color {
            return status.to_string();
        }
        let code = match status {
            "done" => "32",
            "failed" | "cancelled" | "timed out" | "crashed" => "31",
            "running" | "assigned" => "33",
            _ => return status.to_string(),
        };
        format!("\x1b[{code}m{status}\x1b[0m")
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

/// The first line of `text`, at most `max` characters (with `…` when cut).
pub fn clip(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() <= max && text.trim().lines().count() <= 1 {
        return line.to_string();
    }
    let cut: String = line.chars().take(max).collect();
    format!("{cut}…")
}
