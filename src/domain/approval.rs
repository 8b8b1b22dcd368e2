//! Permission requests and their answers (`CLAUDE_CODE.md`, "Answering
//! permission prompts from outside the pane"): the pending request an agent
//! waits on, what a decision is and who made it, the `[[policy]]` rules of
//! nox.toml (SPEC §2: first match wins, `ask` falls through to the user),
//! and the JSON a waiting PermissionRequest hook prints. Pure rules.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// A permission request waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
pub struct Approval {
    /// Increasing per nox process; names the request in events.
    pub id: u64,
    /// Claude Code's tool name (`Bash`, `Write`, `mcp__x__y`).
    pub tool: String,
    /// The command, the file path, or the input in short.
    pub what: String,
    /// When it was asked, ms since the Unix epoch.
    pub since_ms: u64,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The tool may run.
    Allow,
    /// The tool is refused; the model gets the reason.
    Deny,
    /// Answered in the agent's pane (Claude Code's own dialog): nox saw the
    /// agent move on and released its waiting hook.
    InPane,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "allowed",
            Self::Deny => "denied",
            Self::InPane => "answered in the pane",
        })
    }
}

/// What a `[[policy]]` rule decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyDecision {
    /// Approve with no key pressed.
    Allow,
    /// Refuse with no key pressed.
    Deny,
    /// Leave it to the user (stops the search: later rules are not tried).
    Ask,
}

/// One `[[policy]]` table of nox.toml.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Glob on agent names (`*`, `?`, `[..]`); `None`: every agent.
    pub agent: Option<glob::Pattern>,
    /// Claude Code tool name; `None`: every tool.
    pub tool: Option<String>,
    /// Regex on the command or file path; `None`: anything.
    pub pattern: Option<regex::Regex>,
    /// What it decides.
    pub decision: PolicyDecision,
}

impl PartialEq for Policy {
    fn eq(&self, o: &Self) -> bool {
        self.agent == o.agent
            && self.tool == o.tool
            && self.pattern.as_ref().map(regex::Regex::as_str)
                == o.pattern.as_ref().map(regex::Regex::as_str)
            && self.decision == o.decision
    }
}

impl Eq for Policy {}

impl Policy {
    /// Whether this rule covers `tool` called by `agent` on `what`.
    pub fn matches(&self, agent: &str, tool: &str, what: &str) -> bool {
        self.agent.as_ref().is_none_or(|g| g.matches(agent))
            && self.tool.as_deref().is_none_or(|t| t == tool)
            && self.pattern.as_ref().is_none_or(|r| r.is_match(what))
    }
}

/// The first rule (1-based number, decision) that covers the request; `Ask`
/// ends the search like any match.
pub fn decide(
    rules: &[Policy],
    agent: &str,
    tool: &str,
    what: &str,
) -> Option<(usize, PolicyDecision)> {
    rules
        .iter()
        .position(|r| r.matches(agent, tool, what))
        .map(|i| (i + 1, rules[i].decision))
}

/// What a rule matches a request on: the Bash command, the file path of a
/// file tool, a URL, else the input as compact JSON — whole, however long
/// (a rule must see all of it: a clipped command could hide its end from a
/// deny rule). [`clip`] it for display.
pub fn subject(tool: &str, input: &Value) -> String {
    let field = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
    let s = match tool {
        "Bash" => field("command"),
        _ => field("file_path")
            .or_else(|| field("path"))
            .or_else(|| field("notebook_path"))
            .or_else(|| field("url"))
            .or_else(|| field("pattern")),
    };
    s.unwrap_or_else(|| input.to_string())
}

/// `s` cut to at most `max` characters (on a character boundary), with `…`
/// when cut: the form of a request's subject that is shown and stored.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let mut c: String = s.chars().take(max.saturating_sub(1)).collect();
        c.push('…');
        c
    } else {
        s.to_string()
    }
}

/// The first line of `s` in at most `max` characters, with `…` when
/// anything was left out (the rest of the line, or later lines): how a
/// command or a message reads in one line of a pane or an event.
pub fn first_line(s: &str, max: usize) -> String {
    let line = s.trim_end().lines().next().unwrap_or_default();
    if line.chars().count() > max || line.len() < s.trim_end().len() {
        clip(&format!("{line}…"), max)
    } else {
        line.to_string()
    }
}

/// What a waiting PermissionRequest hook prints for an allow or a deny
/// (`CLAUDE_CODE.md`: `hookSpecificOutput.decision.behavior`, with a
/// `message` the model gets on a deny).
pub fn hook_reply(allow: bool, message: &str) -> String {
    let decision = if allow {
        json!({"behavior": "allow"})
    } else {
        json!({"behavior": "deny", "message": message})
    };
    json!({"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}})
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(agent: &str, tool: &str, pattern: &str, d: PolicyDecision) -> Policy {
        Policy {
            agent: Some(glob::Pattern::new(agent).expect("glob")),
            tool: (!tool.is_empty()).then(|| tool.to_string()),
            pattern: (!pattern.is_empty()).then(|| regex::Regex::new(pattern).expect("re")),
            decision: d,
        }
    }

    #[test]
    fn a_long_command_cannot_hide_its_end_from_a_deny_rule() {
        let rules = [
            rule("*", "Bash", "rm -rf", PolicyDecision::Deny),
            rule("*", "", "", PolicyDecision::Allow),
        ];
        let cmd = format!("echo {}; rm -rf ~", "x".repeat(400));
        let what = subject("Bash", &json!({"command": cmd}));
        assert_eq!(
            decide(&rules, "a", "Bash", &what),
            Some((1, PolicyDecision::Deny))
        );
    }

    #[test]
    fn the_first_matching_rule_wins_and_ask_stops_the_search() {
        let rules = [
            rule(
                "test*",
                "Bash",
                "^cargo (test|check)",
                PolicyDecision::Allow,
            ),
            rule("*", "Bash", "rm -rf", PolicyDecision::Deny),
            rule("web", "", "", PolicyDecision::Ask),
            rule("*", "", "", PolicyDecision::Allow),
        ];
        assert_eq!(
            decide(&rules, "tests", "Bash", "cargo test -q"),
            Some((1, PolicyDecision::Allow))
        );
        assert_eq!(
            decide(&rules, "backend", "Bash", "cargo test"),
            Some((4, PolicyDecision::Allow))
        );
        assert_eq!(
            decide(&rules, "tests", "Bash", "rm -rf /"),
            Some((2, PolicyDecision::Deny))
        );
        assert_eq!(
            decide(&rules, "web", "Write", "x"),
            Some((3, PolicyDecision::Ask))
        );
        assert_eq!(decide(&rules[..3], "api", "Write", "x"), None);
    }

    #[test]
    fn subjects_and_hook_replies() {
        assert_eq!(subject("Bash", &json!({"command": "ls -l"})), "ls -l");
        assert_eq!(subject("Write", &json!({"file_path": "/a/b"})), "/a/b");
        assert_eq!(subject("Other", &json!({"x": 1})), r#"{"x":1}"#);
        let long = format!("echo {}; rm -rf ~", "x".repeat(400));
        assert!(subject("Bash", &json!({"command": long})).ends_with("rm -rf ~"));
        assert_eq!(clip("ééé", 2), "é…");
        assert_eq!(first_line("ls\n-l", 10), "ls…");
        assert_eq!(first_line("abcdef", 4), "abc…");
        assert_eq!(first_line("abc\n", 4), "abc");
        let v: Value = serde_json::from_str(&hook_reply(false, "no")).expect("json");
        assert_eq!(v["hookSpecificOutput"]["decision"]["behavior"], "deny");
        assert_eq!(v["hookSpecificOutput"]["decision"]["message"], "no");
        assert_eq!(
            v["hookSpecificOutput"]["hookEventName"],
            "PermissionRequest"
        );
        let v: Value = serde_json::from_str(&hook_reply(true, "")).expect("json");
        assert_eq!(
            v["hookSpecificOutput"]["decision"],
            json!({"behavior": "allow"})
        );
    }
}
