//! Raw PTY output of one agent to `.nox/logs/agents/<name>.log`, size-capped
//! and rotated: past the cap the file becomes `<name>.log.1` (replacing the
//! previous one) and a new file starts, so at most twice the cap is kept.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

/// Default cap of one agent log file, in bytes (8 MiB).
pub const DEFAULT_CAP: u64 = 8 * 1024 * 1024;

/// An append-only, rotating raw output log.
#[derive(Debug)]
pub struct AgentLog {
    path: PathBuf,
    file: Option<File>,
    written: u64,
    cap: u64,
}

impl AgentLog {
    /// Opens (appending to) `path`, creating its directory.
    pub fn open(path: PathBuf, cap: u64) -> Self {
        let mut log = Self {
            path,
            file: None,
            written: 0,
            cap,
        };
        log.reopen();
        log
    }

    fn reopen(&mut self) {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .ok();
        self.written = self
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len());
    }

    /// Appends `bytes`; write errors are dropped (the log must never stall an agent).
    pub fn write(&mut self, bytes: &[u8]) {
        if self.written + bytes.len() as u64 > self.cap && self.written > 0 {
            let mut old = self.path.clone().into_os_string();
            old.push(".1");
            let _ = std::fs::rename(&self.path, old);
            self.reopen();
        }
        if let Some(f) = self.file.as_mut()
            && f.write_all(bytes).is_ok()
        {
            self.written += bytes.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_past_the_cap() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("agents/a.log");
        let mut log = AgentLog::open(path.clone(), 10);
        log.write(b"12345678");
        log.write(b"abcdef");
        assert_eq!(std::fs::read(&path).expect("log"), b"abcdef");
        assert_eq!(
            std::fs::read(tmp.path().join("agents/a.log.1")).expect("old"),
            b"12345678"
        );
    }
}
