//! The run loop of `nox run`: creates the plan's tasks (created by `plan`,
//! in dependency order, `after` mapped from keys to ids), then follows the
//! event log until every task has ended, the timeout passes or a signal
//! arrives, printing each transition. A task nobody can take any more
//! ([`super::stuck`]) is cancelled with the reason. At the end, unfinished
//! tasks are cancelled (timed out, or interrupted).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::commands::stop_signals::StopSignals;

use super::plan::Plan;
use super::progress::{Progress, clip};
use super::stuck::{self, Dep};
use crate::domain::event::EventBody;
use crate::domain::{AgentStatus, NewTask, TaskId, TaskStatus};
use crate::runtime::{RuntimeError, RuntimeHandle};

/// What ended the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every task ended.
    AllEnded,
    /// `--timeout` passed.
    Timeout(u64),
    /// SIGINT or SIGTERM.
    Signal(&'static str),
}

impl Ending {
    /// In words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Self::AllEnded => "all tasks ended".into(),
            Self::Timeout(s) => format!("timeout after {s}s"),
            Self::Signal(s) => (*s).to_string(),
        }
    }
}

/// The state of the plan's tasks as the run follows them.
pub struct Run<'a> {
    handle: &'a RuntimeHandle,
    plan: &'a Plan,
    progress: &'a Progress,
    /// Store ids, in plan order.
    pub ids: Vec<TaskId>,
    by_id: HashMap<TaskId, usize>,
    known: Vec<TaskStatus>,
    /// The agent each task was last assigned to.
    pub agent_of: Vec<Option<String>>,
    /// Why the run cancelled a task.
    pub reasons: Vec<Option<String>>,
    /// Tasks cancelled because the timeout passed.
    pub timed_out: Vec<bool>,
    agents: HashMap<String, AgentStatus>,
}

/// The exit code for a runtime error: 3 when the store failed, else 1.
pub fn code_of(e: &RuntimeError) -> u8 {
    if matches!(e, RuntimeError::Store(_)) {
        3
    } else {
        1
    }
}

impl<'a> Run<'a> {
    /// Creates the plan's tasks.
    pub async fn create(
        handle: &'a RuntimeHandle,
        plan: &'a Plan,
        progress: &'a Progress,
    ) -> Result<Self, (u8, String)> {
        let n = plan.tasks.len();
        let mut run = Self {
            handle,
            plan,
            progress,
            ids: Vec::with_capacity(n),
            by_id: HashMap::new(),
            known: Vec::with_capacity(n),
            agent_of: vec![None; n],
            reasons: vec![None; n],
            timed_out: vec![false; n],
            agents: HashMap::new(),
        };
        let index: HashMap<&str, usize> = plan
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.key.as_str(), i))
            .collect();
        for (i, t) in plan.tasks.iter().enumerate() {
            let new = NewTask {
                title: t.title.clone(),
                body: t.body.clone(),
                priority: t.priority,
                needs: t.needs.clone(),
                after: t.after.iter().map(|k| run.ids[index[k.as_str()]]).collect(),
                assignee: t.assign.clone(),
                max_attempts: t.max_attempts,
                key: None,
                created_by: "plan".into(),
                parent: None,
            };
            let (task, _) = handle
                .add_task(new)
                .await
                .map_err(|e| (code_of(&e), format!("cannot add task {}: {e}", t.key)))?;
            run.by_id.insert(task.id, i);
            run.ids.push(task.id);
            run.known.push(task.status);
            progress.line(&format!(
                "task {} (#{}) created: {}",
                t.key, task.id, task.status
            ));
        }
        Ok(run)
    }

    fn name(&self, i: usize) -> String {
        format!("task {} (#{})", self.plan.tasks[i].key, self.ids[i])
    }

    fn shown(&self, i: usize) -> &'static str {
        if self.timed_out[i] {
            "timed out"
        } else {
            self.known[i].as_str()
        }
    }

    /// Notes task `i`'s status; prints the transition when it is new.
    fn saw(&mut self, i: usize, status: TaskStatus, assignee: Option<&str>, why: &str) {
        if let Some(a) = assignee {
            self.agent_of[i] = Some(a.to_string());
        }
        if status == self.known[i] {
            return;
        }
        let from = self.known[i].as_str();
        self.known[i] = status;
        let mut line = format!(
            "{} {from} → {}",
            self.name(i),
            self.progress.status(self.shown(i))
        );
        let on = self.agent_of[i]
            .as_deref()
            .filter(|_| matches!(status, TaskStatus::Assigned | TaskStatus::Running));
        if let Some(a) = on {
            let _ = write!(line, " on {a}");
        }
        let why = self.reasons[i].as_deref().unwrap_or(why);
        if !matches!(status, TaskStatus::Assigned | TaskStatus::Running) && !why.is_empty() {
            let _ = write!(line, ": {}", clip(why, 160));
        }
        self.progress.line(&line);
    }

    fn saw_agent(&mut self, name: &str, to: AgentStatus, detail: &str) {
        let before = self.agents.insert(name.to_string(), to);
        if before != Some(to)
            && matches!(
                to,
                AgentStatus::Crashed | AgentStatus::Exited | AgentStatus::Failed
            )
        {
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(": {}", clip(detail, 160))
            };
            self.progress.line(&format!(
                "agent {name} {}{detail}",
                self.progress.status(to.as_str())
            ));
        }
    }

    /// Whether every task has ended.
    pub fn all_ended(&self) -> bool {
        self.known.iter().all(|s| s.is_final())
    }

    /// Follows the run until every task has ended, `timeout` passes or a
    /// signal arrives; then cancels what is unfinished.
    pub async fn follow(&mut self, timeout: Option<u64>, signals: &mut StopSignals) -> Ending {
        let mut events = self.handle.subscribe();
        let deadline = timeout.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        self.refresh().await;
        let ending = loop {
            self.enforce().await;
            if self.all_ended() {
                break Ending::AllEnded;
            }
            tokio::select! {
                ev = events.recv() => match ev {
                    Ok(e) => self.on_event(e.body),
                    // Lagged: re-read what was missed (never closed: the handle holds the sender).
                    Err(_) => self.refresh().await,
                },
                _ = tick.tick() => self.refresh().await,
                () = sleep_until(deadline) => break Ending::Timeout(timeout.unwrap_or(0)),
                s = signals.next() => break Ending::Signal(s),
            }
        };
        if ending != Ending::AllEnded {
            self.refresh().await;
            for i in 0..self.ids.len() {
                if self.known[i].is_final() {
                    continue;
                }
                let was = self.known[i];
                let reason = match &ending {
                    Ending::Timeout(s) => {
                        self.timed_out[i] = true;
                        format!("timed out after {s}s while {was}")
                    }
                    other => format!("interrupted by {} while {was}", other.describe()),
                };
                self.cancel(i, reason).await;
            }
        }
        ending
    }

    fn on_event(&mut self, body: EventBody) {
        match body {
            EventBody::TaskUpdated {
                task,
                cause,
                result,
                ..
            } => {
                if let Some(&i) = self.by_id.get(&task.id) {
                    let why = match result {
                        Some(r) if task.status == TaskStatus::Done => r,
                        _ if task.detail.is_empty() => cause,
                        _ => task.detail.clone(),
                    };
                    self.saw(i, task.status, task.assignee.as_deref(), &why);
                }
            }
            EventBody::AgentStatus {
                agent, to, detail, ..
            } => self.saw_agent(&agent, to, &detail),
            _ => {}
        }
    }

    /// Re-reads the tasks and agents from the runtime.
    async fn refresh(&mut self) {
        if let Ok(tasks) = self.handle.tasks().await {
            for t in tasks {
                if let Some(&i) = self.by_id.get(&t.id) {
                    let done = t.result.as_deref().filter(|_| t.status == TaskStatus::Done);
                    self.saw(
                        i,
                        t.status,
                        t.assignee.as_deref(),
                        done.unwrap_or(&t.detail),
                    );
                }
            }
        }
        for a in self.handle.agents() {
            self.saw_agent(&a.spec.name, a.status, &a.detail);
        }
    }

    /// Cancels the tasks that nobody can take any more, with the reason.
    async fn enforce(&mut self) {
        let agents = self.handle.agents();
        for i in 0..self.ids.len() {
            if self.known[i].is_final() {
                continue;
            }
            let deps: Vec<Dep> = self.plan.tasks[i]
                .after
                .iter()
                .filter_map(|k| self.plan.tasks.iter().position(|u| &u.key == k))
                .map(|j| Dep {
                    name: self.name(j),
                    status: self.known[j],
                    shown: self.shown(j),
                })
                .collect();
            if let Some(r) = stuck::reason(&self.plan.tasks[i], &deps, &agents) {
                self.cancel(i, r).await;
            }
        }
    }

    async fn cancel(&mut self, i: usize, reason: String) {
        self.reasons[i] = Some(reason);
        match self.handle.cancel_task(self.ids[i]).await {
            Ok(t) => self.saw(i, t.status, None, ""),
            Err(e) => {
                // It ended on its own meanwhile: its own status and detail stand.
                tracing::info!("cannot cancel task {}: {e}", self.ids[i]);
                self.reasons[i] = None;
                self.timed_out[i] = false;
            }
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
