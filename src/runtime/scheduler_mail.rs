//! The scheduler's half of messaging (SPEC §7): sending (senders and
//! receivers checked, the per-pair rate limit applied, the message stored
//! and queued), waking an idle receiver with its inbox as a typed prompt
//! (a busy Claude Code agent gets it from its Stop hook instead, and an
//! agent that is `waiting` gets nothing), following that delivery, and the
//! messages delegation produces: the delegation itself, and the result of
//! a delegated task for the agent that delegated it.

use std::collections::HashMap;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::{DEFER_RETRY, Scheduler, db};
use crate::domain::limits::MAX_TASK_BODY;
use crate::domain::message::{NOX, USER, inbox_text};
use crate::domain::{
    AgentStatus, Message, MessageId, MessageKind, MessageState, NewMessage, Task, TaskStatus,
};
use crate::runtime::agent::{AgentCmd, Deliver, Work};
use crate::runtime::agent_job::JobUpdate;
use crate::runtime::error::{Result, RuntimeError, no_agent};
use crate::store::{messages, now_ms};

/// A message whose prompt stalled this many times is refused.
pub const MAX_MAIL_STALLS: u32 = 2;

/// Mail state the scheduler keeps.
#[derive(Default)]
pub(crate) struct Mailroom {
    /// Messages being typed into an agent, until it confirms.
    pub(crate) in_flight: HashMap<String, Vec<Message>>,
    /// Stalled deliveries per message.
    pub(crate) stalls: HashMap<MessageId, u32>,
}

impl Scheduler {
    /// Loads the messages still queued when nox last stopped.
    pub(crate) async fn load_inbox(&mut self) {
        let queued = super::read(&self.store, messages::queued)
            .await
            .unwrap_or_default();
        let mut gone = Vec::new();
        for m in queued {
            if self.known(&m.to) {
                self.inbox.push(m);
            } else {
                gone.push(m.id);
            }
        }
        if !gone.is_empty() {
            let _ = db(&self.store, move |c| {
                messages::refuse(c, &gone, "no agent of that name any more")
            })
            .await;
        }
    }

    /// Sends a message: `Err` for an unknown sender or receiver, empty or
    /// oversized text; [`RuntimeError::Limited`] (the message is stored as
    /// refused) past the rate limit.
    pub(crate) async fn send(&mut self, new: NewMessage) -> Result<Message> {
        if new.text.trim().is_empty() {
            return Err(RuntimeError::Refused("the message text is empty".into()));
        }
        if new.text.len() > MAX_TASK_BODY {
            return Err(RuntimeError::TooLarge(format!(
                "the message is {} bytes; the limit is {MAX_TASK_BODY} bytes",
                new.text.len()
            )));
        }
        if new.from != USER && new.from != NOX && !self.known(&new.from) {
            return Err(RuntimeError::Refused(format!(
                "unknown sender {:?}: messages come from the user or an agent",
                new.from
            )));
        }
        if new.to != USER && !self.known(&new.to) {
            return Err(no_agent(&new.to));
        }
        if new.to == new.from {
            return Err(RuntimeError::Refused(format!(
                "{} cannot send a message to itself",
                new.from
            )));
        }
        // Only what agents write is limited: results and delegations are
        // nox's own bookkeeping.
        let limited = new.kind == MessageKind::Message;
        if let Some(why) = limited
            .then(|| self.rate.admit(&new.from, &new.to, now_ms()).err())
            .flatten()
        {
            let r = why.clone();
            let m = db(&self.store, move |c| {
                messages::send(c, &new, MessageState::Refused, Some(&r))
            })
            .await?;
            tracing::warn!(
                "message {} from {} to {} refused: {why}",
                m.id,
                m.from,
                m.to
            );
            return Err(RuntimeError::Limited(why));
        }
        let state = if new.to == USER {
            MessageState::Delivered
        } else {
            MessageState::Queued
        };
        let m = db(&self.store, move |c| messages::send(c, &new, state, None)).await?;
        tracing::debug!("message {} from {} to {}", m.id, m.from, m.to);
        if state == MessageState::Queued {
            self.inbox.push(m.clone());
            self.deliver_mail(&m.to).await;
        }
        Ok(m)
    }

    /// Sends what nox itself says; failures are logged (a removed agent).
    async fn tell_agent(&mut self, new: NewMessage) {
        let to = new.to.clone();
        if let Err(e) = self.send(new).await {
            tracing::warn!("no message for {to}: {e}");
        }
    }

    /// Wakes every idle agent that has mail.
    pub(crate) async fn deliver_all_mail(&mut self) {
        for agent in self.inbox.waiting() {
            self.deliver_mail(&agent).await;
        }
    }

    /// Types `agent`'s inbox into it when it is idle and holds nothing.
    pub(crate) async fn deliver_mail(&mut self, agent: &str) {
        let idle = self
            .registry
            .infos()
            .iter()
            .any(|a| a.spec.name == agent && a.status == AgentStatus::Idle);
        if !idle || self.held.contains_key(agent) || self.mail.in_flight.contains_key(agent) {
            return;
        }
        let msgs = self.inbox.take(agent);
        if msgs.is_empty() {
            return;
        }
        let ids: Vec<MessageId> = msgs.iter().map(|m| m.id).collect();
        let deliver = Deliver {
            work: Work::Mail(ids),
            text: inbox_text(&msgs),
        };
        let (tx, rx) = oneshot::channel();
        if let Some(a) = self.registry.tx(agent) {
            let _ = a.send(AgentCmd::Deliver(deliver, tx));
        }
        match rx.await.unwrap_or_else(|_| Err(why_gone(agent))) {
            Ok(()) => {
                self.mail.in_flight.insert(agent.to_string(), msgs);
            }
            Err(why) => {
                tracing::debug!(agent, "mail waits: {why}");
                self.inbox.put_back(agent, msgs);
                let again = Instant::now() + DEFER_RETRY;
                self.retry_at = Some(self.retry_at.map_or(again, |r| r.min(again)));
            }
        }
    }

    /// News of an inbox prompt typed into `agent`.
    pub(crate) async fn on_mail_job(
        &mut self,
        agent: &str,
        ids: Vec<MessageId>,
        update: JobUpdate,
    ) {
        match update {
            JobUpdate::Confirmed { .. } => {
                if self.mail.in_flight.remove(agent).is_some() {
                    let _ = db(&self.store, move |c| messages::delivered(c, &ids, "prompt")).await;
                }
            }
            JobUpdate::Stalled | JobUpdate::Lost { .. } => {
                let Some(msgs) = self.mail.in_flight.remove(agent) else {
                    return;
                };
                let (mut again, mut refuse) = (Vec::new(), Vec::new());
                for m in msgs {
                    let n = self.mail.stalls.entry(m.id).or_insert(0);
                    *n += 1;
                    if *n >= MAX_MAIL_STALLS {
                        refuse.push(m.id);
                    } else {
                        again.push(m);
                    }
                }
                self.inbox.put_back(agent, again);
                if !refuse.is_empty() {
                    let why = format!("{agent} did not take the prompt ({MAX_MAIL_STALLS} tries)");
                    let _ = db(&self.store, move |c| messages::refuse(c, &refuse, &why)).await;
                }
            }
            JobUpdate::Done { .. } | JobUpdate::Interrupted => {
                // The turn the messages started is over; the agent is idle.
                if let Some(msgs) = self.mail.in_flight.remove(agent) {
                    self.inbox.put_back(agent, msgs);
                }
                self.deliver_mail(agent).await;
            }
            JobUpdate::Sent { .. } | JobUpdate::Retried | JobUpdate::Progress => {}
        }
    }

    /// A task an agent delegated was created: the Messages pane shows it.
    pub(crate) async fn delegated(&mut self, t: &Task) {
        if !self.known(&t.created_by) {
            return;
        }
        let new = NewMessage {
            from: t.created_by.clone(),
            to: t.assignee.clone().unwrap_or_else(|| "any".into()),
            text: format!("task {}: {}", t.id, t.title),
            kind: MessageKind::Delegation,
            task: Some(t.id),
        };
        let why = format!("sent as task {}", t.id);
        let _ = db(&self.store, move |c| {
            messages::send(c, &new, MessageState::Delivered, Some(&why))
        })
        .await;
    }

    /// A task ended: when an agent delegated it, that agent gets its
    /// status, summary and changed files as a message.
    pub(crate) async fn task_ended(&mut self, t: &Task) {
        if !t.status.is_final() || !self.known(&t.created_by) {
            return;
        }
        let by = t.assignee.clone().unwrap_or_else(|| NOX.to_string());
        let summary = match t.status {
            TaskStatus::Done => t.result.clone().unwrap_or_default(),
            _ => t.detail.clone(),
        };
        let text = clip_bytes(format!(
            "Task {} \"{}\" is {} ({}).\n{}",
            t.id,
            t.title,
            t.status,
            if t.assignee.is_some() {
                format!("worked on by {by}")
            } else {
                "never started".to_string()
            },
            summary.trim()
        ));
        // From the agent that did the work; from nox when that was the
        // creator itself, or it has been removed since.
        let from = if by == t.created_by || !self.known(&by) {
            NOX.to_string()
        } else {
            by
        };
        self.tell_agent(NewMessage {
            from,
            to: t.created_by.clone(),
            text,
            kind: MessageKind::Result,
            task: Some(t.id),
        })
        .await;
    }
}

/// `s` cut to [`MAX_TASK_BODY`] bytes at a character boundary, saying so:
/// a result too large for a message still reaches the delegator (whole in
/// `task_result`).
fn clip_bytes(mut s: String) -> String {
    const NOTE: &str = "\n… (cut; the whole result: task_result)";
    if s.len() <= MAX_TASK_BODY {
        return s;
    }
    let mut end = MAX_TASK_BODY - NOTE.len();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str(NOTE);
    s
}

fn why_gone(agent: &str) -> String {
    format!("agent {agent} is gone")
}
