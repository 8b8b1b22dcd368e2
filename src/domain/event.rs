//! The event vocabulary: one typed, serializable record of everything that
//! happens (SPEC §1 "event"). Every event is written to the store first; its
//! row id becomes its id; only then is it published to observers (the
//! dashboard, `nox events`, and SSE clients, which replay from an id). The
//! store, the Logs pane and every client read this one type.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::approval::{Approval, Outcome, first_line};
use super::hook::HookEvent;
use super::message::Message;
use super::task::{TaskId, TaskStatus, TaskSummary};
use super::{AgentKind, AgentStatus};

/// One persisted event: its id (the store's row id, increasing), its time
/// (ms since the Unix epoch) and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Row id in the store; ids increase in the order events were committed.
    pub id: u64,
    /// When it happened, ms since the Unix epoch.
    pub ts_ms: u64,
    /// What happened; serialized as `"kind"` (e.g. `agent.status`) and `"data"`.
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened. Serialized adjacently tagged: `{"kind": "task.updated",
/// "data": {...}}`; `kind` is also the SSE event name. Later kinds join
/// this enum; readers skip kinds they do not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "data")]
#[non_exhaustive]
pub enum EventBody {
    /// An agent joined the running instance (from nox.toml, the dialog or the CLI).
    #[serde(rename = "agent.added")]
    AgentAdded {
        /// The agent.
        agent: String,
        /// Its kind.
        agent_kind: AgentKind,
    },
    /// An agent was removed (and stopped).
    #[serde(rename = "agent.removed")]
    AgentRemoved {
        /// The agent.
        agent: String,
    },
    /// An agent's status changed (SPEC §4), with the evidence for it.
    #[serde(rename = "agent.status")]
    AgentStatus {
        /// The agent.
        agent: String,
        /// Status before.
        from: AgentStatus,
        /// Status now.
        to: AgentStatus,
        /// The evidence: a hook, a screen rule, an exit code, an OS error.
        detail: String,
    },
    /// The supervisor started an agent again after it ended.
    #[serde(rename = "agent.restarted")]
    AgentRestarted {
        /// The agent.
        agent: String,
        /// Restarts since nox started.
        restarts: u32,
    },
    /// A task was created.
    #[serde(rename = "task.created")]
    TaskCreated {
        /// The task as created.
        task: TaskSummary,
        /// Who created it: `user`, `cli`, `api`, `file:<name>`.
        by: String,
    },
    /// A task changed: status, assignee, attempts or detail.
    #[serde(rename = "task.updated")]
    TaskUpdated {
        /// The task after the change.
        task: TaskSummary,
        /// Status before.
        from: TaskStatus,
        /// What happened, in words ("assigned to alpha", "interrupted").
        cause: String,
        /// The result, when this change set it (the task is done).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<String>,
    },
    /// A prompt was typed into an agent for a task, or could not be.
    #[serde(rename = "task.delivery")]
    TaskDelivery {
        /// The task.
        #[schema(value_type = u64)]
        task: TaskId,
        /// The agent.
        agent: String,
        /// Which attempt of the task this delivery belongs to.
        attempt: u32,
        /// What became of it.
        outcome: Delivery,
    },
    /// A Claude Code hook reached an agent (`CLAUDE_CODE.md`, "Hooks").
    #[serde(rename = "hook")]
    Hook {
        /// The agent.
        agent: String,
        /// The parsed hook.
        event: HookEvent,
    },
    /// A message was sent and waits in its receiver's inbox (or, sent to
    /// the user, is shown at once).
    #[serde(rename = "message.sent")]
    MessageSent {
        /// The message as stored.
        message: Message,
    },
    /// A message reached its receiver's conversation.
    #[serde(rename = "message.delivered")]
    MessageDelivered {
        /// The message, now `delivered`; `reason` says how.
        message: Message,
    },
    /// A message was refused (the rate limit); the sender was told why.
    #[serde(rename = "message.refused")]
    MessageRefused {
        /// The message, `refused`, with the reason.
        message: Message,
    },
    /// An agent waits on a permission prompt (its PermissionRequest hook).
    #[serde(rename = "approval.requested")]
    ApprovalRequested {
        /// The agent.
        agent: String,
        /// The request.
        approval: Approval,
    },
    /// A permission request was answered.
    #[serde(rename = "approval.decided")]
    ApprovalDecided {
        /// The agent.
        agent: String,
        /// The request.
        approval: Approval,
        /// Allowed, denied, or answered in the pane.
        outcome: Outcome,
        /// Who decided: `user`, `api`, `policy rule N`, `pane`.
        by: String,
    },
}

/// The outcome of typing a task's prompt into an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Delivery {
    /// The prompt was typed (bracketed paste + Enter); `bytes` long.
    Sent {
        /// Size of the prompt in bytes.
        bytes: usize,
    },
    /// The agent showed it took the prompt; `evidence` says how.
    Confirmed {
        /// `hook UserPromptSubmit`, `output`, `foreground: sleep`, `busy_pattern`.
        evidence: String,
    },
    /// Not confirmed in time: the input was cleared and the prompt typed again.
    Retried,
    /// Not confirmed after the retry either.
    Stalled,
}

impl EventBody {
    /// The `kind` string of this event (`agent.status`, `task.updated`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AgentAdded { .. } => "agent.added",
            Self::AgentRemoved { .. } => "agent.removed",
            Self::AgentStatus { .. } => "agent.status",
            Self::AgentRestarted { .. } => "agent.restarted",
            Self::TaskCreated { .. } => "task.created",
            Self::TaskUpdated { .. } => "task.updated",
            Self::TaskDelivery { .. } => "task.delivery",
            Self::Hook { .. } => "hook",
            Self::MessageSent { .. } => "message.sent",
            Self::MessageDelivered { .. } => "message.delivered",
            Self::MessageRefused { .. } => "message.refused",
            Self::ApprovalRequested { .. } => "approval.requested",
            Self::ApprovalDecided { .. } => "approval.decided",
        }
    }

    /// The agent this event concerns, if any.
    pub fn agent(&self) -> Option<&str> {
        match self {
            Self::AgentAdded { agent, .. }
            | Self::AgentRemoved { agent }
            | Self::AgentStatus { agent, .. }
            | Self::AgentRestarted { agent, .. }
            | Self::TaskDelivery { agent, .. }
            | Self::Hook { agent, .. }
            | Self::ApprovalRequested { agent, .. }
            | Self::ApprovalDecided { agent, .. } => Some(agent),
            Self::MessageSent { message }
            | Self::MessageDelivered { message }
            | Self::MessageRefused { message } => Some(&message.to),
            Self::TaskCreated { task, .. } | Self::TaskUpdated { task, .. } => {
                task.assignee.as_deref()
            }
        }
    }

    /// The task this event concerns, if any.
    pub fn task(&self) -> Option<TaskId> {
        match self {
            Self::TaskCreated { task, .. } | Self::TaskUpdated { task, .. } => Some(task.id),
            Self::TaskDelivery { task, .. } => Some(*task),
            Self::MessageSent { message }
            | Self::MessageDelivered { message }
            | Self::MessageRefused { message } => message.task,
            _ => None,
        }
    }

    /// One line in words, for people (the Logs pane, `nox events`, `nox task show`).
    pub fn describe(&self) -> String {
        match self {
            Self::AgentAdded { agent, agent_kind } => format!("agent {agent} added ({agent_kind})"),
            Self::AgentRemoved { agent } => format!("agent {agent} removed"),
            Self::AgentStatus {
                agent, to, detail, ..
            } if detail.is_empty() => format!("{agent} {to}"),
            Self::AgentStatus {
                agent, to, detail, ..
            } => format!("{agent} {to}: {detail}"),
            Self::AgentRestarted { agent, restarts } => {
                format!("{agent} restarted (restart {restarts})")
            }
            Self::TaskCreated { task, by } => format!(
                "task {} created by {by} ({}): {}",
                task.id, task.status, task.title
            ),
            Self::TaskUpdated {
                task, from, cause, ..
            } if *from == task.status => format!("task {} {}: {cause}", task.id, task.status),
            Self::TaskUpdated {
                task, from, cause, ..
            } => format!("task {} {from} → {}: {cause}", task.id, task.status),
            Self::TaskDelivery {
                task,
                agent,
                attempt,
                outcome,
            } => {
                let what = match outcome {
                    Delivery::Sent { bytes } => format!("typed into {agent} ({bytes} bytes)"),
                    Delivery::Confirmed { evidence } => {
                        format!("taken by {agent} ({evidence})")
                    }
                    Delivery::Retried => format!("not confirmed by {agent}; typed again"),
                    Delivery::Stalled => format!("delivery to {agent} stalled"),
                };
                format!("task {task} attempt {attempt}: {what}")
            }
            Self::Hook { agent, event } => format!("{agent} hook {}", event.describe()),
            Self::MessageSent { message: m } => {
                format!(
                    "{} → {} {}: {}",
                    m.from,
                    m.to,
                    m.kind.as_str(),
                    first_line(&m.text, 81)
                )
            }
            Self::MessageDelivered { message: m } => format!(
                "{} → {} {} delivered{}",
                m.from,
                m.to,
                label(m),
                m.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            Self::MessageRefused { message: m } => format!(
                "{} → {} {} refused: {}",
                m.from,
                m.to,
                label(m),
                m.reason.as_deref().unwrap_or("")
            ),
            Self::ApprovalRequested { agent, approval } => format!(
                "{agent} asks to run {}: {}",
                approval.tool,
                first_line(&approval.what, 81)
            ),
            Self::ApprovalDecided {
                agent,
                approval,
                outcome,
                by,
            } => format!(
                "{agent} {} {outcome} by {by}: {}",
                approval.tool,
                first_line(&approval.what, 81)
            ),
        }
    }
}

/// A message in words: `message 7`, `result of task 2`, `delegation of task 3`.
fn label(m: &Message) -> String {
    match (m.kind, m.task) {
        (super::MessageKind::Result, Some(t)) => format!("result of task {t}"),
        (super::MessageKind::Delegation, Some(t)) => format!("delegation of task {t}"),
        _ => format!("{} {}", m.kind.as_str(), m.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_with_kind_and_data_and_read_back() {
        let ev = Event {
            id: 7,
            ts_ms: 1000,
            body: EventBody::AgentStatus {
                agent: "a".into(),
                from: AgentStatus::Idle,
                to: AgentStatus::Busy,
                detail: "hook UserPromptSubmit".into(),
            },
        };
        let v = serde_json::to_value(&ev).expect("json");
        assert_eq!(v["kind"], "agent.status");
        assert_eq!(v["data"]["to"], "busy");
        assert_eq!(v["id"], 7);
        let back: Event = serde_json::from_value(v).expect("back");
        assert_eq!(back, ev);
        assert_eq!(ev.body.kind(), "agent.status");
        assert_eq!(ev.body.describe(), "a busy: hook UserPromptSubmit");
    }

    #[test]
    fn kind_matches_the_serialized_tag_for_every_variant() {
        let t = TaskSummary::default();
        let all = [
            EventBody::AgentAdded {
                agent: "a".into(),
                agent_kind: AgentKind::Generic,
            },
            EventBody::AgentRemoved { agent: "a".into() },
            EventBody::AgentRestarted {
                agent: "a".into(),
                restarts: 1,
            },
            EventBody::TaskCreated {
                task: t.clone(),
                by: "cli".into(),
            },
            EventBody::TaskUpdated {
                task: t,
                from: TaskStatus::Queued,
                cause: "x".into(),
                result: None,
            },
            EventBody::TaskDelivery {
                task: 1,
                agent: "a".into(),
                attempt: 1,
                outcome: Delivery::Stalled,
            },
            EventBody::Hook {
                agent: "a".into(),
                event: HookEvent::SessionEnd {
                    reason: "exit".into(),
                },
            },
            EventBody::MessageSent {
                message: Message::default(),
            },
            EventBody::MessageDelivered {
                message: Message::default(),
            },
            EventBody::MessageRefused {
                message: Message::default(),
            },
            EventBody::ApprovalRequested {
                agent: "a".into(),
                approval: Approval::default(),
            },
            EventBody::ApprovalDecided {
                agent: "a".into(),
                approval: Approval::default(),
                outcome: Outcome::InPane,
                by: "pane".into(),
            },
        ];
        for b in all {
            let v = serde_json::to_value(&b).expect("json");
            assert_eq!(v["kind"], b.kind(), "{v}");
            let back: EventBody = serde_json::from_value(v).expect("back");
            assert_eq!(back, b);
        }
    }
}
