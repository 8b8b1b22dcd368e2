//! The agent definition (`[[agent]]` of SPEC §2) and its enumerated fields.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which integration an agent gets (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// The Claude Code CLI, with its offline model endpoint and (later) hooks.
    Claude,
    /// Any command; status from output activity and the definition's patterns.
    #[default]
    Generic,
}

/// Whether an agent works in the workspace or in its own git worktree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// Run in `cwd` as given.
    #[default]
    None,
    /// Run in `.nox/worktrees/<agent>/`.
    Worktree,
}

/// When the supervisor restarts an agent whose process ended (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Never restart.
    Never,
    /// Restart after a non-zero exit or a signal.
    #[default]
    OnFailure,
    /// Restart after any exit.
    Always,
}

/// Claude Code's `--permission-mode` values (Claude Code CLI reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum PermissionMode {
    /// Ask before tools that change things.
    #[default]
    Default,
    /// Accept file edits without asking.
    AcceptEdits,
    /// Skip every permission prompt.
    BypassPermissions,
    /// Plan only; change nothing.
    Plan,
}

impl PermissionMode {
    /// The value passed to `claude --permission-mode`.
    pub fn as_arg(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::AcceptEdits => "acceptEdits",
            Self::BypassPermissions => "bypassPermissions",
            Self::Plan => "plan",
        }
    }
}

impl fmt::Display for AgentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Claude => "claude",
            Self::Generic => "generic",
        })
    }
}

impl fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Never => "never",
            Self::OnFailure => "on-failure",
            Self::Always => "always",
        })
    }
}

/// A validated agent definition: one `[[agent]]` table of `.nox/nox.toml`.
///
/// `cwd` is already resolved against the workspace root; `command` is the
/// program name or path, run directly (never through a shell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentSpec {
    /// `[a-z0-9][a-z0-9_-]{0,31}`, unique in the workspace.
    pub name: String,
    /// Integration kind.
    pub kind: AgentKind,
    /// Program to run, resolved on `PATH` when it has no `/`.
    pub command: String,
    /// Arguments after the program.
    pub args: Vec<String>,
    /// Absolute working directory.
    pub cwd: std::path::PathBuf,
    /// Extra environment, applied over nox's own.
    pub env: BTreeMap<String, String>,
    /// Capabilities used by task routing.
    pub capabilities: Vec<String>,
    /// Workspace or worktree.
    pub isolation: Isolation,
    /// Restart policy.
    pub restart: RestartPolicy,
    /// Restarts allowed within `restart_window_secs` before `failed`.
    pub max_restarts: u32,
    /// Length of the restart-intensity window, in seconds.
    pub restart_window_secs: u64,
    /// Claude only: `--permission-mode`.
    pub permission_mode: PermissionMode,
    /// Claude only: absolute path of a model script for nox's scripted endpoint.
    pub model_script: Option<std::path::PathBuf>,
    /// Start with the dashboard.
    pub autostart: bool,
    /// Generic only: regex meaning "idle, ready for input".
    pub ready_pattern: Option<String>,
    /// Generic only: regex meaning "working".
    pub busy_pattern: Option<String>,
    /// Generic only: regex meaning "waiting for the user".
    pub wait_pattern: Option<String>,
}

impl AgentSpec {
    /// A definition with SPEC §2's defaults for everything but the name,
    /// kind, program and absolute working directory.
    pub fn new(
        name: &str,
        kind: AgentKind,
        command: &str,
        cwd: impl Into<std::path::PathBuf>,
    ) -> Self {
        Self {
            name: name.into(),
            kind,
            command: command.into(),
            args: Vec::new(),
            cwd: cwd.into(),
            env: BTreeMap::new(),
            capabilities: Vec::new(),
            isolation: Isolation::None,
            restart: RestartPolicy::OnFailure,
            max_restarts: 5,
            restart_window_secs: 60,
            permission_mode: PermissionMode::Default,
            model_script: None,
            autostart: true,
            ready_pattern: None,
            busy_pattern: None,
            wait_pattern: None,
        }
    }
}

/// Whether `name` matches the agent name pattern `[a-z0-9][a-z0-9_-]{0,31}` (SPEC §2).
pub fn valid_agent_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_names_follow_the_pattern() {
        for ok in ["a", "backend", "agent-1", "x_y", "0abc", &"a".repeat(32)] {
            assert!(valid_agent_name(ok), "{ok}");
        }
        for bad in ["", "-a", "_a", "A", "a b", "ä", &"a".repeat(33), "a.b"] {
            assert!(!valid_agent_name(bad), "{bad}");
        }
    }

    #[test]
    fn permission_mode_args_are_claude_spellings() {
        assert_eq!(PermissionMode::AcceptEdits.as_arg(), "acceptEdits");
        assert_eq!(
            PermissionMode::BypassPermissions.as_arg(),
            "bypassPermissions"
        );
        assert_eq!(RestartPolicy::OnFailure.to_string(), "on-failure");
    }
}
