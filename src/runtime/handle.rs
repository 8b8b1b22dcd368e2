//! The runtime's public face: [`RuntimeHandle`] (requests in over mpsc with
//! oneshot replies, persisted [`Event`]s out over a broadcast for
//! observers), the [`AgentInfo`] snapshots it hands out, and the registry
//! behind them. Screens leave as [`ScreenSnapshot`]s; keys go straight to an
//! agent's PTY writer, with no round trip through an actor.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, broadcast, mpsc, oneshot};

use super::agent::AgentCmd;
use super::error::{Result, RuntimeError, no_agent};
use super::pty::{PtyBackend, Term};
use super::scheduler::SchedCmd;
use super::screen::{Modes, ScreenSnapshot};
use super::supervisor::SupCmd;
use crate::config::Workspace;
use crate::config::edit::NewAgent;
use crate::domain::hook::HookEvent;
use crate::domain::{AgentSpec, AgentStatus, Event, NewTask, Task, TaskId};
use crate::store::Store;
use crate::store::events::Filter;

/// A snapshot of one agent: plain data, cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    /// The definition it runs.
    pub spec: AgentSpec,
    /// Current status.
    pub status: AgentStatus,
    /// Why it is in this status: the hook or screen rule, the exit code or
    /// signal, the OS error of a failed start, the backoff delay.
    pub detail: String,
    /// Restarts performed by the supervisor since nox started.
    pub restarts: u32,
    /// Process id of the current process (also its process group id).
    pub pid: Option<u32>,
    /// When the current process started.
    pub started_at: Option<SystemTime>,
    /// When the current status began (the evidence's time).
    pub status_since: Option<SystemTime>,
    /// The task it works on.
    pub task: Option<TaskId>,
    /// The permission request it waits on (its PermissionRequest hook
    /// waits for the answer).
    pub approval: Option<crate::domain::approval::Approval>,
    /// The prompt being delivered or the turn it started, in words
    /// (`task 3: waiting for the agent to take the prompt`).
    pub job: Option<String>,
    /// Messages queued for it.
    pub inbox: usize,
}

impl AgentInfo {
    /// A stopped agent that has not run yet.
    pub fn new(spec: AgentSpec) -> Self {
        Self {
            spec,
            status: AgentStatus::Stopped,
            detail: String::new(),
            restarts: 0,
            pid: None,
            started_at: None,
            status_since: None,
            task: None,
            approval: None,
            job: None,
            inbox: 0,
        }
    }
}

/// Settings of a runtime instance.
pub struct RuntimeOptions {
    /// The workspace (logs, run files, nox.toml edits).
    pub workspace: Workspace,
    /// Lines of scrollback per agent.
    pub scrollback: usize,
    /// How agents are spawned.
    pub backend: Arc<dyn PtyBackend>,
    /// Notified whenever a screen or the agent list changed (a cheap wakeup
    /// for the dashboard; what changed is read from the handle).
    pub wake: Arc<Notify>,
    /// Initial PTY size (rows, cols).
    pub size: (u16, u16),
    /// Grace period between SIGTERM and SIGKILL on stop.
    pub stop_grace: Duration,
    /// The nox binary that Claude Code hooks run (`nox hook …`); `None`
    /// starts claude agents without hooks.
    pub nox_exe: Option<PathBuf>,
    /// The store: tasks, sessions, the event log.
    pub store: Store,
    /// Where committed events are published (the store's publisher sends
    /// to it); observers subscribe here.
    pub events: broadcast::Sender<Event>,
    /// Length of a task's lease (SPEC §4).
    pub lease: Duration,
    /// This instance's tag (`NOX_INSTANCE` of every agent).
    pub instance: String,
    /// One cgroup per agent, where one is writable.
    pub cgroups: Option<Arc<crate::sys::cgroup::Cgroups>>,
    /// The instance's metrics (`GET /metrics`); committed events are
    /// counted by the store's publisher.
    pub metrics: Arc<super::metrics::Metrics>,
    /// `[[policy]]` rules that answer permission requests.
    pub policies: Vec<crate::domain::approval::Policy>,
    /// Messages per agent pair and its window in seconds (`[routing]`).
    pub message_limit: (u32, u64),
}

pub(crate) struct Entry {
    pub(crate) info: AgentInfo,
    pub(crate) term: Arc<Term>,
    pub(crate) tx: mpsc::UnboundedSender<AgentCmd>,
}

/// Agents in definition order; written by agent actors and the
/// supervisor, read by handles.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) entries: Mutex<Vec<Entry>>,
    pub(crate) size: Mutex<(u16, u16)>,
}

impl Registry {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn size(&self) -> (u16, u16) {
        *self
            .size
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn term(&self, name: &str) -> Option<Arc<Term>> {
        self.lock()
            .iter()
            .find(|e| e.info.spec.name == name)
            .map(|e| Arc::clone(&e.term))
    }

    pub(crate) fn tx(&self, name: &str) -> Option<mpsc::UnboundedSender<AgentCmd>> {
        self.lock()
            .iter()
            .find(|e| e.info.spec.name == name)
            .map(|e| e.tx.clone())
    }

    pub(crate) fn infos(&self) -> Vec<AgentInfo> {
        self.lock().iter().map(|e| e.info.clone()).collect()
    }
}

/// A cheap, cloneable handle on the running runtime: one `Arc` (a clone
/// is one atomic increment; every HTTP extractor clones it), its parts
/// reached through `Deref`.
#[derive(Clone)]
pub struct RuntimeHandle(Arc<HandleParts>);

impl std::ops::Deref for RuntimeHandle {
    type Target = HandleParts;
    fn deref(&self) -> &HandleParts {
        &self.0
    }
}

impl RuntimeHandle {
    pub(crate) fn new(parts: HandleParts) -> Self {
        Self(Arc::new(parts))
    }
}

/// What a [`RuntimeHandle`] holds.
pub struct HandleParts {
    pub(crate) cmd: mpsc::Sender<SupCmd>,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) sched: mpsc::Sender<SchedCmd>,
    pub(crate) store: Store,
    /// The workspace this runtime serves.
    pub workspace: Workspace,
    pub(crate) inbox: Arc<super::inbox::Inbox>,
    pub(crate) metrics: Arc<super::metrics::Metrics>,
}

fn gone<T>(_: T) -> RuntimeError {
    RuntimeError::Gone("the runtime has stopped".into())
}

impl RuntimeHandle {
    /// Subscribes to committed events (observers only: a receiver that lags
    /// loses events and must re-read state; nothing waits on it).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// How many agents there are (without copying them).
    pub fn agent_count(&self) -> usize {
        self.registry.lock().len()
    }

    /// All agents, in definition order.
    pub fn agents(&self) -> Vec<AgentInfo> {
        let mut all = self.registry.infos();
        for a in &mut all {
            a.inbox = self.inbox.len(&a.spec.name);
        }
        all
    }

    /// One agent by name.
    pub fn agent(&self, name: &str) -> Option<AgentInfo> {
        let mut a = self
            .registry
            .lock()
            .iter()
            .find(|e| e.info.spec.name == name)
            .map(|e| e.info.clone())?;
        a.inbox = self.inbox.len(name);
        Some(a)
    }

    /// Answers agent `name`'s pending permission request: `allow`, by
    /// `by` (`user`, `api`, `cli`). Errors: an unknown agent (not found), no
    /// request pending (conflict).
    pub async fn approve(
        &self,
        name: &str,
        allow: bool,
        by: &str,
    ) -> Result<crate::domain::approval::Approval> {
        let (tx, rx) = oneshot::channel();
        let d = super::agent_approval::Decision {
            allow,
            by: by.to_string(),
        };
        self.tell(name, AgentCmd::Approve(d, tx))?;
        rx.await.map_err(gone)?
    }

    /// Sends a message (SPEC §7): it waits in the receiver's inbox until
    /// delivered. Errors: unknown receiver (not found), unknown sender or
    /// empty text (refused), too large, rate limited (`Limited`: the
    /// message is kept as refused).
    pub async fn send_message(
        &self,
        new: crate::domain::NewMessage,
    ) -> Result<crate::domain::Message> {
        self.ask(|tx| SchedCmd::Send(Box::new(new), tx)).await
    }

    /// The newest `limit` messages (0: all) sent by or to `agent` (or all),
    /// oldest first.
    pub async fn messages(
        &self,
        agent: Option<String>,
        limit: usize,
    ) -> Result<Vec<crate::domain::Message>> {
        self.read(move |c| crate::store::messages::list(c, agent.as_deref(), limit))
            .await
    }

    /// Agent `agent` reports its current task `id` done with `summary`
    /// (the MCP `complete_task` tool). Conflict: not its current task.
    pub async fn complete_task(&self, id: TaskId, agent: &str, summary: String) -> Result<Task> {
        let agent = agent.to_string();
        self.ask(|reply| SchedCmd::Complete {
            task: id,
            agent,
            summary,
            reply,
        })
        .await
    }

    /// A copy of agent `name`'s screen, `offset` lines back in its
    /// scrollback (0: live; clamped to what there is).
    pub fn screen(&self, name: &str, offset: usize) -> Option<ScreenSnapshot> {
        self.registry.term(name).map(|t| t.snapshot(offset))
    }

    /// The input modes of agent `name`'s terminal.
    pub fn modes(&self, name: &str) -> Option<Modes> {
        self.registry.term(name).map(|t| t.modes())
    }

    /// Whether agent `name`'s screen changed since the last call (the
    /// viewer that draws it takes the flag).
    pub fn take_dirty(&self, name: &str) -> bool {
        self.registry.term(name).is_some_and(|t| t.take_dirty())
    }

    /// Queues what the user typed for agent `name`'s PTY (no round trip:
    /// straight to its writer thread). False when it has no process.
    pub fn input(&self, name: &str, bytes: &[u8]) -> bool {
        self.registry
            .term(name)
            .is_some_and(|t| t.input_from_user(bytes))
    }

    /// The scrollback offset of the next match of `query` in agent `name`'s
    /// terminal (see [`Term::find`]).
    pub fn find(
        &self,
        name: &str,
        query: &str,
        offset: usize,
        older: bool,
        new: bool,
    ) -> Option<usize> {
        self.registry
            .term(name)
            .and_then(|t| t.find(query, offset, older, new))
    }

    /// Resizes every agent's terminal and PTY (the outer terminal resized).
    pub fn resize_all(&self, rows: u16, cols: u16) {
        *self
            .registry
            .size
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (rows, cols);
        let terms: Vec<Arc<Term>> = self
            .registry
            .lock()
            .iter()
            .map(|e| Arc::clone(&e.term))
            .collect();
        for t in terms {
            t.resize(rows, cols);
        }
    }

    async fn sup<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T>>) -> SupCmd) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.cmd.send(make(tx)).await.map_err(gone)?;
        rx.await.map_err(gone)?
    }

    /// Adds an agent to nox.toml (under the config lock, atomically) and
    /// starts it; returns it. Errors: a taken name (conflict), a bad
    /// definition (refused, naming file, line and column).
    pub async fn add_agent(&self, new: NewAgent) -> Result<AgentInfo> {
        self.sup(|tx| SupCmd::Add(Box::new(new), tx)).await
    }

    /// Stops agent `name`, removes it from the runtime and from nox.toml.
    pub async fn remove_agent(&self, name: &str) -> Result<()> {
        self.sup(|tx| SupCmd::Remove(name.into(), tx)).await
    }

    fn tell(&self, name: &str, cmd: AgentCmd) -> Result<()> {
        let tx = self.registry.tx(name).ok_or_else(|| no_agent(name))?;
        tx.send(cmd).map_err(gone)
    }

    /// Starts a stopped, exited, crashed or failed agent.
    pub fn start_agent(&self, name: &str) -> Result<()> {
        self.tell(name, AgentCmd::Start)
    }

    /// Stops an agent: SIGTERM to its process group, SIGKILL after the grace period.
    pub fn stop_agent(&self, name: &str) -> Result<()> {
        self.tell(name, AgentCmd::Stop)
    }

    /// Restarts an agent (stop, then start).
    pub fn restart_agent(&self, name: &str) -> Result<()> {
        self.tell(name, AgentCmd::Restart)
    }

    /// Delivers a Claude Code hook event to agent `name`; the reply is what
    /// the hook prints on stdout (empty: nothing to say). Errors: an unknown
    /// agent, or one that takes no hooks (refused).
    pub async fn hook(&self, name: &str, event: HookEvent) -> Result<String> {
        let (tx, rx) = oneshot::channel();
        self.tell(name, AgentCmd::Hook(event, tx))?;
        rx.await.map_err(gone)?
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T>>) -> SchedCmd) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.sched.send(make(tx)).await.map_err(gone)?;
        rx.await.map_err(gone)?
    }

    /// Adds a task; returns it and whether it is new (false: its
    /// idempotency key was used before, and this is the task it made).
    /// Errors: an unknown assignee, a missing dependency (refused).
    pub async fn add_task(&self, new: NewTask) -> Result<(Task, bool)> {
        self.ask(|tx| SchedCmd::Add(Box::new(new), tx)).await
    }

    /// Cancels a task.
    pub async fn cancel_task(&self, id: TaskId) -> Result<Task> {
        self.ask(|tx| SchedCmd::Cancel(id, tx)).await
    }

    /// Sets a queued or blocked task's assignee (`None`: routing decides).
    pub async fn assign_task(&self, id: TaskId, agent: Option<String>) -> Result<Task> {
        self.ask(|tx| SchedCmd::Assign(id, agent, tx)).await
    }

    /// Every task, by priority then id.
    pub async fn tasks(&self) -> Result<Vec<Task>> {
        self.read(|c| crate::store::tasks::list(c, None)).await
    }

    /// The instance's metrics.
    pub fn metrics(&self) -> &super::metrics::Metrics {
        &self.metrics
    }

    /// The Prometheus exposition of [`super::metrics::Metrics`] with the
    /// states read now: agents (status, restarts, PTY bytes) from the
    /// registry, task and message counts from the store.
    pub async fn metrics_text(&self) -> Result<String> {
        let agents = self
            .registry
            .lock()
            .iter()
            .map(|e| super::metrics::AgentSample {
                name: e.info.spec.name.clone(),
                status: e.info.status,
                restarts: e.info.restarts,
                bytes_in: e.term.bytes_in(),
                bytes_out: e.term.bytes_out(),
            })
            .collect();
        let now = super::metrics::Snapshot {
            agents,
            tasks: self.task_counts()?,
            messages: self.read(crate::store::messages::counts).await?,
        };
        Ok(self.metrics.render(&now))
    }

    /// Tasks by status (`{"queued": 2, "done": 5}`), for `/health`.
    /// Committed tasks only, read on the caller's thread
    /// ([`crate::store::Store::read_committed`]).
    pub fn task_counts(&self) -> Result<std::collections::BTreeMap<String, usize>> {
        self.store
            .read_committed(crate::store::tasks::counts)
            .map_err(RuntimeError::from)
    }

    /// One task and its events.
    pub async fn task(&self, id: TaskId) -> Result<(Task, Vec<Event>)> {
        self.read(move |c| {
            let t = crate::store::tasks::get(c, id)?
                .ok_or_else(|| crate::store::StoreError::NotFound(format!("no task {id}")))?;
            let filter = Filter {
                task: Some(id),
                ..Filter::default()
            };
            Ok((t, crate::store::events::list(c, &filter)?))
        })
        .await
    }

    /// The id of the newest event in the store (0: none yet).
    pub async fn last_event_id(&self) -> Result<u64> {
        self.read(crate::store::events::last_id).await
    }

    /// Events after `since`, oldest first, at most `limit` rows (0: all).
    pub async fn events(&self, since: u64, limit: usize) -> Result<crate::store::events::Page> {
        self.read(move |c| {
            crate::store::events::page(
                c,
                &Filter {
                    since,
                    limit,
                    ..Filter::default()
                },
            )
        })
        .await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> crate::store::Result<T> + Send + 'static,
    ) -> Result<T> {
        self.store.read_async(f).await.map_err(RuntimeError::from)
    }

    /// Stops every agent and waits until all processes are gone.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.cmd.send(SupCmd::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Where an agent's raw output log lives.
    pub fn agent_log_path(&self, name: &str) -> PathBuf {
        self.workspace.agent_log_path(name)
    }
}
