//! Pure domain types and rules: agent definitions, statuses, restart policy and backoff.
//! Nothing here touches tokio, ratatui, PTYs or the filesystem.

pub mod agent;
pub mod approval;
pub mod event;
pub mod exit;
pub mod hook;
pub mod limits;
pub mod located;
pub mod message;
pub mod restart;
pub mod status;
pub mod task;
pub mod taskfile;

pub use agent::{AgentKind, AgentSpec, Isolation, PermissionMode, RestartPolicy};
pub use event::{Delivery, Event, EventBody};
pub use exit::ExitInfo;
pub use located::ConfigError;
pub use message::{Message, MessageId, MessageKind, MessageState, NewMessage};
pub use restart::{RestartDecision, RestartTracker};
pub use status::AgentStatus;
pub use task::{NewTask, Task, TaskEvent, TaskId, TaskStatus, TaskSummary};
