//! PTY hosting: spawning agents in PTYs (with a parent-death signal), the
//! blocking reader that feeds each agent's vt100 parser, answers to terminal
//! queries, and the xterm encodings of keys, mouse and paste.

pub mod answers;
pub mod keys;
pub mod log;
pub mod reader;
pub mod spawn;
pub mod term;

pub use answers::Answers;
pub use spawn::{ExitInfo, NativePty, PtyBackend, PtyControl, PtyProcess, SpawnRequest};
pub use term::Term;
