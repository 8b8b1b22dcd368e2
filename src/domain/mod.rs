//! Pure domain types and rules: agent definitions, statuses, restart policy and backoff.
//! Nothing here touches tokio, ratatui, PTYs or the filesystem.

pub mod agent;
pub mod hook;
pub mod restart;
pub mod status;
pub mod task;
pub mod taskfile;

pub use agent::{AgentKind, AgentSpec, Isolation, PermissionMode, RestartPolicy};
pub use restart::{RestartDecision, RestartTracker};
pub use status::AgentStatus;
pub use task::{Task, TaskEvent, TaskId, TaskStatus};
