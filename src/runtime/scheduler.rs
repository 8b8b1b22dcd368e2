//! The scheduler: hands ready tasks to idle agents and follows them to the
//! end (SPEC §4, §7). Delivery types the task body into the agent's PTY as a
//! bracketed paste followed by Enter, only when the agent is idle, and is
//! confirmed by the agent's `UserPromptSubmit` hook within 5 s (for generic
//! agents: by the agent turning busy); otherwise the input line is cleared
//! and the delivery retried once, then marked `stalled` and the task goes
//! back to the queue. `running` on confirmation; `done` on the `Stop` that
//! follows (generic: the ready pattern back, i.e. idle again). An agent that
//! crashes or stops returns its task to the queue with attempts raised.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use super::handle::{Command, Event, Registry};
use crate::domain::hook::HookEvent;
use crate::domain::task::{Candidate, route};
use crate::domain::{AgentKind, AgentStatus, Task, TaskEvent, TaskId, TaskStatus};
use crate::runtime::pty::keys::encode_paste;
use crate::store::events::{EventRecord, append};
use crate::store::tasks::{self, NewTask};
use crate::store::{Store, StoreError, now_ms};

/// How long a delivery waits for its confirmation.
pub const CONFIRM_WITHIN: Duration = Duration::from_secs(5);
/// Lease granted on assignment and on each renewal.
pub const LEASE: Duration = Duration::from_secs(600);
/// How often leases of live agents are renewed.
pub const RENEW_EVERY: Duration = Duration::from_secs(120);

/// A task and its events, if it exists.
type TaskWithEvents = Option<(Task, Vec<EventRecord>)>;

/// Requests to the scheduler.
#[derive(Debug)]
pub(crate) enum SchedCmd {
    Add(NewTask, oneshot::Sender<Result<Task, String>>),
    Cancel(TaskId, oneshot::Sender<Result<Task, String>>),
    List(oneshot::Sender<Result<Vec<Task>, String>>),
    Assign(
        TaskId,
        Option<String>,
        oneshot::Sender<Result<Task, String>>,
    ),
    Get(TaskId, oneshot::Sender<Result<TaskWithEvents, String>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Delivering { deadline: Instant, retried: bool },
    Running,
}

#[derive(Debug, Clone)]
struct Held {
    task: TaskId,
    phase: Phase,
    /// Changed files of the agent's working tree when the task was delivered.
    before: Arc<Vec<String>>,
}

struct Scheduler {
    store: Store,
    registry: Arc<Registry>,
    events: broadcast::Sender<Event>,
    held: HashMap<String, Held>,
    next_renew: Instant,
    supervisor: mpsc::Sender<Command>,
    workspace: crate::config::Workspace,
}

async fn db<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&rusqlite::Connection) -> crate::store::Result<T> + Send + 'static,
    write: bool,
) -> Result<T, String> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || if write { s.write(f) } else { s.read(f) })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e: StoreError| e.to_string())
}

pub(crate) fn spawn(
    store: Store,
    registry: Arc<Registry>,
    events: broadcast::Sender<Event>,
    supervisor: mpsc::Sender<Command>,
    workspace: crate::config::Workspace,
) -> mpsc::Sender<SchedCmd> {
    let (tx, rx) = mpsc::channel(64);
    let rx_events = events.subscribe();
    let s = Scheduler {
        store,
        registry,
        events,
        held: HashMap::new(),
        next_renew: Instant::now() + RENEW_EVERY,
        supervisor,
        workspace,
    };
    tokio::spawn(s.run(rx, rx_events));
    tx
}

impl Scheduler {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<SchedCmd>,
        mut events: broadcast::Receiver<Event>,
    ) {
        self.recover().await;
        self.dispatch().await;
        let far = || Instant::now() + Duration::from_secs(3600);
        loop {
            let deadline = self
                .held
                .values()
                .filter_map(|h| match h.phase {
                    Phase::Delivering { deadline, .. } => Some(deadline),
                    Phase::Running => None,
                })
                .min();
            let renew = (!self.held.is_empty()).then_some(self.next_renew);
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(c) => self.on_cmd(c).await,
                    None => return,
                },
                ev = events.recv() => match ev {
                    Ok(Event::Agent(view)) => self.on_agent(&view.spec.name, view.spec.kind, view.status).await,
                    Ok(Event::Hook(agent, hook)) => self.on_hook(&agent, &hook).await,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => self.dispatch().await,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                () = sleep_until(deadline.unwrap_or_else(far)), if deadline.is_some() => self.on_deadlines().await,
                () = sleep_until(renew.unwrap_or_else(far)), if renew.is_some() => self.renew().await,
            }
        }
    }

    fn publish(&self, t: &Task) {
        let _ = self.events.send(Event::Task(Box::new(t.clone())));
    }

    async fn apply(&mut self, id: TaskId, ev: TaskEvent) -> Option<Task> {
        match db(&self.store, move |c| tasks::apply(c, id, &ev), true).await {
            Ok(t) => {
                tracing::info!(task = id, "task {id} {}: {}", t.status, t.title);
                self.publish(&t);
                Some(t)
            }
            Err(e) => {
                tracing::warn!(task = id, "task {id}: {e}");
                None
            }
        }
    }

    /// Tasks held when nox stopped: their agents are new processes now.
    async fn recover(&mut self) {
        for status in [TaskStatus::Assigned, TaskStatus::Running] {
            let list = db(&self.store, move |c| tasks::list(c, Some(status)), false)
                .await
                .unwrap_or_default();
            for t in list {
                self.apply(
                    t.id,
                    TaskEvent::Lost {
                        why: "nox restarted".into(),
                    },
                )
                .await;
            }
        }
    }

    async fn on_cmd(&mut self, c: SchedCmd) {
        match c {
            SchedCmd::Add(new, reply) => {
                let r = db(&self.store, move |c| tasks::create(c, &new), true).await;
                if let Ok(t) = &r {
                    tracing::info!(
                        task = t.id,
                        "task {} added ({}): {}",
                        t.id,
                        t.status,
                        t.title
                    );
                    self.publish(t);
                }
                let _ = reply.send(r);
                self.dispatch().await;
            }
            SchedCmd::Cancel(id, reply) => {
                let r = db(
                    &self.store,
                    move |c| tasks::apply(c, id, &TaskEvent::Cancel),
                    true,
                )
                .await;
                if let Ok(t) = &r {
                    self.held.retain(|_, h| h.task != id);
                    self.publish(t);
                }
                let _ = reply.send(r);
            }
            SchedCmd::Assign(id, agent, reply) => {
                let r = db(
                    &self.store,
                    move |c| tasks::set_assignee(c, id, agent.as_deref()),
                    true,
                )
                .await;
                if let Ok(t) = &r {
                    self.publish(t);
                }
                let _ = reply.send(r);
                self.dispatch().await;
            }
            SchedCmd::List(reply) => {
                let _ = reply.send(db(&self.store, |c| tasks::list(c, None), false).await);
            }
            SchedCmd::Get(id, reply) => {
                let r = db(
                    &self.store,
                    move |c| {
                        let Some(t) = tasks::get(c, id)? else {
                            return Ok(None);
                        };
                        let evs = crate::store::events::list(c, 0, 1000, Some(id))?;
                        Ok(Some((t, evs)))
                    },
                    false,
                )
                .await;
                let _ = reply.send(r);
            }
        }
    }

    /// Hands queued tasks to idle agents that hold none.
    async fn dispatch(&mut self) {
        let queued = db(
            &self.store,
            |c| tasks::list(c, Some(TaskStatus::Queued)),
            false,
        )
        .await
        .unwrap_or_default();
        if queued.is_empty() {
            return;
        }
        let agents: Vec<_> = self.registry.lock().clone();
        for task in queued {
            let busy: Vec<&str> = self.held.keys().map(String::as_str).collect();
            let candidates: Vec<Candidate<'_>> = agents
                .iter()
                .map(|a| Candidate {
                    name: &a.spec.name,
                    idle: a.status == AgentStatus::Idle && !busy.contains(&a.spec.name.as_str()),
                    capabilities: &a.spec.capabilities,
                    load: usize::from(busy.contains(&a.spec.name.as_str())),
                })
                .collect();
            let Some(name) = route(&task, &candidates).map(str::to_string) else {
                continue;
            };
            let lease_until = now_ms() + LEASE.as_millis() as u64;
            let Some(t) = self
                .apply(
                    task.id,
                    TaskEvent::Assign {
                        agent: name.clone(),
                        lease_until,
                    },
                )
                .await
            else {
                continue;
            };
            let before = Arc::new(self.changed_files(&name).await);
            self.deliver(&name, &t);
            self.held.insert(
                name,
                Held {
                    before,
                    task: t.id,
                    phase: Phase::Delivering {
                        deadline: Instant::now() + CONFIRM_WITHIN,
                        retried: false,
                    },
                },
            );
        }
    }

    /// Types the task body as a bracketed paste, then Enter.
    fn deliver(&self, agent: &str, t: &Task) {
        let Some(view) = self
            .registry
            .lock()
            .iter()
            .find(|a| a.spec.name == agent)
            .cloned()
        else {
            return;
        };
        let bracketed = view.term.with_parser(|p| p.screen().bracketed_paste());
        view.term.write(&encode_paste(&t.body, bracketed));
        let term = Arc::clone(&view.term);
        let (sup, name) = (self.supervisor.clone(), agent.to_string());
        tokio::spawn(async move {
            // Let the paste land as one input before submitting it.
            tokio::time::sleep(Duration::from_millis(250)).await;
            term.write(b"\r");
            let _ = sup.send(Command::Delivered(name)).await;
        });
        append(
            &self.store,
            EventRecord::new(
                "task.delivery",
                Some(agent),
                Some(t.id),
                json!({"attempt": t.attempts, "bytes": t.body.len()}),
            ),
        );
    }

    /// The delivery was confirmed: the task runs.
    async fn started(&mut self, agent: &str, held: Held) {
        if self.apply(held.task, TaskEvent::Started).await.is_some() {
            self.held.insert(
                agent.into(),
                Held {
                    phase: Phase::Running,
                    ..held
                },
            );
        }
    }

    async fn on_hook(&mut self, agent: &str, hook: &HookEvent) {
        let Some(held) = self.held.get(agent).cloned() else {
            return;
        };
        match (hook, held.phase) {
            (HookEvent::UserPromptSubmit { .. }, Phase::Delivering { .. }) => {
                self.started(agent, held).await;
            }
            (HookEvent::Stop { last_message, .. }, Phase::Running) => {
                self.held.remove(agent);
                let result = self
                    .with_changes(agent, last_message.clone(), &held.before)
                    .await;
                self.apply(held.task, TaskEvent::Completed { result }).await;
                self.dispatch().await;
            }
            _ => {}
        }
    }

    async fn on_agent(&mut self, agent: &str, kind: AgentKind, status: AgentStatus) {
        if let Some(held) = self.held.get(agent).cloned() {
            if !status.is_live() {
                self.held.remove(agent);
                self.apply(
                    held.task,
                    TaskEvent::Lost {
                        why: format!("agent {agent} {status}"),
                    },
                )
                .await;
            } else if kind == AgentKind::Generic {
                match (held.phase, status) {
                    (Phase::Delivering { .. }, AgentStatus::Busy) => {
                        self.started(agent, held).await;
                    }
                    (Phase::Running, AgentStatus::Idle) => {
                        self.held.remove(agent);
                        let screen = self.screen_tail(agent);
                        let result = self.with_changes(agent, screen, &held.before).await;
                        self.apply(held.task, TaskEvent::Completed { result }).await;
                    }
                    _ => {}
                }
            }
        }
        if status == AgentStatus::Idle {
            self.dispatch().await;
        }
    }

    /// The directory an agent works in (its worktree with isolation).
    fn agent_dir(&self, agent: &str) -> Option<std::path::PathBuf> {
        let view = self
            .registry
            .lock()
            .iter()
            .find(|a| a.spec.name == agent)
            .cloned()?;
        Some(match view.spec.isolation {
            crate::domain::Isolation::Worktree => {
                let tree = self.workspace.dir().join("worktrees").join(agent);
                crate::runtime::worktree::map_cwd(&self.workspace, &tree, &view.spec.cwd)
            }
            crate::domain::Isolation::None => view.spec.cwd,
        })
    }

    async fn changed_files(&self, agent: &str) -> Vec<String> {
        let Some(dir) = self.agent_dir(agent) else {
            return Vec::new();
        };
        tokio::task::spawn_blocking(move || crate::runtime::worktree::changed_files(&dir))
            .await
            .unwrap_or_default()
    }

    /// `result`, plus the files the agent changed since delivery when it
    /// works in a git repository.
    async fn with_changes(&self, agent: &str, result: String, before: &[String]) -> String {
        let after = self.changed_files(agent).await;
        let changed: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
        if changed.is_empty() {
            return result;
        }
        let list: Vec<String> = changed.iter().map(|f| format!("- {f}")).collect();
        format!("{result}\n\nChanged files:\n{}", list.join("\n"))
    }

    fn screen_tail(&self, agent: &str) -> String {
        let text = self
            .registry
            .lock()
            .iter()
            .find(|a| a.spec.name == agent)
            .map(|a| a.term.contents())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    async fn on_deadlines(&mut self) {
        let now = Instant::now();
        let due: Vec<(String, Held)> = self
            .held
            .iter()
            .filter(
                |(_, h)| matches!(h.phase, Phase::Delivering { deadline, .. } if deadline <= now),
            )
            .map(|(a, h)| (a.clone(), h.clone()))
            .collect();
        for (agent, held) in due {
            let Phase::Delivering { retried, .. } = held.phase else {
                continue;
            };
            if retried {
                self.held.remove(&agent);
                append(
                    &self.store,
                    EventRecord::new(
                        "task.delivery",
                        Some(&agent),
                        Some(held.task),
                        json!({"stalled": true}),
                    ),
                );
                tracing::warn!(
                    task = held.task,
                    "delivery of task {} to {agent} stalled",
                    held.task
                );
                self.apply(
                    held.task,
                    TaskEvent::Lost {
                        why: format!("delivery to {agent} stalled"),
                    },
                )
                .await;
                continue;
            }
            tracing::warn!(
                task = held.task,
                "delivery of task {} to {agent} not confirmed; retrying",
                held.task
            );
            let task = db(&self.store, move |c| tasks::get(c, held.task), false)
                .await
                .ok()
                .flatten();
            if let Some(view) = self.registry.lock().iter().find(|a| a.spec.name == agent) {
                // Clear whatever half-typed input is there (Ctrl-U), then again.
                view.term.write(b"\x15");
            }
            if let Some(t) = task {
                self.deliver(&agent, &t);
            }
            self.held.insert(
                agent,
                Held {
                    phase: Phase::Delivering {
                        deadline: Instant::now() + CONFIRM_WITHIN,
                        retried: true,
                    },
                    ..held
                },
            );
        }
    }

    async fn renew(&mut self) {
        self.next_renew = Instant::now() + RENEW_EVERY;
        let lease_until = now_ms() + LEASE.as_millis() as u64;
        for held in self.held.values().cloned().collect::<Vec<_>>() {
            self.apply(held.task, TaskEvent::Renew { lease_until })
                .await;
        }
    }
}
