//! Permission requests from the agent actor's side (`CLAUDE_CODE.md`,
//! "Answering permission prompts from outside the pane"): the
//! PermissionRequest hook waits while its request is pending. A
//! `[[policy]]` rule, the user (prefix `y`/`N`) or an API client answers
//! it, and the hook prints the decision. An answer typed in the pane wins
//! too: when the agent moves on (a next hook, the dialog gone from the
//! screen, its process ended) the request is resolved and the waiting hook
//! released. Each ending is an `approval.decided` event naming who decided.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::agent::AgentActor;
use super::error::{Result, RuntimeError};
use crate::domain::approval::{
    Approval, Outcome, PolicyDecision, clip as clip_to, decide, first_line, hook_reply, subject,
};
use crate::domain::{AgentStatus, EventBody};

/// After a key typed into a waiting agent, its screen is read this often to
/// see whether the key answered the dialog ...
pub const ANSWER_CHECK: Duration = Duration::from_millis(250);
/// ... for this long after the last key.
pub const ANSWER_WINDOW: Duration = Duration::from_secs(2);
/// Characters of a request's subject kept for display and events.
pub const WHAT_SHOWN: usize = 300;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A request whose hook waits for its answer.
pub(crate) struct Pending {
    pub(crate) approval: Approval,
    reply: oneshot::Sender<Result<String>>,
    /// The `tool_use_id` of the PreToolUse just before the request (the
    /// PermissionRequest payload has none): its PostToolUse ends it.
    tool_use: Option<String>,
    /// When the hook stops waiting by itself ([`crate::hook::APPROVAL_WAIT`]).
    deadline: Instant,
}

/// Who answered and how, for [`AgentActor::approve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allow (true) or deny.
    pub allow: bool,
    /// Who: `user` (the dashboard), `api`, `cli`.
    pub by: String,
}

impl AgentActor {
    /// A PermissionRequest hook arrived: a policy rule answers it, or it
    /// waits (the reply is kept) and the agent is `waiting`.
    pub(crate) fn on_permission_request(
        &mut self,
        tool: &str,
        input: &Value,
        reply: oneshot::Sender<Result<String>>,
    ) {
        self.release_approval("a new permission request");
        // Rules see the whole subject; events and the dashboard a clip.
        let whole = subject(tool, input);
        let approval = Approval {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            tool: tool.to_string(),
            what: clip_to(&whole, WHAT_SHOWN),
            since_ms: crate::store::now_ms(),
        };
        let name = self.spec.name.clone();
        match decide(&self.shared.policies, &name, tool, &whole) {
            Some((n, d @ (PolicyDecision::Allow | PolicyDecision::Deny))) => {
                let allow = d == PolicyDecision::Allow;
                let by = format!("policy rule {n}");
                let msg = format!("denied by nox policy rule {n} (nox.toml [[policy]])");
                let _ = reply.send(Ok(hook_reply(allow, &msg)));
                tracing::info!(agent = %name, "{tool} {} by {by}", if allow { "allowed" } else { "denied" });
                self.decided(approval, allow, &by);
                return;
            }
            Some((_, PolicyDecision::Ask)) | None => {}
        }
        self.shared.store.emit_later(EventBody::ApprovalRequested {
            agent: name,
            approval: approval.clone(),
        });
        let detail = format!(
            "permission: {} {}",
            approval.tool,
            first_line(&approval.what, 60)
        );
        self.approval = Some(Pending {
            approval,
            reply,
            tool_use: self.last_tool_use.take(),
            deadline: Instant::now() + crate::hook::APPROVAL_WAIT,
        });
        self.set_status(AgentStatus::Waiting, detail);
    }

    /// Answers the pending request (`Conflict` when there is none).
    pub(crate) fn approve(&mut self, d: &Decision) -> Result<Approval> {
        let Some(p) = self.approval.take() else {
            return Err(RuntimeError::Conflict(format!(
                "agent {} has no pending permission request",
                self.spec.name
            )));
        };
        if p.reply.is_closed() || Instant::now() >= p.deadline {
            // Its hook gave up waiting: only the dialog in the pane decides now.
            return Err(RuntimeError::Conflict(format!(
                "the permission hook of {} stopped waiting ({} s); answer in its pane",
                self.spec.name,
                crate::hook::APPROVAL_WAIT.as_secs()
            )));
        }
        let msg = format!("denied from nox by the {}", d.by);
        if p.reply.send(Ok(hook_reply(d.allow, &msg))).is_err() {
            return Err(RuntimeError::Conflict(format!(
                "the permission hook of {} is gone; answer in its pane",
                self.spec.name
            )));
        }
        self.decided(p.approval.clone(), d.allow, &d.by);
        self.publish();
        Ok(p.approval)
    }

    fn decided(&mut self, approval: Approval, allow: bool, by: &str) {
        let outcome = if allow { Outcome::Allow } else { Outcome::Deny };
        let detail = format!("{} {outcome} by {by}", approval.tool);
        self.shared.store.emit_later(EventBody::ApprovalDecided {
            agent: self.spec.name.clone(),
            approval,
            outcome,
            by: by.to_string(),
        });
        // Answered: the agent works again (it runs the tool, or reads the
        // refusal), whatever the dialog still shows for a moment.
        self.set_status(AgentStatus::Busy, detail);
    }

    /// The agent moved on (`why`): the request was answered in the pane.
    /// Releases the waiting hook (it prints nothing; Claude Code has its
    /// answer already).
    pub(crate) fn release_approval(&mut self, why: &str) {
        let Some(p) = self.approval.take() else {
            return;
        };
        let _ = p.reply.send(Ok(String::new()));
        tracing::info!(agent = %self.spec.name, "permission for {} answered in the pane ({why})", p.approval.tool);
        self.shared.store.emit_later(EventBody::ApprovalDecided {
            agent: self.spec.name.clone(),
            approval: p.approval,
            outcome: Outcome::InPane,
            by: "pane".into(),
        });
        self.publish();
    }

    /// The user typed into a waiting agent: look at its screen soon, and
    /// again until [`ANSWER_WINDOW`] after the last key.
    pub(crate) fn typed_while_waiting(&mut self) {
        if self.status == AgentStatus::Waiting {
            let now = Instant::now();
            self.answer_check_at = Some(now + ANSWER_CHECK);
            self.answer_check_until = Some(now + ANSWER_WINDOW);
        }
    }

    /// Whether the key typed answered the dialog: when the screen shows the
    /// agent at work (or back at its prompt) it is busy (idle) at once, not
    /// when the approved command ends, and the hook is released. A screen
    /// that still shows the dialog, or that nox does not recognise, is
    /// looked at again.
    pub(crate) fn check_answered(&mut self) {
        self.answer_check_at = None;
        if self.status != AgentStatus::Waiting || self.pid.is_none() {
            return;
        }
        let obs = self.observe();
        match self.conn.status_at_quiet(&obs.view()) {
            Some((status @ (AgentStatus::Busy | AgentStatus::Idle), _)) => {
                self.release_approval("its dialog left the screen");
                let why = if status == AgentStatus::Busy {
                    "answered in the pane"
                } else {
                    "answered in the pane; back at its prompt"
                };
                self.set_status(status, why);
            }
            _ => {
                let now = Instant::now();
                if self.answer_check_until.is_some_and(|u| now < u) {
                    self.answer_check_at = Some(now + ANSWER_CHECK);
                }
            }
        }
    }

    /// Hook `ev` arrived while a request waits: does it show the agent
    /// moved on (the request was answered in the pane)? A later turn or
    /// session event does; a tool call's end only when it is the call that
    /// asked (a parallel subagent's calls do not); a new tool call only when
    /// the request's call is unknown.
    pub(crate) fn moved_on(&self, ev: &crate::domain::hook::HookEvent) -> bool {
        use crate::domain::hook::HookEvent as H;
        let Some(p) = &self.approval else {
            return false;
        };
        match ev {
            H::Notification { .. } | H::PermissionRequest { .. } => false,
            H::PostToolUse { id, .. } => {
                p.tool_use.is_none() || id.is_empty() || p.tool_use.as_deref() == Some(id.as_str())
            }
            H::PreToolUse { .. } => p.tool_use.is_none(),
            H::SessionStart { .. }
            | H::UserPromptSubmit { .. }
            | H::Stop { .. }
            | H::SessionEnd { .. } => true,
        }
    }
}
