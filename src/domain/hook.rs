//! Claude Code hook events (`CLAUDE_CODE.md`, "Hooks") and what they mean for
//! an agent's status: `UserPromptSubmit`, `PreToolUse`, `PostToolUse` → busy;
//! `PermissionRequest` → waiting; `Stop` → idle. Pure parsing and mapping.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AgentStatus;

/// The hook events nox registers, in the order of a turn.
pub const EVENTS: [&str; 8] = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "Notification",
    "Stop",
    "SessionEnd",
];

/// A parsed hook payload (serialized tagged by `hook`, the event name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "hook")]
pub enum HookEvent {
    /// A session began or resumed (`source`: startup, resume, clear, compact).
    SessionStart {
        /// The session id.
        session_id: String,
        /// Why it started.
        source: String,
    },
    /// The user's prompt was accepted.
    UserPromptSubmit {
        /// The prompt text.
        prompt: String,
    },
    /// A tool is about to run.
    PreToolUse {
        /// Tool name.
        tool: String,
        /// Tool input.
        input: Value,
        /// `tool_use_id` (names the call; a PermissionRequest has none).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        id: String,
    },
    /// A permission prompt is on screen.
    PermissionRequest {
        /// Tool name.
        tool: String,
        /// Tool input.
        input: Value,
    },
    /// A tool finished.
    PostToolUse {
        /// Tool name.
        tool: String,
        /// `tool_use_id` of the call that finished.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        id: String,
    },
    /// A notification (`permission_prompt`, `idle_prompt`, …).
    Notification {
        /// Its text.
        message: String,
        /// Its type.
        kind: String,
    },
    /// The turn ended.
    Stop {
        /// The final assistant message.
        last_message: String,
        /// The Stop hook already blocked once in this turn.
        active: bool,
    },
    /// The session ended (not sent when the process is killed).
    SessionEnd {
        /// Why.
        reason: String,
    },
}

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Whether `s` is a UUID in its canonical text form (RFC 9562 §4:
/// 8-4-4-4-12 hexadecimal digits). Claude Code's session ids are; anything
/// else in `session_id` would end up in `claude --session-id` arguments.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

impl HookEvent {
    /// Parses the payload of hook `event`; errors name what is wrong. A
    /// `session_id` that is not a UUID is refused, whatever the event.
    pub fn parse(event: &str, payload: &Value) -> Result<Self, String> {
        if !payload.is_object() {
            return Err("the hook payload is not a JSON object".into());
        }
        match payload.get("session_id") {
            None => {}
            Some(Value::String(id)) if is_uuid(id) => {}
            Some(other) => {
                return Err(format!(
                    "session_id must be a UUID (8-4-4-4-12 hex digits), got {}",
                    clip(&other.to_string(), 60)
                ));
            }
        }
        Ok(match event {
            "SessionStart" => {
                let session_id = s(payload, "session_id");
                if session_id.is_empty() {
                    return Err("SessionStart needs a session_id".into());
                }
                Self::SessionStart {
                    session_id,
                    source: s(payload, "source"),
                }
            }
            "UserPromptSubmit" => Self::UserPromptSubmit {
                prompt: s(payload, "prompt"),
            },
            "PreToolUse" => Self::PreToolUse {
                tool: s(payload, "tool_name"),
                input: payload.get("tool_input").cloned().unwrap_or(Value::Null),
                id: s(payload, "tool_use_id"),
            },
            "PermissionRequest" => Self::PermissionRequest {
                tool: s(payload, "tool_name"),
                input: payload.get("tool_input").cloned().unwrap_or(Value::Null),
            },
            "PostToolUse" => Self::PostToolUse {
                tool: s(payload, "tool_name"),
                id: s(payload, "tool_use_id"),
            },
            "Notification" => Self::Notification {
                message: s(payload, "message"),
                kind: s(payload, "notification_type"),
            },
            "Stop" => Self::Stop {
                last_message: s(payload, "last_assistant_message"),
                active: payload
                    .get("stop_hook_active")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            },
            "SessionEnd" => Self::SessionEnd {
                reason: s(payload, "reason"),
            },
            other => {
                return Err(format!(
                    "unknown hook event {other:?}: expected one of {}",
                    EVENTS.join(", ")
                ));
            }
        })
    }

    /// The status this event means, with the evidence to show for it.
    pub fn status(&self) -> Option<(AgentStatus, String)> {
        match self {
            Self::UserPromptSubmit { .. } => {
                Some((AgentStatus::Busy, "hook UserPromptSubmit".into()))
            }
            Self::PreToolUse { tool, .. } => {
                Some((AgentStatus::Busy, format!("hook PreToolUse {tool}")))
            }
            Self::PostToolUse { tool, .. } => {
                Some((AgentStatus::Busy, format!("hook PostToolUse {tool}")))
            }
            Self::PermissionRequest { tool, input } => Some((
                AgentStatus::Waiting,
                format!("permission: {tool} {}", summary(input)),
            )),
            Self::Stop { .. } => Some((AgentStatus::Idle, "hook Stop".into())),
            Self::SessionStart { .. } | Self::Notification { .. } | Self::SessionEnd { .. } => None,
        }
    }
}

/// `text` cut to `max` characters (an ellipsis marks the cut).
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!(
            "{}…",
            text.chars().take(max.saturating_sub(1)).collect::<String>()
        )
    } else {
        text.to_string()
    }
}

impl HookEvent {
    /// The hook's event name (`Stop`, `PreToolUse`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::SessionStart { .. } => "SessionStart",
            Self::UserPromptSubmit { .. } => "UserPromptSubmit",
            Self::PreToolUse { .. } => "PreToolUse",
            Self::PermissionRequest { .. } => "PermissionRequest",
            Self::PostToolUse { .. } => "PostToolUse",
            Self::Notification { .. } => "Notification",
            Self::Stop { .. } => "Stop",
            Self::SessionEnd { .. } => "SessionEnd",
        }
    }

    /// The hook in a few words: its name and what it carries.
    pub fn describe(&self) -> String {
        let what = match self {
            Self::SessionStart { source, .. } => source.clone(),
            Self::UserPromptSubmit { prompt } => clip(prompt.lines().next().unwrap_or(""), 60),
            Self::PreToolUse { tool, input, .. } | Self::PermissionRequest { tool, input } => {
                format!("{tool} {}", summary(input))
            }
            Self::PostToolUse { tool, .. } => tool.clone(),
            Self::Notification { kind, .. } => kind.clone(),
            Self::Stop { last_message, .. } => clip(last_message.lines().next().unwrap_or(""), 60),
            Self::SessionEnd { reason } => reason.clone(),
        };
        if what.is_empty() {
            self.name().to_string()
        } else {
            format!("{} {what}", self.name())
        }
    }
}

/// A short one-line form of a tool input: the command, the file, or the JSON.
pub fn summary(input: &Value) -> String {
    let text = ["command", "file_path", "path", "url", "pattern"]
        .iter()
        .find_map(|k| input.get(k).and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| input.to_string());
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    clip(&one, 80)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_map_to_statuses() {
        let p = |e: &str, v: Value| HookEvent::parse(e, &v).expect(e).status();
        assert_eq!(
            p("UserPromptSubmit", json!({"prompt": "x"})).map(|s| s.0),
            Some(AgentStatus::Busy)
        );
        assert_eq!(
            p("PreToolUse", json!({"tool_name": "Bash"})).map(|s| s.0),
            Some(AgentStatus::Busy)
        );
        assert_eq!(
            p("PostToolUse", json!({"tool_name": "Bash"})).map(|s| s.0),
            Some(AgentStatus::Busy)
        );
        assert_eq!(p("Stop", json!({})).map(|s| s.0), Some(AgentStatus::Idle));
        let (st, why) = p(
            "PermissionRequest",
            json!({"tool_name": "Bash", "tool_input": {"command": "rm -rf  build"}}),
        )
        .expect("waiting");
        assert_eq!(
            (st, why.as_str()),
            (AgentStatus::Waiting, "permission: Bash rm -rf build")
        );
        assert_eq!(
            p("Notification", json!({"notification_type": "idle_prompt"})),
            None
        );
    }

    #[test]
    fn bad_payloads_and_events_are_errors() {
        assert!(HookEvent::parse("Stop", &json!([1])).is_err());
        let e = HookEvent::parse("Bogus", &json!({})).expect_err("unknown");
        assert!(e.contains("SessionStart"), "{e}");
        let id = "0b5f0e4e-2a7c-4d1e-9c59-6f2f4e8d1a3b";
        let ok = HookEvent::parse(
            "SessionStart",
            &json!({"session_id": id, "source": "resume"}),
        )
        .expect("ok");
        assert_eq!(
            ok,
            HookEvent::SessionStart {
                session_id: id.into(),
                source: "resume".into()
            }
        );
    }

    #[test]
    fn session_ids_must_be_uuids() {
        for bad in [
            json!("--dangerously-skip-permissions"),
            json!("s1"),
            json!(42),
            json!("0b5f0e4e-2a7c-4d1e-9c59-6f2f4e8d1a3"),
            json!("0b5f0e4e-2a7c-4d1e-9c59-6f2f4e8d1a3z"),
        ] {
            for event in ["SessionStart", "Stop", "PreToolUse"] {
                let e =
                    HookEvent::parse(event, &json!({"session_id": bad})).expect_err("not a UUID");
                assert!(e.contains("UUID"), "{e}");
            }
        }
        assert!(HookEvent::parse("SessionStart", &json!({})).is_err());
        assert!(is_uuid("0B5F0E4E-2A7C-4D1E-9C59-6F2F4E8D1A3B"));
    }
}
