//! Agent statuses of SPEC §4.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an agent is in its life (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    /// Spawned, no output yet.
    Starting,
    /// Producing output / working.
    Busy,
    /// Needs the user (a prompt, a question, a confirmation).
    Waiting,
    /// Ready for input.
    Idle,
    /// Exited with code 0.
    Exited,
    /// Exited non-zero, by a signal, or could not start.
    Crashed,
    /// Waiting out the restart backoff.
    Restarting,
    /// Stopped by the user.
    Stopped,
    /// Restart intensity exceeded; no more restarts.
    Failed,
}

impl AgentStatus {
    /// Every status, in display order.
    pub const ALL: [AgentStatus; 9] = [
        Self::Starting,
        Self::Busy,
        Self::Waiting,
        Self::Idle,
        Self::Exited,
        Self::Crashed,
        Self::Restarting,
        Self::Stopped,
        Self::Failed,
    ];

    /// The lowercase name used in the UI, JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Busy => "busy",
            Self::Waiting => "waiting",
            Self::Idle => "idle",
            Self::Exited => "exited",
            Self::Crashed => "crashed",
            Self::Restarting => "restarting",
            Self::Stopped => "stopped",
            Self::Failed => "failed",
        }
    }

    /// Whether a process is (or is about to be) running for this status.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::Starting | Self::Busy | Self::Waiting | Self::Idle
        )
    }
}

impl fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
