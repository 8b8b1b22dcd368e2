//! Model scripts: TOML files of turns, each a list of steps (one model reply
//! each: text and/or one `tool_use`, with an optional delay), and the rule
//! that picks the step for a request (`CLAUDE_CODE.md`, "The endpoint Claude
//! Code needs").
//!
//! ```toml
//! [[turn]]                      # the answer to the first user prompt
//! [[turn.step]]
//! text = "Creating the file."
//! tool = "Write"
//! input = { file_path = "{cwd}/hello.txt", content = "hello\n" }
//! [[turn.step]]                 # the reply after the tool result
//! text = "Done."
//! delay_ms = 500
//! ```
//! `{cwd}` in a text or input string becomes the session's working directory.
//! A turn with `when = "text"` answers any prompt containing that text,
//! wherever it comes in the conversation (an interrupted prompt leaves the
//! conversation, so counting prompts cannot tell which one comes next).

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::config::ConfigError;

/// One model reply.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Text block (may be empty when the step only calls a tool).
    #[serde(default)]
    pub text: String,
    /// Tool name for a `tool_use` block (`Write`, `Bash`, `mcp__nox__…`).
    pub tool: Option<String>,
    /// Tool input (a TOML table, sent as JSON).
    pub input: Option<toml::Table>,
    /// Hold the reply this long before streaming it (pings keep the stream alive).
    #[serde(default)]
    pub delay_ms: u64,
}

/// The steps answering one user prompt.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// Answer prompts containing this text (instead of by position).
    #[serde(default)]
    pub when: Option<String>,
    /// Replies in order.
    #[serde(default)]
    pub step: Vec<Step>,
}

/// A whole script.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Turns in order.
    #[serde(default)]
    pub turn: Vec<Turn>,
}

/// A concrete reply: text, optional tool call, delay.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Text block, if non-empty.
    pub text: String,
    /// `(id, name, input)` of a `tool_use` block.
    pub tool: Option<(String, String, Value)>,
    /// Delay before streaming, in ms.
    pub delay_ms: u64,
}

impl Script {
    /// Loads a script file; errors name file, line and column.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let src = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::whole(path, format!("cannot read: {e}")))?;
        Self::parse(path, &src)
    }

    /// Parses script text.
    pub fn parse(path: &Path, src: &str) -> Result<Self, ConfigError> {
        toml::from_str(src)
            .map_err(|e| ConfigError::at(path, src, e.span(), e.message().trim_end().to_string()))
    }

    /// The reply to `request` (a Messages API request body).
    pub fn reply(&self, request: &Value) -> Reply {
        let text = |t: String| Reply {
            text: t,
            tool: None,
            delay_ms: 0,
        };
        if request
            .get("tools")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            return text("nox scripted session".into());
        }
        let (mut turn, step) = position(request);
        let last = last_prompt(request);
        if let Some(i) = self.turn.iter().position(|t| {
            t.when
                .as_deref()
                .is_some_and(|w| last.iter().any(|p| p.contains(w)))
        }) {
            turn = i;
        }
        let cwd = working_directory(request).unwrap_or_default();
        let Some(s) = self.turn.get(turn).and_then(|t| t.step.get(step)) else {
            return text(format!(
                "(nox model script: nothing scripted for turn {} step {})",
                turn + 1,
                step + 1
            ));
        };
        let fill = |v: &str| v.replace("{cwd}", &cwd);
        Reply {
            text: fill(&s.text),
            tool: s.tool.as_ref().map(|name| {
                let input = s
                    .input
                    .clone()
                    .map_or(Value::Object(serde_json::Map::new()), |t| {
                        substitute(serde_json::to_value(t).unwrap_or(Value::Null), &fill)
                    });
                (format!("toolu_nox_{turn}_{step}"), name.clone(), input)
            }),
            delay_ms: s.delay_ms,
        }
    }
}

fn substitute(v: Value, fill: &impl Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(fill(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| substitute(x, fill)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| (k, substitute(x, fill)))
                .collect(),
        ),
        other => other,
    }
}

fn texts(content: &Value) -> Vec<&str> {
    match content {
        Value::String(s) => vec![s.as_str()],
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        _ => Vec::new(),
    }
}

fn is_prompt(msg: &Value) -> bool {
    msg.get("role").and_then(Value::as_str) == Some("user")
        && msg.get("content").is_some_and(|c| {
            texts(c).iter().any(|t| {
                let t = t.trim_start();
                !t.is_empty()
                    && !t.starts_with("<system-reminder>")
                    && !t.starts_with("[Request interrupted")
            })
        })
}

/// The texts of the last real user prompt of `request`.
fn last_prompt(request: &Value) -> Vec<&str> {
    request
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|m| m.iter().rev().find(|m| is_prompt(m)))
        .and_then(|m| m.get("content"))
        .map(texts)
        .unwrap_or_default()
}

/// (turn, step) of a request: the turn is the number of real user prompts
/// minus one; the step is the number of assistant messages after the last.
pub fn position(request: &Value) -> (usize, usize) {
    let msgs = request
        .get("messages")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let prompts: Vec<usize> = msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| is_prompt(m))
        .map(|(i, _)| i)
        .collect();
    let Some(&last) = prompts.last() else {
        return (0, 0);
    };
    let step = msgs[last + 1..]
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .count();
    (prompts.len() - 1, step)
}

/// The `Primary working directory: …` Claude Code puts in its context.
pub fn working_directory(request: &Value) -> Option<String> {
    const MARK: &str = "Primary working directory: ";
    fn walk(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => s.find(MARK).map(|i| {
                let rest = &s[i + MARK.len()..];
                rest.split(['\n', '\r'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            }),
            Value::Array(a) => a.iter().find_map(walk),
            Value::Object(o) => o.values().find_map(walk),
            _ => None,
        }
    }
    walk(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn script() -> Script {
        Script::parse(
            Path::new("s.toml"),
            r#"
[[turn]]
[[turn.step]]
text = "writing"
tool = "Write"
input = { file_path = "{cwd}/f.txt", content = "x" }
[[turn.step]]
text = "done"
[[turn]]
[[turn.step]]
text = "second"
delay_ms = 5
"#,
        )
        .expect("script")
    }

    fn req(messages: &Value) -> Value {
        json!({"model": "m", "tools": [{"name": "Write"}], "system": [{"type": "text", "text": "x\nPrimary working directory: /p/q\nmore"}], "messages": messages})
    }

    #[test]
    fn first_prompt_gets_the_tool_call_with_cwd() {
        let r = script().reply(&req(&json!([
            {"role": "user", "content": [{"type": "text", "text": "<system-reminder>x</system-reminder>"}, {"type": "text", "text": "make f"}]}
        ])));
        let (_, name, input) = r.tool.expect("tool");
        assert_eq!(name, "Write");
        assert_eq!(input["file_path"], "/p/q/f.txt");
    }

    #[test]
    fn steps_and_turns_follow_the_conversation() {
        let msgs = json!([
            {"role": "user", "content": "make f"},
            {"role": "assistant", "content": [{"type": "tool_use"}]},
            {"role": "user", "content": [{"type": "tool_result", "content": "ok"}]}
        ]);
        assert_eq!(position(&req(&msgs)), (0, 1));
        assert_eq!(script().reply(&req(&msgs)).text, "done");
        let msgs = json!([
            {"role": "user", "content": "make f"},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": [{"type": "text", "text": "[Request interrupted by user]"}]},
            {"role": "user", "content": "again"}
        ]);
        let r = script().reply(&req(&msgs));
        assert_eq!((r.text.as_str(), r.delay_ms), ("second", 5));
    }

    #[test]
    fn a_turn_with_when_answers_the_prompt_that_contains_it() {
        let s = Script::parse(
            Path::new("s.toml"),
            "[[turn]]\n[[turn.step]]\ntext = \"first\"\n[[turn]]\nwhen = \"second task\"\n[[turn.step]]\ntext = \"second\"\n",
        )
        .expect("script");
        let r = s.reply(&req(
            &json!([{"role": "user", "content": "do the second task"}]),
        ));
        assert_eq!(r.text, "second");
        let r = s.reply(&req(&json!([{"role": "user", "content": "anything"}])));
        assert_eq!(r.text, "first");
    }

    #[test]
    fn side_requests_and_overruns_get_text() {
        let r = script().reply(&json!({"messages": [{"role": "user", "content": "title?"}]}));
        assert_eq!(r.text, "nox scripted session");
        let many = json!([{"role": "user", "content": "1"}, {"role": "user", "content": "2"}, {"role": "user", "content": "3"}]);
        assert!(
            script()
                .reply(&req(&many))
                .text
                .contains("nothing scripted for turn 3")
        );
    }

    #[test]
    fn bad_script_is_located() {
        let e = Script::parse(Path::new("s.toml"), "[[turn]]\n[[turn.step]]\ntxt = 1\n")
            .expect_err("bad");
        assert_eq!(e.line, 3);
    }
}
