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
use crate::domain::approval::{Approval, Outcome, PolicyDecision, decide, hook_reply, subject};
use crate::domain::{AgentStatus, EventBody};

/// After a key typed into a waiting agent, its screen is read this soon to
/// see whether the key answered the dialog.
pub const ANSWER_CHECK: Duration = Duration::from_millis(250);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A request whose hook waits for its answer.
pub(crate) struct Pending {
    pub(crate) approval: Approval,
    reply: oneshot::Sender<Result<String>>,
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
        let what = subject(tool, input);
        let approval = Approval {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            tool: tool.to_string(),
            what,
            since_ms: crate::store::now_ms(),
        };
        let name = self.spec.name.clone();
        match decide(&self.shared.policies, &name, tool, &approval.what) {
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
        let detail = format!("permission: {} {}", approval.tool, clip(&approval.what));
        self.approval = Some(Pending { approval, reply });
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
        let msg = format!("denied from nox by the {}", d.by);
        let _ = p.reply.send(Ok(hook_reply(d.allow, &msg)));
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

    /// The user typed into a waiting agent: look at its screen soon.
    pub(crate) fn typed_while_waiting(&mut self) {
        if self.status == AgentStatus::Waiting {
            self.answer_check_at = Some(Instant::now() + ANSWER_CHECK);
        }
    }

    /// Whether the key typed answered the dialog: then the agent is busy at
    /// once (not when the approved command ends) and the hook is released.
    pub(crate) fn check_answered(&mut self) {
        self.answer_check_at = None;
        if self.status != AgentStatus::Waiting || self.pid.is_none() {
            return;
        }
        let obs = self.observe();
        match self.conn.status_at_quiet(&obs.view()) {
            Some((AgentStatus::Waiting, _)) => {}
            Some((AgentStatus::Idle, why)) => {
                self.release_approval("its dialog left the screen");
                self.set_status(AgentStatus::Idle, why);
            }
            _ => {
                self.release_approval("its dialog left the screen");
                self.set_status(AgentStatus::Busy, "answered in the pane");
            }
        }
    }
}

fn clip(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    if line.chars().count() > 60 || line.len() < s.len() {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_string()
    }
}
