//! How an agent's process ended.

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitInfo {
    /// Exit code (1 when killed by a signal, as portable-pty reports it).
    pub code: u32,
    /// Signal description ("Killed", "Terminated") when killed by a signal.
    pub signal: Option<String>,
}

impl ExitInfo {
    /// Exit code 0 and no signal.
    pub fn success(&self) -> bool {
        self.code == 0 && self.signal.is_none()
    }
}

impl std::fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.signal {
            Some(s) => write!(f, "killed by signal ({s})"),
            None => write!(f, "exit code {}", self.code),
        }
    }
}
