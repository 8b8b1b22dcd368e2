//! Messages between agents and the user (SPEC §1 "message", §7 delivery):
//! what one is, its delivery states (`queued → delivered | refused`), how
//! queued messages read as one prompt or one Stop-hook reason, and the
//! per-pair rate limit that stops ping-pong loops. Pure rules.

use std::collections::{HashMap, VecDeque};
use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::task::TaskId;

/// A message's id (the store's row id).
pub type MessageId = u64;

/// The sender of messages typed by the user (`nox send`, prefix `m`).
pub const USER: &str = "user";
/// The sender of messages nox writes itself.
pub const NOX: &str = "nox";

/// Names that are never agent names: they stand for senders and creators
/// that are not agents (`user`, `nox`, and the task creators `cli`, `api`,
/// `plan`).
pub const RESERVED_NAMES: [&str; 5] = [USER, NOX, "cli", "api", "plan"];

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// Text from an agent or the user.
    #[default]
    Message,
    /// An agent delegated a task (the message names it; nothing is delivered).
    Delegation,
    /// A delegated task ended: its status, summary and changed files, to
    /// the agent that delegated it.
    Result,
}

/// Where a message is on its way (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageState {
    /// Waiting in the receiver's inbox.
    #[default]
    Queued,
    /// In the receiver's conversation (a Stop-hook reason or a typed prompt).
    Delivered,
    /// Never delivered; `reason` says why (the rate limit, an unknown receiver).
    Refused,
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Queued => "queued",
            Self::Delivered => "delivered",
            Self::Refused => "refused",
        })
    }
}

impl MessageState {
    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "delivered" => Self::Delivered,
            "refused" => Self::Refused,
            _ => return None,
        })
    }
}

impl MessageKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Delegation => "delegation",
            Self::Result => "result",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "message" => Self::Message,
            "delegation" => Self::Delegation,
            "result" => Self::Result,
            _ => return None,
        })
    }
}

/// One message, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
pub struct Message {
    /// Row id.
    #[schema(value_type = u64)]
    pub id: MessageId,
    /// Sender: an agent, `user` or `nox`.
    pub from: String,
    /// Receiver: an agent, or `user`.
    pub to: String,
    /// The text.
    pub text: String,
    /// Message, delegation or result.
    pub kind: MessageKind,
    /// Queued, delivered or refused.
    pub state: MessageState,
    /// Why it was refused, or how it was delivered (`stop hook`, `prompt`).
    pub reason: Option<String>,
    /// The task it concerns (a delegation, a result).
    #[schema(value_type = Option<u64>)]
    pub task: Option<TaskId>,
    /// When it was sent, ms since the Unix epoch.
    pub created_ms: u64,
    /// When it was delivered, ms since the Unix epoch.
    pub delivered_ms: Option<u64>,
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewMessage {
    /// Sender.
    pub from: String,
    /// Receiver.
    pub to: String,
    /// The text (1 byte to [`super::limits::MAX_TASK_BODY`]).
    pub text: String,
    /// Message, delegation or result.
    pub kind: MessageKind,
    /// The task it concerns.
    pub task: Option<TaskId>,
}

/// Queued messages as one block of text: the reason of a blocking Stop
/// hook (`CLAUDE_CODE.md`, "Delivering messages without typing") or the
/// prompt typed into an idle agent. Oldest first.
pub fn inbox_text(msgs: &[Message]) -> String {
    let mut out = if msgs.len() == 1 {
        String::from("Inbox (1 message from nox):")
    } else {
        format!("Inbox ({} messages from nox):", msgs.len())
    };
    for m in msgs {
        let what = match m.kind {
            MessageKind::Result => format!("result of task {}", m.task.unwrap_or_default()),
            MessageKind::Delegation => "delegation".to_string(),
            MessageKind::Message => "message".to_string(),
        };
        let from = if m.from == USER {
            "the user".to_string()
        } else {
            format!("agent {}", m.from)
        };
        let _ = write!(out, "\n\n[{what} from {from}]\n{}", m.text.trim_end());
    }
    out.push_str(
        "\n\n(Reply with the nox send_message tool if an answer is needed; otherwise carry on.)",
    );
    out
}

/// Default: messages two agents may exchange (both directions together)
/// within [`DEFAULT_WINDOW_SECS`].
pub const DEFAULT_PER_PAIR: u32 = 8;
/// Default rate-limit window, in seconds: long enough that a ping-pong of
/// real model turns (15–30 s each) reaches the limit in a few minutes.
pub const DEFAULT_WINDOW_SECS: u64 = 300;

/// A sliding-window limit on messages per pair of agents, both directions
/// counted together: two agents answering each other forever are stopped.
/// Messages from the user and from nox are not limited.
#[derive(Debug, Clone)]
pub struct RateLimit {
    per_pair: u32,
    window_ms: u64,
    sent: HashMap<(String, String), VecDeque<u64>>,
}

impl RateLimit {
    /// At most `per_pair` messages per pair within `window_secs` seconds.
    pub fn new(per_pair: u32, window_secs: u64) -> Self {
        Self {
            per_pair,
            window_ms: window_secs.saturating_mul(1000),
            sent: HashMap::new(),
        }
    }

    /// Counts a message from `from` to `to` at `now_ms`, or says why it is
    /// refused (and does not count it).
    pub fn admit(&mut self, from: &str, to: &str, now_ms: u64) -> Result<(), String> {
        if from == USER || from == NOX {
            return Ok(());
        }
        let key = if from <= to {
            (from.to_string(), to.to_string())
        } else {
            (to.to_string(), from.to_string())
        };
        let q = self.sent.entry(key).or_default();
        while q
            .front()
            .is_some_and(|t| now_ms.saturating_sub(*t) >= self.window_ms)
        {
            q.pop_front();
        }
        if q.len() as u32 >= self.per_pair {
            return Err(format!(
                "rate limited: {from} and {to} exchanged {} messages in the last {}s (at most {}); wait, or ask the user",
                q.len(),
                self.window_ms / 1000,
                self.per_pair
            ));
        }
        q.push_back(now_ms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_refuses_past_the_cap_within_the_window_only() {
        let mut r = RateLimit::new(2, 10);
        assert!(r.admit("a", "b", 0).is_ok());
        assert!(r.admit("a", "b", 1000).is_ok());
        let why = r.admit("a", "b", 2000).expect_err("third");
        assert!(why.contains("rate limited"), "{why}");
        // The other direction shares the pair's count (a ping-pong) ...
        assert!(r.admit("b", "a", 2000).is_err());
        // ... another pair has its own.
        assert!(r.admit("a", "c", 2000).is_ok());
        // The window slides.
        assert!(r.admit("b", "a", 10_000).is_ok());
        // The user is never limited.
        for t in 0..10 {
            assert!(r.admit(USER, "b", t).is_ok());
        }
    }

    #[test]
    fn inbox_text_names_senders_and_results() {
        let m = |from: &str, kind, text: &str| Message {
            from: from.into(),
            kind,
            text: text.into(),
            task: Some(4),
            ..Message::default()
        };
        let t = inbox_text(&[
            m("a", MessageKind::Message, "hi"),
            m(USER, MessageKind::Message, "stop"),
            m("b", MessageKind::Result, "task 4 done"),
        ]);
        assert!(t.starts_with("Inbox (3 messages from nox):"), "{t}");
        assert!(t.contains("[message from agent a]\nhi"), "{t}");
        assert!(t.contains("[message from the user]\nstop"), "{t}");
        assert!(
            t.contains("[result of task 4 from agent b]\ntask 4 done"),
            "{t}"
        );
    }
}
