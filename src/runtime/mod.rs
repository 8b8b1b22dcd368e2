//! The runtime: one supervisor actor, one actor per agent and the
//! scheduler, behind a cloneable [`RuntimeHandle`]: requests in over mpsc
//! channels with oneshot replies, persisted events out over a broadcast
//! that only observers read. Faces (the dashboard, the control socket)
//! hold handles; screens leave as [`screen::ScreenSnapshot`]s.

pub mod agent;
mod agent_approval;
mod agent_hook;
pub mod agent_job;
mod agent_status;
pub mod error;
pub mod handle;
mod inbox;
pub mod metrics;
pub mod pty;
pub mod scheduler;
pub mod screen;
pub mod supervisor;
pub mod taskfiles;

pub use error::RuntimeError;
pub use handle::{AgentInfo, HandleParts, RuntimeHandle, RuntimeOptions};
pub use screen::ScreenSnapshot;

/// Starts the runtime on the current tokio runtime with `agents`; autostart
/// agents are spawned at once.
pub fn start(opts: RuntimeOptions, agents: Vec<crate::domain::AgentSpec>) -> RuntimeHandle {
    supervisor::spawn(opts, agents)
}
