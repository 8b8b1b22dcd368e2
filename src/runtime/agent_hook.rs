//! Claude Code hooks reaching an agent actor: the connector says what a
//! hook means (status, session, prompt accepted, turn over); the actor
//! applies it, records the session, follows its task, and logs the hook as
//! an event. A PermissionRequest waits for its answer
//! (`agent_approval.rs`); any later hook means a pending request was
//! answered in the pane. A Stop hands a busy agent its queued messages
//! (`CLAUDE_CODE.md`, "Delivering messages without typing": `decision:
//! block` with the messages as the reason), at most [`MAX_STOP_BLOCKS`]
//! times in a row. Agents whose connector takes no hooks refuse them.

use serde_json::json;
use tokio::sync::oneshot;

use super::agent::AgentActor;
use super::error::{Result, RuntimeError};
use crate::domain::hook::HookEvent;
use crate::domain::message::inbox_text;
use crate::domain::{AgentStatus, EventBody, MessageId};

/// Consecutive Stop hooks that may block (reset when Claude Code's
/// `stop_hook_active` is false): a guard against an endless turn.
pub const MAX_STOP_BLOCKS: u32 = 3;

impl AgentActor {
    /// Applies hook `ev` and answers on `reply` with what `nox hook`
    /// prints: nothing, a Stop block, or (later) a permission decision.
    pub(crate) fn on_hook(&mut self, ev: &HookEvent, reply: oneshot::Sender<Result<String>>) {
        let outcome = match self.conn.on_hook(ev) {
            Ok(o) => o,
            Err(e) => {
                let _ = reply.send(Err(RuntimeError::Refused(e)));
                return;
            }
        };
        if self.pid.is_none() {
            // A late hook of a process that has ended says nothing now.
            let _ = reply.send(Ok(String::new()));
            return;
        }
        self.shared.store.emit_later(EventBody::Hook {
            agent: self.spec.name.clone(),
            event: ev.clone(),
        });
        if let Some(id) = outcome.session {
            tracing::info!(agent = %self.spec.name, "session {id}");
            let agent = self.spec.name.clone();
            self.shared
                .store
                .write_later(move |c| crate::store::sessions::put(c, &agent, &id));
        }
        if let HookEvent::PermissionRequest { tool, input } = ev {
            self.on_permission_request(tool, input, reply);
            self.progress();
            return;
        }
        if self.moved_on(ev) {
            self.release_approval(&format!("hook {}", ev.name()));
        }
        if let HookEvent::PreToolUse { id, .. } = ev {
            self.last_tool_use = Some(id.clone()).filter(|i| !i.is_empty());
        }
        let mut answer = String::new();
        let mut status = outcome.status;
        let mut handed = Vec::new();
        if let HookEvent::Stop { active, .. } = ev {
            if !active {
                self.stop_blocks = 0;
            }
            if let Some((block, msgs)) = self.stop_with_mail() {
                answer = block;
                handed = msgs;
                status = Some((AgentStatus::Busy, "stop hook: inbox delivered".into()));
            }
        }
        if let Some((status, evidence)) = status {
            self.set_status(status, evidence);
        }
        if outcome.prompt_accepted {
            self.confirmed("hook UserPromptSubmit".into());
        }
        if let Some(last) = outcome.turn_ended {
            self.turn_ended(last);
        }
        self.progress();
        // Delivered only once the answer is on its way to the hook; a hook
        // that is gone leaves the messages queued.
        if reply.send(Ok(answer)).is_err() {
            if !handed.is_empty() {
                tracing::warn!(agent = %self.spec.name, "the Stop hook left before its answer: {} message(s) stay queued", handed.len());
                self.shared.inbox.put_back(&self.spec.name, handed);
            }
        } else if !handed.is_empty() {
            let ids: Vec<MessageId> = handed.iter().map(|m| m.id).collect();
            self.shared.store.write_later(move |c| {
                crate::store::messages::delivered(c, &ids, "stop hook").map(|_| ())
            });
        }
    }

    /// At a Stop: the queued messages as a blocking answer (and the
    /// messages, to mark delivered once it is sent), when there are any and
    /// fewer than [`MAX_STOP_BLOCKS`] blocks came before in a row.
    fn stop_with_mail(&mut self) -> Option<(String, Vec<crate::domain::Message>)> {
        if self.stop_blocks >= MAX_STOP_BLOCKS {
            return None;
        }
        let msgs = self.shared.inbox.take(&self.spec.name);
        if msgs.is_empty() {
            return None;
        }
        self.stop_blocks += 1;
        tracing::debug!(agent = %self.spec.name, "{} message(s) handed over by the Stop hook", msgs.len());
        let answer = json!({"decision": "block", "reason": inbox_text(&msgs)}).to_string();
        Some((answer, msgs))
    }
}
