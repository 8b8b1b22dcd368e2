//! The runtime's public face: [`RuntimeHandle`], its [`Event`]s and the
//! [`AgentView`] snapshots it hands out.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, broadcast, mpsc, oneshot};

use super::pty::{PtyBackend, Term};
use crate::config::Workspace;
use crate::domain::hook::HookEvent;
use crate::domain::{AgentSpec, AgentStatus};

/// A snapshot of one agent, cheap to clone (the terminal is shared).
#[derive(Clone)]
pub struct AgentView {
    /// The definition it runs.
    pub spec: AgentSpec,
    /// Current status.
    pub status: AgentStatus,
    /// Why it is in this status: the exit code or signal, the OS error of a
    /// failed start, the backoff delay.
    pub detail: String,
    /// Restarts performed by the supervisor since nox started.
    pub restarts: u32,
    /// Process id of the current process (also its process group id).
    pub pid: Option<u32>,
    /// When the current process started.
    pub started_at: Option<SystemTime>,
    /// When the current status began (the evidence's time).
    pub status_since: Option<SystemTime>,
    /// The agent's terminal (screen + input).
    pub term: Arc<Term>,
}

impl std::fmt::Debug for AgentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentView")
            .field("name", &self.spec.name)
            .field("status", &self.status)
            .field("detail", &self.detail)
            .field("restarts", &self.restarts)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// What the runtime reports (a `broadcast`; a lagging receiver re-reads
/// [`RuntimeHandle::agents`]).
#[derive(Debug, Clone)]
pub enum Event {
    /// An agent was added or changed (status, pid, restarts).
    Agent(Box<AgentView>),
    /// An agent was removed.
    AgentRemoved(String),
    /// A Claude Code hook reached an agent.
    Hook(String, HookEvent),
    /// A task changed.
    Task(Box<crate::domain::Task>),
}

/// Commands to the supervisor.
#[derive(Debug)]
pub(crate) enum Command {
    Add(Box<AgentSpec>, oneshot::Sender<Result<(), String>>),
    Remove(String, oneshot::Sender<Result<(), String>>),
    Start(String),
    Stop(String),
    Restart(String),
    Hook(String, HookEvent, oneshot::Sender<Result<String, String>>),
    Delivered(String),
    Shutdown(oneshot::Sender<()>),
}

/// Settings of a runtime instance.
pub struct RuntimeOptions {
    /// The workspace (logs, run files).
    pub workspace: Workspace,
    /// Lines of scrollback per agent.
    pub scrollback: usize,
    /// How agents are spawned.
    pub backend: Arc<dyn PtyBackend>,
    /// Notified whenever something visible changed (screens, agent list).
    pub wake: Arc<Notify>,
    /// Initial PTY size (rows, cols).
    pub size: (u16, u16),
    /// Grace period between SIGTERM and SIGKILL on stop.
    pub stop_grace: Duration,
    /// The nox binary that Claude Code hooks run (`nox hook …`); `None`
    /// starts claude agents without hooks.
    pub nox_exe: Option<PathBuf>,
    /// The store (session ids, the event log); `None` keeps nothing.
    pub store: Option<crate::store::Store>,
}

/// Agents in definition order; written by agent actors, read by handles.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) agents: Mutex<Vec<AgentView>>,
    pub(crate) size: Mutex<(u16, u16)>,
}

impl Registry {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Vec<AgentView>> {
        self.agents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A cheap, cloneable handle on the running runtime.
#[derive(Clone)]
pub struct RuntimeHandle {
    pub(crate) cmd: mpsc::Sender<Command>,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) sched: Option<mpsc::Sender<super::scheduler::SchedCmd>>,
    /// The workspace this runtime serves.
    pub workspace: Workspace,
}

/// Starts the runtime on the current tokio runtime with `agents`; autostart
/// agents are spawned at once.
pub fn start(opts: RuntimeOptions, agents: Vec<AgentSpec>) -> RuntimeHandle {
    super::supervisor::spawn(opts, agents)
}

impl RuntimeHandle {
    /// Subscribes to events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// All agents, in definition order.
    pub fn agents(&self) -> Vec<AgentView> {
        self.registry.lock().clone()
    }

    /// One agent by name.
    pub fn agent(&self, name: &str) -> Option<AgentView> {
        self.registry
            .lock()
            .iter()
            .find(|a| a.spec.name == name)
            .cloned()
    }

    /// Resizes every agent's terminal and PTY (the outer terminal resized).
    pub fn resize_all(&self, rows: u16, cols: u16) {
        *self
            .registry
            .size
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (rows, cols);
        for a in self.registry.lock().iter() {
            a.term.resize(rows, cols);
        }
    }

    /// Adds and (if autostart) starts an agent. Errors name the conflict.
    pub async fn add_agent(&self, spec: AgentSpec) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Add(Box::new(spec), tx)).await;
        rx.await.unwrap_or_else(|_| Err("runtime is gone".into()))
    }

    /// Stops (if running) and removes an agent.
    pub async fn remove_agent(&self, name: &str) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Remove(name.into(), tx)).await;
        rx.await.unwrap_or_else(|_| Err("runtime is gone".into()))
    }

    /// Starts a stopped, exited, crashed or failed agent.
    pub async fn start_agent(&self, name: &str) {
        self.send(Command::Start(name.into())).await;
    }

    /// Stops an agent: SIGTERM to its process group, SIGKILL after the grace period.
    pub async fn stop_agent(&self, name: &str) {
        self.send(Command::Stop(name.into())).await;
    }

    /// Restarts an agent (stop, then start).
    pub async fn restart_agent(&self, name: &str) {
        self.send(Command::Restart(name.into())).await;
    }

    /// Delivers a Claude Code hook event to agent `name`; the reply is what
    /// the hook prints on stdout (empty: nothing to say). Errors name the
    /// unknown agent.
    pub async fn hook(&self, name: &str, event: HookEvent) -> Result<String, String> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Hook(name.into(), event, tx)).await;
        rx.await.unwrap_or_else(|_| Err("runtime is gone".into()))
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, String>>) -> super::scheduler::SchedCmd,
    ) -> Result<T, String> {
        let Some(sched) = &self.sched else {
            return Err("this runtime has no store, so no tasks".into());
        };
        let (tx, rx) = oneshot::channel();
        sched
            .send(make(tx))
            .await
            .map_err(|_| "the scheduler is gone".to_string())?;
        rx.await
            .unwrap_or_else(|_| Err("the scheduler is gone".into()))
    }

    /// Adds a task; errors name a missing dependency.
    pub async fn add_task(
        &self,
        new: crate::store::tasks::NewTask,
    ) -> Result<crate::domain::Task, String> {
        self.ask(|tx| super::scheduler::SchedCmd::Add(new, tx))
            .await
    }

    /// Cancels a task.
    pub async fn cancel_task(
        &self,
        id: crate::domain::TaskId,
    ) -> Result<crate::domain::Task, String> {
        self.ask(|tx| super::scheduler::SchedCmd::Cancel(id, tx))
            .await
    }

    /// Sets a queued or blocked task's assignee (`None`: routing decides).
    pub async fn assign_task(
        &self,
        id: crate::domain::TaskId,
        agent: Option<String>,
    ) -> Result<crate::domain::Task, String> {
        self.ask(|tx| super::scheduler::SchedCmd::Assign(id, agent, tx))
            .await
    }

    /// Every task, by priority then id.
    pub async fn tasks(&self) -> Result<Vec<crate::domain::Task>, String> {
        self.ask(super::scheduler::SchedCmd::List).await
    }

    /// One task and its events.
    pub async fn task(
        &self,
        id: crate::domain::TaskId,
    ) -> Result<Option<(crate::domain::Task, Vec<crate::store::events::EventRecord>)>, String> {
        self.ask(|tx| super::scheduler::SchedCmd::Get(id, tx)).await
    }

    /// Stops every agent and waits until all processes are gone.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Shutdown(tx)).await;
        let _ = rx.await;
    }

    async fn send(&self, c: Command) {
        let _ = self.cmd.send(c).await;
    }

    /// Where an agent's raw output log lives.
    pub fn agent_log_path(&self, name: &str) -> PathBuf {
        self.workspace.agent_log_path(name)
    }
}
