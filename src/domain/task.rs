//! Tasks (SPEC §1, §4): the type, its status machine, dependency cycles and
//! routing. Every transition is a pure function of the task and what
//! happened; the runtime applies the result and records it as an event.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A task id (positive, assigned by the store).
pub type TaskId = u64;

/// Default attempts before a task fails (SPEC §4).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Where a task is (SPEC §4).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Default,
    ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Waiting for a dependency (`after`) to reach `done`.
    Blocked,
    /// Ready for an agent.
    #[default]
    Queued,
    /// Leased to an agent; the body is being delivered.
    Assigned,
    /// The agent accepted the prompt and works on it.
    Running,
    /// Finished; `result` holds the outcome.
    Done,
    /// Gave up after `max_attempts`, or failed outright.
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

impl TaskStatus {
    /// Every status, in board order.
    pub const ALL: [TaskStatus; 7] = [
        Self::Blocked,
        Self::Queued,
        Self::Assigned,
        Self::Running,
        Self::Done,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Queued => "queued",
            Self::Assigned => "assigned",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No transition leaves this status.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit of work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    /// Id.
    #[schema(value_type = u64)]
    pub id: TaskId,
    /// One line.
    pub title: String,
    /// The prompt delivered to the agent.
    pub body: String,
    /// Higher first.
    pub priority: i32,
    /// Capabilities an agent needs to take it.
    pub needs: Vec<String>,
    /// Tasks that must be `done` first.
    #[schema(value_type = Vec<u64>)]
    pub after: Vec<TaskId>,
    /// Explicit assignee, or the agent holding the lease.
    pub assignee: Option<String>,
    /// The assignee was chosen (CLI `--assign`, the dashboard, a task file):
    /// routing waits for that agent. Otherwise it is only the agent that
    /// held the task last, forgotten when the task goes back to the queue.
    #[serde(default)]
    pub pinned: bool,
    /// Status.
    pub status: TaskStatus,
    /// Deliveries so far.
    pub attempts: u32,
    /// Attempts before `failed`.
    pub max_attempts: u32,
    /// Lease deadline, ms since the Unix epoch, while assigned or running.
    pub lease_until: Option<u64>,
    /// The agent's final message (and changed files), once done.
    pub result: Option<String>,
    /// Why it failed, or other detail for the board.
    pub detail: String,
    /// When it was created, ms since the Unix epoch (0 before it is stored).
    #[serde(default)]
    pub created_ms: u64,
    /// Not to be delivered before this time (ms since the Unix epoch): the
    /// backoff after a lost attempt (`retry_backoff`: 1 s, 2 s, 4 s, … 60 s).
    #[serde(default)]
    pub retry_at: Option<u64>,
    /// Who created it: `user` (the dashboard), `cli`, `api`, `file:<name>`,
    /// `plan`, or the name of the agent that delegated it.
    #[serde(default)]
    pub created_by: String,
    /// The task its creator was working on when it delegated this one.
    #[serde(default)]
    #[schema(value_type = Option<u64>)]
    pub parent: Option<TaskId>,
}

/// A task without its body and result: what boards and events carry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct TaskSummary {
    /// Id.
    #[schema(value_type = u64)]
    pub id: TaskId,
    /// One line.
    pub title: String,
    /// Higher first.
    pub priority: i32,
    /// Capabilities an agent needs.
    pub needs: Vec<String>,
    /// Tasks that must be `done` first.
    #[schema(value_type = Vec<u64>)]
    pub after: Vec<TaskId>,
    /// Explicit assignee, or the agent holding the lease.
    pub assignee: Option<String>,
    /// Status.
    pub status: TaskStatus,
    /// Deliveries so far.
    pub attempts: u32,
    /// Attempts before `failed`.
    pub max_attempts: u32,
    /// Why it failed, why it waits, or other detail for the board.
    pub detail: String,
    /// When it was created, ms since the Unix epoch.
    pub created_ms: u64,
}

impl From<&Task> for TaskSummary {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id,
            title: t.title.clone(),
            priority: t.priority,
            needs: t.needs.clone(),
            after: t.after.clone(),
            assignee: t.assignee.clone(),
            status: t.status,
            attempts: t.attempts,
            max_attempts: t.max_attempts,
            detail: t.detail.clone(),
            created_ms: t.created_ms,
        }
    }
}

/// What a new task is made of (CLI, dialog, task file, API).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewTask {
    /// One line.
    pub title: String,
    /// The prompt.
    pub body: String,
    /// Higher first.
    #[serde(default)]
    pub priority: i32,
    /// Required capabilities.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Dependencies.
    #[serde(default)]
    pub after: Vec<TaskId>,
    /// Explicit assignee.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Attempts before failing (default [`DEFAULT_MAX_ATTEMPTS`]).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Idempotency key: a second create with the same key returns the task
    /// the first one made instead of making another.
    #[serde(default)]
    pub key: Option<String>,
    /// Who creates it (see [`Task::created_by`]).
    #[serde(default)]
    pub created_by: String,
    /// The creator's task this one was delegated from.
    #[serde(default)]
    pub parent: Option<TaskId>,
}

/// Delay before a lost task may be delivered again, after `attempts`
/// attempts: 1 s, 2 s, 4 s, … capped at 60 s (exponential backoff, as
/// the supervisor's restarts).
pub fn retry_backoff(attempts: u32) -> std::time::Duration {
    let exp = attempts.saturating_sub(1).min(6);
    std::time::Duration::from_secs((1u64 << exp).min(60))
}

impl Task {
    /// A new task: `blocked` when some of `after` is not done yet, else `queued`.
    pub fn new(id: TaskId, title: &str, body: &str, after: Vec<TaskId>, deps_done: bool) -> Self {
        Self {
            id,
            title: title.into(),
            body: body.into(),
            priority: 0,
            needs: Vec::new(),
            after,
            assignee: None,
            pinned: false,
            status: if deps_done {
                TaskStatus::Queued
            } else {
                TaskStatus::Blocked
            },
            attempts: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            lease_until: None,
            result: None,
            detail: String::new(),
            created_ms: 0,
            retry_at: None,
            created_by: String::new(),
            parent: None,
        }
    }
}

/// What happened to a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskEvent {
    /// Every dependency reached `done`.
    DepsDone,
    /// Leased to `agent` until `lease_until` (ms since epoch) for delivery.
    Assign {
        /// The agent.
        agent: String,
        /// Lease deadline.
        lease_until: u64,
    },
    /// The agent's `UserPromptSubmit` confirmed the delivery.
    Started,
    /// The lease was renewed while the agent lives.
    Renew {
        /// New deadline.
        lease_until: u64,
    },
    /// The agent's turn ended (Stop hook, or the ready pattern returned).
    Completed {
        /// Final message and changed files.
        result: String,
    },
    /// The agent crashed, the lease lapsed, or delivery stalled: back to
    /// the queue (not before [`retry_backoff`] from `now_ms`), or `failed`
    /// after `max_attempts`.
    Lost {
        /// Why, for the events log.
        why: String,
        /// Now, ms since the Unix epoch (the backoff starts here).
        now_ms: u64,
    },
    /// The attempt ended without a result and is not retried (an interrupted
    /// turn): `failed` at once.
    Fail {
        /// Why (`interrupted`).
        why: String,
    },
    /// Delivery was put off for a reason the board shows (the user is
    /// typing into the agent); the task stays queued.
    Defer {
        /// Why it waits.
        why: String,
    },
    /// The user cancelled it.
    Cancel,
}

impl TaskEvent {
    /// What happened, in words, for people and the event log.
    pub fn describe(&self) -> String {
        match self {
            Self::DepsDone => "its dependencies are done".into(),
            Self::Assign { agent, .. } => format!("assigned to {agent}"),
            Self::Started => "the agent took the prompt".into(),
            Self::Renew { .. } => "lease renewed".into(),
            Self::Completed { .. } => "completed".into(),
            Self::Lost { why, .. } | Self::Fail { why } | Self::Defer { why } => why.clone(),
            Self::Cancel => "cancelled".into(),
        }
    }
}

/// A refused transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {id} is {status}: cannot {what}")]
pub struct TransitionError {
    /// The task.
    pub id: TaskId,
    /// Its status.
    pub status: TaskStatus,
    /// What was attempted.
    pub what: &'static str,
}

/// Applies `ev` to `t`; returns the new task, or why the edge does not exist.
pub fn transition(t: &Task, ev: &TaskEvent) -> Result<Task, TransitionError> {
    use TaskStatus as S;
    let refuse = |what| {
        Err(TransitionError {
            id: t.id,
            status: t.status,
            what,
        })
    };
    let mut n = t.clone();
    match (t.status, ev) {
        (S::Blocked, TaskEvent::DepsDone) => n.status = S::Queued,
        (S::Queued, TaskEvent::Assign { agent, lease_until }) => {
            n.status = S::Assigned;
            n.detail.clear();
            n.retry_at = None;
            n.assignee = Some(agent.clone());
            n.lease_until = Some(*lease_until);
            n.attempts += 1;
        }
        (S::Assigned, TaskEvent::Started) => n.status = S::Running,
        (S::Assigned | S::Running, TaskEvent::Renew { lease_until }) => {
            n.lease_until = Some(*lease_until);
        }
        (S::Running, TaskEvent::Completed { result }) => {
            n.status = S::Done;
            n.result = Some(result.clone());
            n.lease_until = None;
            n.detail.clear();
        }
        (S::Assigned | S::Running, TaskEvent::Lost { why, now_ms }) => {
            n.lease_until = None;
            if !n.pinned {
                // Any capable agent may take it now, not only the one that lost it.
                n.assignee = None;
            }
            n.detail.clone_from(why);
            if n.attempts >= n.max_attempts {
                n.status = S::Failed;
                n.detail = format!("{why}; gave up after {} attempts", n.attempts);
                n.retry_at = None;
            } else {
                n.status = S::Queued;
                n.retry_at = Some(now_ms + retry_backoff(n.attempts).as_millis() as u64);
            }
        }
        (S::Assigned | S::Running, TaskEvent::Fail { why }) => {
            n.status = S::Failed;
            n.lease_until = None;
            n.detail.clone_from(why);
        }
        (S::Queued, TaskEvent::Defer { why }) => n.detail.clone_from(why),
        (s, TaskEvent::Cancel) if !s.is_final() => {
            n.status = S::Cancelled;
            n.lease_until = None;
        }
        (_, TaskEvent::DepsDone) => return refuse("unblock"),
        (_, TaskEvent::Assign { .. }) => return refuse("assign"),
        (_, TaskEvent::Started) => return refuse("start"),
        (_, TaskEvent::Renew { .. }) => return refuse("renew the lease"),
        (_, TaskEvent::Completed { .. }) => return refuse("complete"),
        (_, TaskEvent::Lost { .. }) => return refuse("requeue"),
        (_, TaskEvent::Fail { .. }) => return refuse("fail"),
        (_, TaskEvent::Defer { .. }) => return refuse("defer"),
        (_, TaskEvent::Cancel) => return refuse("cancel"),
    }
    Ok(n)
}

/// The dependency cycle that adding `after` to task `id` would make, as a
/// path of ids starting and ending at `id`; `None` when there is none.
pub fn find_cycle(
    deps: &BTreeMap<TaskId, Vec<TaskId>>,
    id: TaskId,
    after: &[TaskId],
) -> Option<Vec<TaskId>> {
    fn walk(
        deps: &BTreeMap<TaskId, Vec<TaskId>>,
        target: TaskId,
        at: TaskId,
        path: &mut Vec<TaskId>,
        seen: &mut BTreeSet<TaskId>,
    ) -> bool {
        if at == target {
            return true;
        }
        if !seen.insert(at) {
            return false;
        }
        path.push(at);
        for next in deps.get(&at).into_iter().flatten() {
            if walk(deps, target, *next, path, seen) {
                return true;
            }
        }
        path.pop();
        false
    }
    for start in after {
        let mut path = vec![id];
        if walk(deps, id, *start, &mut path, &mut BTreeSet::new()) {
            path.push(id);
            return Some(path);
        }
    }
    None
}

/// What routing knows of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Name.
    pub name: &'a str,
    /// Ready for a prompt now.
    pub idle: bool,
    /// Its capabilities.
    pub capabilities: &'a [String],
    /// Tasks it holds (assigned or running).
    pub load: usize,
}

/// The agent to deliver `task` to now, if any (SPEC §4 routing): the explicit
/// assignee when idle; else an idle agent having every `needs`, least loaded,
/// ties by name.
pub fn route<'a>(task: &Task, agents: &[Candidate<'a>]) -> Option<&'a str> {
    if let Some(who) = task.assignee.as_ref().filter(|_| task.pinned) {
        return agents
            .iter()
            .find(|a| a.name == who && a.idle)
            .map(|a| a.name);
    }
    agents
        .iter()
        .filter(|a| a.idle && task.needs.iter().all(|n| a.capabilities.contains(n)))
        .min_by(|a, b| a.load.cmp(&b.load).then(a.name.cmp(b.name)))
        .map(|a| a.name)
}

#[cfg(test)]
#[path = "task_tests.rs"]
mod tests;
