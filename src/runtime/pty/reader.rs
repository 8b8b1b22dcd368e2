//! The blocking reader of one agent's PTY: reads up to 64 KiB at a time,
//! appends it to the raw log and feeds the agent's parser. It ends at EOF or
//! EIO (the child and everything holding the PTY slave are gone).

use std::io::Read;

use super::log::AgentLog;
use super::term::Term;

/// Read size of the PTY reader, in bytes.
pub const READ_SIZE: usize = 64 * 1024;

/// Reader loop; runs on its own thread until the PTY closes.
pub(crate) fn run(
    term: &Term,
    mut reader: Box<dyn Read + Send>,
    mut log: Option<AgentLog>,
    session: u64,
) {
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Some(log) = log.as_mut() {
                    log.write(&buf[..n]);
                }
                term.ingest(session, &buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if term.is_session(session) {
        term.mark_dirty();
    }
}
