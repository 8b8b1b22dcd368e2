//! What a finished run reports, read from the runtime before the agents
//! are stopped: each task's final state and events (its agent, attempts,
//! duration, result and changed files, why it did not end done), each
//! agent's status and restarts, and the screen of an agent whose task did
//! not end done (the `JUnit` `system-out`).

use std::fmt::Write as _;

use super::report::{AgentReport, RunStatus, TaskReport, split_result};
use super::runner::Run;
use crate::domain::event::EventBody;
use crate::domain::{Event, Task, TaskStatus};
use crate::runtime::RuntimeHandle;

/// The report of every task of `run`.
pub async fn tasks(
    handle: &RuntimeHandle,
    run: &Run<'_>,
    plan: &super::plan::Plan,
) -> Vec<TaskReport> {
    let now = now_ms();
    let mut out = Vec::with_capacity(run.ids.len());
    for (i, t) in plan.tasks.iter().enumerate() {
        let (task, events) = match handle.task(run.ids[i]).await {
            Ok(x) => x,
            Err(e) => {
                tracing::error!("cannot read task {}: {e}", run.ids[i]);
                out.push(TaskReport {
                    key: t.key.clone(),
                    id: run.ids[i],
                    title: t.title.clone(),
                    status: RunStatus::Cancelled,
                    agent: run.agent_of[i].clone(),
                    attempts: 0,
                    duration_secs: None,
                    result: None,
                    files_changed: Vec::new(),
                    reason: Some(format!("cannot read the task: {e}")),
                    output: String::new(),
                });
                continue;
            }
        };
        let status = match task.status {
            TaskStatus::Done => RunStatus::Done,
            TaskStatus::Failed => RunStatus::Failed,
            _ if run.timed_out[i] => RunStatus::TimedOut,
            _ => RunStatus::Cancelled,
        };
        let agent = last_agent(&task, &events).or_else(|| run.agent_of[i].clone());
        let (result, files_changed) = match task.result.as_deref() {
            Some(r) => {
                let (text, files) = split_result(r);
                (Some(text), files)
            }
            None => (None, Vec::new()),
        };
        let reason = match status {
            RunStatus::Done => None,
            _ => Some(
                run.reasons[i]
                    .clone()
                    .or_else(|| Some(task.detail.clone()).filter(|d| !d.is_empty()))
                    .unwrap_or_else(|| format!("{} (not by the run)", task.status)),
            ),
        };
        let mut output = result.clone().unwrap_or_default();
        if status != RunStatus::Done
            && let Some(a) = agent.as_deref()
        {
            output.push_str(&agent_words(handle, a, task.attempts > 0));
        }
        out.push(TaskReport {
            key: t.key.clone(),
            id: task.id,
            title: task.title.clone(),
            status,
            agent,
            attempts: task.attempts,
            duration_secs: duration(&events, now),
            result,
            files_changed,
            reason,
            output,
        });
    }
    out
}

/// The report of every agent.
pub fn agents(handle: &RuntimeHandle) -> Vec<AgentReport> {
    handle
        .agents()
        .into_iter()
        .map(|a| AgentReport {
            kind: a.spec.kind.to_string(),
            name: a.spec.name,
            status: a.status.to_string(),
            detail: a.detail,
            restarts: a.restarts,
        })
        .collect()
}

/// The agent of the task's last assignment.
fn last_agent(task: &Task, events: &[Event]) -> Option<String> {
    task.assignee.clone().or_else(|| {
        events.iter().rev().find_map(|e| match &e.body {
            EventBody::TaskUpdated { task, .. } if task.status == TaskStatus::Assigned => {
                task.assignee.clone()
            }
            _ => None,
        })
    })
}

/// Seconds from the task's first assignment to its end (or `now_ms`).
fn duration(events: &[Event], now_ms: u64) -> Option<f64> {
    let status_at = |pred: &dyn Fn(TaskStatus) -> bool| {
        events.iter().find_map(|e| match &e.body {
            EventBody::TaskUpdated { task, .. } if pred(task.status) => Some(e.ts_ms),
            _ => None,
        })
    };
    let start = status_at(&|s| s == TaskStatus::Assigned)?;
    let end = status_at(&TaskStatus::is_final).unwrap_or(now_ms);
    Some(end.saturating_sub(start) as f64 / 1000.0)
}

/// Agent `name`'s status, and its screen when it `held` the task, as
/// text for a report (nothing when it neither held the task nor stopped).
fn agent_words(handle: &RuntimeHandle, name: &str, held: bool) -> String {
    let mut s = String::new();
    if let Some(a) = handle
        .agent(name)
        .filter(|a| held || super::stuck::is_gone(a))
    {
        let _ = write!(s, "\n--- agent {name}: {}", a.status);
        if !a.detail.is_empty() {
            let _ = write!(s, " ({})", a.detail);
        }
        s.push('\n');
    }
    if let Some(screen) = handle.screen(name, 0).filter(|_| held) {
        let mut lines: Vec<String> = screen
            .lines()
            .into_iter()
            .map(|l| l.trim_end().to_string())
            .collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        if !lines.is_empty() {
            let _ = writeln!(
                s,
                "--- screen of {name} at the end of the run:\n{}",
                lines.join("\n")
            );
        }
    }
    s
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
