//! The runtime: one supervisor actor and one actor per agent, behind a
//! cloneable [`RuntimeHandle`] (commands in, events out). The TUI and the
//! HTTP faces hold handles; neither touches a PTY directly except through the
//! agent's shared [`pty::Term`] (screen reads, key writes, no round trip).

pub mod agent;
pub mod handle;
pub mod pty;
pub mod scheduler;
pub mod stubs;
pub mod supervisor;
pub mod taskfiles;
pub mod worktree;

pub use handle::{AgentView, Event, RuntimeHandle, RuntimeOptions, start};
