//! The typed response bodies of the API: each handler answers one of these
//! (or a domain type), and the same types are the schemas of the OpenAPI
//! description ([`super::openapi`]), so the two cannot differ.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::approval::Approval;
use crate::domain::{AgentKind, AgentStatus, Event, Isolation, RestartPolicy, Task, TaskId};
use crate::runtime::AgentInfo;
use crate::runtime::screen::ScreenSnapshot;

/// `GET /health`: the instance answers, its version, its agents and its
/// tasks by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
    /// nox's version.
    pub version: String,
    /// How many agents it has.
    pub agents: usize,
    /// Tasks by status (`{"queued": 2, "done": 5}`); statuses with none are left out.
    pub tasks: BTreeMap<String, usize>,
}

/// An agent as the API shows it: its definition (the `env` keys only:
/// values may be secrets and never leave nox) and its live state.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    /// `[a-z0-9][a-z0-9_-]{0,31}`.
    pub name: String,
    /// Integration kind.
    pub kind: AgentKind,
    /// Live status.
    pub status: AgentStatus,
    /// Why it is in this status (a hook, a screen rule, an exit code, an OS error).
    pub detail: String,
    /// When the status began, ms since the Unix epoch.
    pub status_since_ms: Option<u64>,
    /// Process id (and process group id) of the running process.
    pub pid: Option<u32>,
    /// Restarts by the supervisor since nox started.
    pub restarts: u32,
    /// When the current process started, ms since the Unix epoch.
    pub started_ms: Option<u64>,
    /// Seconds since it started, while it runs.
    pub uptime_secs: Option<u64>,
    /// The task it works on.
    #[schema(value_type = Option<u64>)]
    pub current_task: Option<TaskId>,
    /// The permission request it waits on.
    pub approval: Option<Approval>,
    /// The prompt being delivered or the turn it started, in words.
    pub delivery: Option<String>,
    /// Messages queued for it.
    pub inbox: usize,
    /// The program.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Absolute working directory.
    #[schema(value_type = String)]
    pub cwd: PathBuf,
    /// Capabilities used by task routing.
    pub capabilities: Vec<String>,
    /// Workspace or worktree.
    pub isolation: Isolation,
    /// Restart policy.
    pub restart: RestartPolicy,
    /// Names of the extra environment variables (never their values).
    pub env_keys: Vec<String>,
}

impl From<&AgentInfo> for AgentView {
    fn from(a: &AgentInfo) -> Self {
        let ms = |t: Option<SystemTime>| {
            t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|d| d.as_millis() as u64)
        };
        Self {
            name: a.spec.name.clone(),
            kind: a.spec.kind,
            status: a.status,
            detail: a.detail.clone(),
            status_since_ms: ms(a.status_since),
            pid: a.pid,
            restarts: a.restarts,
            started_ms: ms(a.started_at),
            uptime_secs: a
                .started_at
                .filter(|_| a.status.is_live())
                .and_then(|t| t.elapsed().ok())
                .map(|d| d.as_secs()),
            current_task: a.task,
            approval: a.approval.clone(),
            delivery: a.job.clone(),
            inbox: a.inbox,
            command: a.spec.command.clone(),
            args: a.spec.args.clone(),
            cwd: a.spec.cwd.clone(),
            capabilities: a.spec.capabilities.clone(),
            isolation: a.spec.isolation,
            restart: a.spec.restart,
            env_keys: a.spec.env.keys().cloned().collect(),
        }
    }
}

/// `DELETE /api/agents/{name}`: the agent that was removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// Its name.
    pub removed: String,
}

/// `GET /api/agents/{name}/screen`: the agent's terminal as text.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenView {
    /// One string per screen row, trailing blanks trimmed.
    pub rows: Vec<String>,
    /// The cursor as `[row, column]`, when it is shown.
    pub cursor: Option<[u16; 2]>,
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows_n: u16,
    /// The terminal title the program set.
    pub title: String,
}

impl From<&ScreenSnapshot> for ScreenView {
    fn from(s: &ScreenSnapshot) -> Self {
        Self {
            rows: s.lines(),
            cursor: s.cursor.map(|(r, c)| [r, c]),
            cols: s.cols,
            rows_n: s.rows,
            title: s.title.clone(),
        }
    }
}

/// `POST /api/agents/{name}/input`: how many bytes were typed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Typed {
    /// Bytes written to the agent's terminal (bracketed paste and Enter included).
    pub typed: usize,
}

/// `POST /api/agents/{name}/approve`: the answered permission request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    /// The agent.
    pub agent: String,
    /// The request that was answered.
    pub approval: Approval,
    /// Whether the tool may run.
    pub allow: bool,
    /// Who decided: `api`, or `cli` for `nox approve`.
    pub by: String,
}

/// `GET /api/tasks/{id}`: a task and the events that concern it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    /// The task.
    pub task: Task,
    /// Its events, oldest first.
    pub events: Vec<Event>,
}
