//! `kind = "generic"`: any command, run directly (never through a shell),
//! with `TERM=xterm-256color` (what the pane emulates) and without
//! `COLORTERM` unless the definition sets them (SPEC §2). Its status comes
//! from output, the foreground process group of its terminal and the
//! definition's patterns; it takes a prompt only with evidence, and a
//! task's turn ends when it is idle again.

use regex::{Regex, RegexBuilder};

use super::{Connector, Ctx, HookOutcome, Observation, Prepared, SpawnRequest, TurnEnd};
use crate::domain::hook::HookEvent;
use crate::domain::{AgentSpec, AgentStatus, ExitInfo};
use crate::sys::{AGENT_ENV, INSTANCE_ENV};

/// Most text a task's result keeps from its output (the newest), in bytes.
pub const RESULT_MAX: usize = 16 * 1024;

/// The request every kind starts from.
pub fn base_request(spec: &AgentSpec, instance: &str, rows: u16, cols: u16) -> SpawnRequest {
    SpawnRequest {
        program: spec.command.clone().into(),
        args: spec.args.clone(),
        cwd: spec.cwd.clone(),
        env: vec![
            ("TERM".into(), "xterm-256color".into()),
            (AGENT_ENV.into(), spec.name.clone()),
            (INSTANCE_ENV.into(), instance.into()),
        ],
        env_remove: vec!["COLORTERM".into(), "TMUX".into(), "TMUX_PANE".into()],
        rows,
        cols,
        cgroup: None,
    }
}

fn pattern(p: Option<&String>) -> Option<Regex> {
    p.and_then(|p| RegexBuilder::new(p).multi_line(true).build().ok())
}

/// The quiet window of a generic agent with a `ready_pattern`: output
/// paused this long with the pattern on screen is idle.
pub const READY_QUIET: std::time::Duration = std::time::Duration::from_millis(250);

/// The connector of generic agents.
pub struct Generic {
    name: String,
    ready: Option<Regex>,
    busy: Option<Regex>,
    wait: Option<Regex>,
}

impl Generic {
    /// The connector for `spec` (its patterns compiled; the config has
    /// validated them).
    pub fn new(spec: &AgentSpec) -> Self {
        Self {
            name: spec.name.clone(),
            ready: pattern(spec.ready_pattern.as_ref()),
            busy: pattern(spec.busy_pattern.as_ref()),
            wait: pattern(spec.wait_pattern.as_ref()),
        }
    }
}

impl Connector for Generic {
    fn prepare<'a>(
        &'a mut self,
        spec: &'a AgentSpec,
        ctx: &'a Ctx<'a>,
        size: (u16, u16),
    ) -> Prepared<'a> {
        Box::pin(async move {
            let (spec, req) = super::base(spec, ctx, size).await?;
            super::finish(&spec, req)
        })
    }

    fn busy_on_output(&self) -> bool {
        true
    }

    /// `waiting` when `wait_pattern` matches; `busy` while a job other than
    /// the agent holds the terminal's foreground (a shell running a
    /// command) or `busy_pattern` matches; else `idle` when `ready_pattern`
    /// matches or there is none, `busy` when it does not.
    /// With a `ready_pattern`, the screen itself says when the agent is
    /// ready, so a short pause suffices ([`READY_QUIET`]); without one,
    /// silence is the only sign and the full [`super::QUIET`] applies.
    fn quiet_window(&self) -> std::time::Duration {
        if self.ready.is_some() {
            READY_QUIET
        } else {
            super::QUIET
        }
    }

    fn status_at_quiet(&self, obs: &Observation<'_>) -> Option<(AgentStatus, String)> {
        let screen = obs.screen;
        Some(if self.wait.as_ref().is_some_and(|r| r.is_match(screen)) {
            (AgentStatus::Waiting, "wait_pattern on screen".into())
        } else if let Some(job) = obs.foreground {
            (AgentStatus::Busy, format!("running {job}"))
        } else if self.busy.as_ref().is_some_and(|r| r.is_match(screen)) {
            (AgentStatus::Busy, "busy_pattern on screen".into())
        } else if let Some(r) = &self.ready {
            if r.is_match(screen) {
                (AgentStatus::Idle, "ready_pattern on screen".into())
            } else {
                (
                    AgentStatus::Busy,
                    "quiet, no ready_pattern on screen".into(),
                )
            }
        } else {
            (AgentStatus::Idle, "quiet".into())
        })
    }

    fn on_hook(&mut self, ev: &HookEvent) -> Result<HookOutcome, String> {
        Err(format!(
            "agent {:?} is generic: Claude Code hooks ({}) are for kind = \"claude\" agents",
            self.name,
            ev.name()
        ))
    }

    fn input_pending(&self, _screen: &str) -> bool {
        false
    }

    fn prompt_still_typed(&self, _screen: &str) -> Option<bool> {
        None
    }

    /// Ctrl-U: kill the line (readline, and the tty's line discipline).
    fn clear_input(&self, _screen: &str) -> Vec<u8> {
        b"\x15".to_vec()
    }

    /// The program took the prompt when a job took the foreground, the
    /// busy pattern shows, or it printed something after Enter other than
    /// the newline's echo (the terminal echoes what was typed; that proves
    /// nothing: `cat > /dev/null` echoes everything and does nothing).
    fn delivery_evidence(&self, obs: &Observation<'_>) -> Option<String> {
        if let Some(job) = obs.foreground {
            return Some(format!("foreground: {job}"));
        }
        if self.busy.as_ref().is_some_and(|r| r.is_match(obs.screen)) {
            return Some("busy_pattern".into());
        }
        let text = printable(obs.since_submit);
        (!text.trim().is_empty()).then(|| "output".into())
    }

    fn idle_during_task(&self, obs: &Observation<'_>) -> TurnEnd {
        TurnEnd::Completed(task_output(
            obs.since_submit,
            self.ready.as_ref(),
            obs.prompt,
        ))
    }

    fn restore_session(&mut self, _id: Option<String>) {}

    fn on_exit(&mut self, _: &ExitInfo, _: bool, _: &str) -> (Option<String>, Option<String>) {
        (None, None)
    }
}

/// `bytes` as text without escape sequences and control characters; a
/// carriage return keeps what was written after it on its line (a spinner
/// shows its last frame).
pub fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = line;
        while let [rest @ .., b'\r'] = line {
            line = rest;
        }
        let last = line.rsplit(|b| *b == b'\r').next().unwrap_or_default();
        let plain = strip_ansi_escapes::strip(last);
        out.extend(
            String::from_utf8_lossy(&plain)
                .chars()
                .filter(|c| !c.is_control() || *c == '\t'),
        );
    }
    out
}

/// A task's own output: what the agent printed after the prompt was
/// submitted, as text, without the echo of the prompt itself (a shell's
/// line editor redraws it on Enter), the trailing prompt line (`ready`)
/// and blank edges; at most [`RESULT_MAX`] bytes, the newest.
pub fn task_output(since_submit: &[u8], ready: Option<&Regex>, prompt: &str) -> String {
    let text = printable(since_submit);
    let mut lines: Vec<&str> = text.lines().collect();
    let typed: Vec<&str> = prompt
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    while let Some(first) = lines.first() {
        let first = first.trim();
        if first.is_empty() || typed.iter().any(|t| first.ends_with(t)) {
            lines.remove(0);
        } else {
            break;
        }
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    if let (Some(r), Some(last)) = (ready, lines.last())
        && r.is_match(last)
    {
        lines.pop();
    }
    let out = lines.join("\n");
    let out = out.trim_matches('\n');
    if out.len() <= RESULT_MAX {
        return out.to_string();
    }
    let mut cut = out.len() - RESULT_MAX;
    while !out.is_char_boundary(cut) {
        cut += 1;
    }
    format!("…{}", &out[cut..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AgentKind;

    fn generic(ready: Option<&str>) -> Generic {
        let mut s = AgentSpec::new("g", AgentKind::Generic, "bash", "/");
        s.ready_pattern = ready.map(str::to_string);
        Generic::new(&s)
    }

    #[test]
    fn a_ready_pattern_shortens_the_quiet_window() {
        assert_eq!(generic(Some(r"ready>\s*$")).quiet_window(), READY_QUIET);
        assert_eq!(generic(None).quiet_window(), super::super::QUIET);
    }

    #[test]
    fn a_task_result_is_its_own_output_only() {
        let ready = Regex::new(r"ready>\s*$").expect("re");
        let out = b"\r\n\x1b[32mresult-42\x1b[0m\r\nspin |\rspin /\rspin done\r\nready> ";
        assert_eq!(task_output(out, Some(&ready), ""), "result-42\nspin done");
        assert_eq!(task_output(b"\r\n", Some(&ready), ""), "");
        let echoed = b"\rready> echo one; echo two\r\none\r\ntwo\r\nready> ";
        assert_eq!(
            task_output(echoed, Some(&ready), "echo one; echo two"),
            "one\ntwo",
            "the prompt's own echo is not its output"
        );
        let big = "x".repeat(RESULT_MAX * 2);
        assert!(task_output(big.as_bytes(), None, "").len() <= RESULT_MAX + 3);
    }

    #[test]
    fn the_echo_of_enter_is_no_evidence_but_output_and_jobs_are() {
        let g = generic(None);
        let obs = |since: &'static [u8], fg: Option<&'static str>| Observation {
            screen: "",
            foreground: fg,
            since_submit: since,
            prompt: "",
        };
        assert_eq!(g.delivery_evidence(&obs(b"\r\n", None)), None);
        assert_eq!(g.delivery_evidence(&obs(b"", None)), None);
        assert_eq!(
            g.delivery_evidence(&obs(b"\r\nhi\r\n", None)).as_deref(),
            Some("output")
        );
        assert_eq!(
            g.delivery_evidence(&obs(b"\r\n", Some("sleep"))).as_deref(),
            Some("foreground: sleep")
        );
    }

    #[test]
    fn a_foreground_job_is_busy_and_patterns_decide_the_rest() {
        let g = generic(Some(r"\$\s*$"));
        let at = |screen: &'static str, fg: Option<&'static str>| {
            g.status_at_quiet(&Observation {
                screen,
                foreground: fg,
                since_submit: b"",
                prompt: "",
            })
            .map(|s| s.0)
        };
        assert_eq!(at("$ sleep 15", Some("sleep")), Some(AgentStatus::Busy));
        assert_eq!(at("$ ", None), Some(AgentStatus::Idle));
        assert_eq!(at("compiling", None), Some(AgentStatus::Busy));
        assert!(generic(None).clone_hook_refusal().contains("generic"));
    }

    impl Generic {
        fn clone_hook_refusal(mut self) -> String {
            self.on_hook(&HookEvent::SessionEnd {
                reason: String::new(),
            })
            .expect_err("refused")
        }
    }
}
