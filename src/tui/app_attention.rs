//! What needs the user, on the dashboard's state: answering a pending
//! permission request without entering the pane (the selected agent's,
//! else the oldest), jumping to the agent that has waited longest, the
//! `needs you` count, turns that ended unseen, and the results of the
//! approval and message effects.

use super::app::{App, Effect, Overlay};
use super::layout::Pane;
use crate::domain::approval::Approval;
use crate::domain::{AgentStatus, Message};

impl App {
    /// The agent whose pane is shown (selected, with the Terminal pane
    /// visible).
    pub fn shown_agent(&self) -> Option<&str> {
        self.layout
            .terminal
            .and(self.current())
            .map(|a| a.spec.name.as_str())
    }

    /// The shown agent's ended turn is seen (the loop calls this before
    /// each frame).
    pub fn see(&mut self) {
        if let Some(name) = self.shown_agent().map(str::to_string) {
            self.attention.seen(&name);
        }
    }

    /// An `agent.status` event: agent `agent` went from `from` to `to`.
    pub fn on_agent_status(&mut self, agent: &str, from: AgentStatus, to: AgentStatus, why: &str) {
        let shown = self.shown_agent() == Some(agent);
        self.attention.on_status(agent, from, to, why, shown);
    }

    /// Agents waiting for the user.
    pub fn needs_you(&self) -> usize {
        self.agents
            .iter()
            .filter(|a| a.status == AgentStatus::Waiting)
            .count()
    }

    /// Pending permission requests, oldest first: the attention queue.
    pub fn attention_queue(&self) -> Vec<(&str, &Approval)> {
        let mut q: Vec<(&str, &Approval)> = self
            .agents
            .iter()
            .filter_map(|a| a.approval.as_ref().map(|p| (a.spec.name.as_str(), p)))
            .collect();
        q.sort_by_key(|(_, p)| (p.since_ms, p.id));
        q
    }

    /// The request prefix `y` / `N` answers: the selected agent's, else
    /// the oldest pending.
    pub fn approval_target(&self) -> Option<(String, Approval)> {
        self.current()
            .and_then(|a| a.approval.clone().map(|p| (a.spec.name.clone(), p)))
            .or_else(|| {
                self.attention_queue()
                    .first()
                    .map(|(n, p)| ((*n).to_string(), (*p).clone()))
            })
    }

    pub(crate) fn answer(&mut self, allow: bool, fx: &mut Vec<Effect>) {
        match self.approval_target() {
            Some((name, _)) => fx.push(Effect::Approve(name, allow)),
            None => self.toast = Some("no permission request is pending".into()),
        }
    }

    /// Selects the agent that has waited longest (its pending request, else
    /// the first agent `waiting`) and focuses its Terminal.
    pub(crate) fn jump_to_waiting(&mut self, fx: &mut Vec<Effect>) {
        let name = self
            .attention_queue()
            .first()
            .map(|(n, _)| (*n).to_string())
            .or_else(|| {
                self.agents
                    .iter()
                    .find(|a| a.status == AgentStatus::Waiting)
                    .map(|a| a.spec.name.clone())
            });
        let Some(i) = name.and_then(|n| self.agents.iter().position(|a| a.spec.name == n)) else {
            self.toast = Some("no agent is waiting for you".into());
            return;
        };
        self.select(i, fx);
        self.set_focus(Pane::Terminal, fx);
    }

    /// The result of an [`Effect::Approve`] for agent `name`.
    pub fn on_approved(&mut self, name: &str, allow: bool, result: Result<Approval, String>) {
        self.toast = Some(match result {
            Ok(p) if allow => format!("allowed {} for {name}", p.tool),
            Ok(p) => format!("denied {} for {name}", p.tool),
            Err(e) => e,
        });
    }

    /// The result of an [`Effect::SendMessage`]: close the dialog and show
    /// the message, or say why not (in the dialog and the status line).
    pub fn on_message_sent(&mut self, result: Result<Message, String>) {
        match result {
            Ok(m) => {
                if matches!(self.overlay, Overlay::Message(_)) {
                    self.overlay = Overlay::None;
                }
                self.toast = Some(format!("message {} to {} {}", m.id, m.to, m.state));
                self.messages.upsert(m);
            }
            Err(e) => {
                if let Overlay::Message(d) = &mut self.overlay {
                    d.error = Some(e.clone());
                }
                self.toast = Some(e);
            }
        }
    }
}

#[cfg(test)]
#[path = "app_attention_tests.rs"]
mod tests;
