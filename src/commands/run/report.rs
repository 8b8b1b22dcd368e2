//! The JSON report of a `nox run` (`--report FILE.json`): per task its key,
//! id, title, status, agent, attempts, duration, result, the files it
//! changed and why it did not end done; per agent its final status and
//! restarts; totals by status and the time the run took.

use std::path::Path;

use serde::Serialize;

/// How a task of the plan ended, as the run counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Done: its agent finished the turn.
    Done,
    /// Failed (attempts used up, an interrupted turn).
    Failed,
    /// Cancelled: its agent stopped for good, a dependency did not end
    /// done, the run was interrupted, or someone cancelled it.
    Cancelled,
    /// Still unfinished when `--timeout` passed (then cancelled).
    TimedOut,
}

impl RunStatus {
    /// The name in the report (`timed_out`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::TimedOut => "timed_out",
        }
    }
}

/// One file an agent changed while it held the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// `added`, `modified`, `deleted` or `renamed`.
    pub change: String,
    /// Relative to the repository's root.
    pub path: String,
}

/// One task of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    /// The plan's key.
    pub key: String,
    /// The task's id in the workspace's store.
    pub id: u64,
    /// Title.
    pub title: String,
    /// How it ended.
    pub status: RunStatus,
    /// The agent that held it last (or its assignee).
    pub agent: Option<String>,
    /// Deliveries.
    pub attempts: u32,
    /// From its first assignment to its end, in seconds (`null`: never assigned).
    pub duration_secs: Option<f64>,
    /// The agent's final message, once done.
    pub result: Option<String>,
    /// Files the agent changed while it held the task (in a git repository).
    pub files_changed: Vec<FileChange>,
    /// Why it did not end done.
    pub reason: Option<String>,
    /// What the agent showed: the result, and its screen at the end of the
    /// run when the task did not end done (the `JUnit` `system-out`).
    #[serde(skip)]
    pub output: String,
}

/// One agent of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct AgentReport {
    /// Name.
    pub name: String,
    /// `claude` or `generic`.
    pub kind: String,
    /// Status when the run ended (before nox stopped it).
    pub status: String,
    /// Why it has that status.
    pub detail: String,
    /// Restarts during the run.
    pub restarts: u32,
}

/// Tasks by how they ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Tasks in the plan.
    pub tasks: usize,
    /// Done.
    pub done: usize,
    /// Failed.
    pub failed: usize,
    /// Cancelled.
    pub cancelled: usize,
    /// Timed out.
    pub timed_out: usize,
}

impl Totals {
    /// Counts `tasks`.
    pub fn of(tasks: &[TaskReport]) -> Self {
        let n = |s: RunStatus| tasks.iter().filter(|t| t.status == s).count();
        Self {
            tasks: tasks.len(),
            done: n(RunStatus::Done),
            failed: n(RunStatus::Failed),
            cancelled: n(RunStatus::Cancelled),
            timed_out: n(RunStatus::TimedOut),
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The plan file.
    pub plan: String,
    /// The workspace it ran in.
    pub workspace: String,
    /// Whether that workspace was temporary (and is removed).
    pub temporary_workspace: bool,
    /// What ended the run: `all tasks ended`, `timeout after Ns`, `SIGINT`, `SIGTERM`.
    pub ended_by: String,
    /// Seconds from start to the end of the run (agents still running).
    pub elapsed_secs: f64,
    /// The exit code of `nox run`.
    pub exit_code: u8,
    /// Tasks by how they ended.
    pub totals: Totals,
    /// Tasks in the order they were created.
    pub tasks: Vec<TaskReport>,
    /// Agents in the plan's order.
    pub agents: Vec<AgentReport>,
}

/// Splits a done task's result into the agent's message and the files
/// nox listed after it (`Changed files:` lines of `- A path`).
pub fn split_result(result: &str) -> (String, Vec<FileChange>) {
    const MARK: &str = "\n\nChanged files:\n";
    let Some(at) = result.rfind(MARK) else {
        return (result.to_string(), Vec::new());
    };
    let files = result[at + MARK.len()..]
        .lines()
        .filter_map(|l| {
            let (tag, path) = l.strip_prefix("- ")?.split_once(' ')?;
            let change = match tag {
                "A" => "added",
                "D" => "deleted",
                "R" => "renamed",
                _ => "modified",
            };
            Some(FileChange {
                change: change.into(),
                path: path.into(),
            })
        })
        .collect();
    (result[..at].to_string(), files)
}

/// Writes `report` as pretty JSON to `path` (atomically).
pub fn write(path: &Path, report: &Report) -> std::io::Result<()> {
    let mut json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    json.push(b'\n');
    crate::sys::atomic_write(path, &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_split_into_message_and_files() {
        let (msg, files) =
            split_result("Wrote it.\n\nChanged files:\n- A hello.txt\n- M src/lib.rs");
        assert_eq!(msg, "Wrote it.");
        assert_eq!(
            files,
            vec![
                FileChange {
                    change: "added".into(),
                    path: "hello.txt".into()
                },
                FileChange {
                    change: "modified".into(),
                    path: "src/lib.rs".into()
                }
            ]
        );
        assert_eq!(split_result("plain").0, "plain");
    }
}
