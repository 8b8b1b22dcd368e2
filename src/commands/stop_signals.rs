//! The signals that stop a face without a screen gracefully (`nox
//! --headless`, `nox run`): SIGTERM, SIGINT and SIGHUP, caught from the
//! moment they are installed, so one that arrives right after a face
//! printed its first line stops it in order instead of killing it.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// SIGTERM, SIGINT and SIGHUP handlers.
pub struct StopSignals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl StopSignals {
    /// Installs the handlers (inside a tokio runtime). Errors: the OS
    /// refused one.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next one; says which (`SIGTERM`, `SIGINT`, `SIGHUP`).
    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
            _ = self.hup.recv() => "SIGHUP",
        }
    }
}
