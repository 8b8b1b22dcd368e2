//! `nox doctor [--json]`: what nox needs from this machine and this
//! workspace, one check at a time, each `ok`, `warn` or `fail` with what it
//! found and, for every failure, the fix. The terminal ([`terminal`]), git
//! and the repository ([`git`]), each agent's program ([`agents`]), and the
//! workspace's files: config, store, socket, token ([`files`]). Nothing is
//! changed: the checks only look (a program's `--version` is the one thing
//! run, bounded by [`probe::WITHIN`]). A failure exits 1, warnings exit 0.

mod agents;
mod files;
mod git;
mod probe;
mod terminal;

use serde::Serialize;

use crate::cli::Cli;
use crate::domain::Isolation;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but worth knowing (exit 0).
    Warn,
    /// nox cannot do its work this way (exit 1).
    Fail,
}

impl Status {
    /// The mark of the plain-text report.
    pub fn mark(self) -> &'static str {
        match self {
            Self::Ok => "✓",
            Self::Warn => "!",
            Self::Fail => "✗",
        }
    }
}

/// One check: its name, how it came out, what it found, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable name: `term`, `colours`, `size`, `ssh`, `tmux`, `git`,
    /// `repository`, `workspace`, `config`, `agent:NAME`, `store`,
    /// `socket`, `token`.
    pub check: String,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (always present on a failure).
    pub fix: Option<String>,
}

impl Check {
    /// A check that passed.
    pub fn ok(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A warning, with an optional fix (see [`Check::fix`]).
    pub fn warn(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status: Status::Warn,
            ..Self::ok(check, detail)
        }
    }

    /// A failure: it always says how to fix it.
    pub fn fail(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            status: Status::Fail,
            ..Self::ok(check, detail)
        }
        .fix(fix)
    }

    /// With `fix` as the advice.
    #[must_use]
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Runs every check and prints the report; 1 when one failed.
pub fn run(cli: &Cli, json: bool) -> u8 {
    let checks = checks(cli);
    if json {
        match serde_json::to_string_pretty(&checks) {
            Ok(s) => crate::say!("{s}"),
            Err(e) => {
                eprintln!("nox: {e}");
                return 1;
            }
        }
    } else {
        for line in report(&checks) {
            crate::commands::out::line(&line);
        }
    }
    u8::from(checks.iter().any(|c| c.status == Status::Fail))
}

/// Every check, in report order. Without a workspace only the terminal and
/// git are checked, and the `workspace` check says so.
pub fn checks(cli: &Cli) -> Vec<Check> {
    let mut out = terminal::checks();
    let ws = super::find_workspace(cli).filter(|ws| ws.dir().is_dir());
    let Some(ws) = ws else {
        out.extend(git::checks(&super::cwd(), &[]));
        out.push(
            Check::warn(
                "workspace",
                "no workspace here (no .nox/ in this directory or above)",
            )
            .fix("run `nox init` in your project, or pass --workspace DIR"),
        );
        return out;
    };
    let (config_check, config) = files::config(&ws);
    let worktree_agents: Vec<String> = config
        .iter()
        .flat_map(|c| &c.agents)
        .filter(|a| a.isolation == Isolation::Worktree)
        .map(|a| a.name.clone())
        .collect();
    out.extend(git::checks(&ws.root, &worktree_agents));
    out.push(Check::ok("workspace", ws.root.display().to_string()));
    out.push(config_check);
    if let Some(config) = &config {
        out.extend(agents::checks(config));
    }
    out.push(files::store(&ws));
    out.push(files::socket(&ws));
    out.push(files::token(&ws));
    out
}

/// The plain-text report: one line per check, then the fixes, then a total.
pub fn report(checks: &[Check]) -> Vec<String> {
    let width = checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
    let mut lines: Vec<String> = checks
        .iter()
        .map(|c| format!("{} {:width$}  {}", c.status.mark(), c.check, c.detail))
        .collect();
    let fixes: Vec<&Check> = checks.iter().filter(|c| c.fix.is_some()).collect();
    if !fixes.is_empty() {
        lines.push(String::new());
        lines.push("To fix:".into());
        for c in fixes {
            let fix = c.fix.as_deref().unwrap_or_default();
            lines.push(format!("{} {}: {fix}", c.status.mark(), c.check));
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
    lines.push(String::new());
    lines.push(match (failed, warned) {
        (0, 0) => "all checks passed".into(),
        (0, w) => format!("no failures, {w} warning{}", plural(w)),
        (f, w) => format!("{f} failed, {w} warning{}", plural(w)),
    });
    lines
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_lists_checks_then_fixes() {
        let checks = [
            Check::ok("git", "git version 2.39"),
            Check::warn("tmux", "inside tmux"),
            Check::fail("token", "mode 0644", "chmod 600 .nox/api-token"),
        ];
        let r = report(&checks);
        assert_eq!(r[0], "✓ git    git version 2.39");
        assert_eq!(r[2], "✗ token  mode 0644");
        assert!(r.contains(&"✗ token: chmod 600 .nox/api-token".to_string()));
        assert_eq!(r.last().map(String::as_str), Some("1 failed, 1 warning"));
        let v = serde_json::to_value(&checks[2]).expect("json");
        assert_eq!(v["status"], "fail");
        assert_eq!(v["fix"], "chmod 600 .nox/api-token");
        assert!(serde_json::to_value(&checks[0]).expect("json")["fix"].is_null());
    }
}
