//! The scheduler: hands ready tasks to idle agents and follows them to the
//! end (SPEC §4, §7). It routes each queued task (explicit assignee, else
//! an idle agent with every capability it needs, fewest open tasks first),
//! asks that agent's actor to deliver it (the actor may refuse for now: the
//! user is typing, its input box holds text; the task waits and says why),
//! leases it, and turns the actor's reports into task transitions. Leases
//! are compared with the clock: a lease that lapses without progress puts
//! the task back in the queue with its attempts raised, as a crash or a
//! stalled delivery does; retries back off. Control signals arrive over
//! mpsc channels, never over the observers' broadcast.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use super::agent::{AgentCmd, Deliver, Signal, Work};
use super::agent_job::JobUpdate;
use super::error::{Result, RuntimeError};
use super::handle::Registry;
use crate::domain::limits::{LimitError, check_task};
use crate::domain::task::{Candidate, route};
use crate::domain::{
    AgentStatus, Delivery, EventBody, NewTask, Task, TaskEvent, TaskId, TaskStatus,
};
use crate::store::{Store, Tx, now_ms, tasks};

#[path = "scheduler_leases.rs"]
mod leases;
#[path = "scheduler_mail.rs"]
mod mail;

/// A deferred task is looked at again this often.
pub const DEFER_RETRY: Duration = Duration::from_secs(1);

/// Requests to the scheduler.
pub(crate) enum SchedCmd {
    Add(Box<NewTask>, oneshot::Sender<Result<(Task, bool)>>),
    Cancel(TaskId, oneshot::Sender<Result<Task>>),
    Assign(TaskId, Option<String>, oneshot::Sender<Result<Task>>),
    /// Send a message (SPEC §7).
    Send(
        Box<crate::domain::NewMessage>,
        oneshot::Sender<Result<crate::domain::Message>>,
    ),
    /// Agent `agent` says its task is done (the MCP `complete_task` tool).
    Complete {
        task: TaskId,
        agent: String,
        summary: String,
        reply: oneshot::Sender<Result<Task>>,
    },
}

/// What the scheduler starts from.
pub(crate) struct Init {
    pub(crate) store: Store,
    pub(crate) registry: Arc<Registry>,
    pub(crate) signals: mpsc::UnboundedReceiver<Signal>,
    pub(crate) workspace: crate::config::Workspace,
    pub(crate) lease: Duration,
    pub(crate) inbox: Arc<super::inbox::Inbox>,
    pub(crate) rate: crate::domain::message::RateLimit,
}

#[derive(Debug, Clone)]
struct Held {
    task: TaskId,
    attempt: u32,
    lease_until: Instant,
    /// Changed files of the agent's working tree when the task was delivered.
    before: Arc<Vec<String>>,
}

struct Scheduler {
    store: Store,
    registry: Arc<Registry>,
    held: HashMap<String, Held>,
    workspace: crate::config::Workspace,
    lease: Duration,
    /// When queued tasks that could not go yet (backoff, deferred) are
    /// looked at again.
    retry_at: Option<Instant>,
    inbox: Arc<super::inbox::Inbox>,
    rate: crate::domain::message::RateLimit,
    mail: mail::Mailroom,
}

pub(crate) async fn db<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&mut Tx<'_>) -> crate::store::Result<T> + Send + 'static,
) -> Result<T> {
    store.write_async(f).await.map_err(RuntimeError::from)
}

pub(crate) async fn read<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&rusqlite::Connection) -> crate::store::Result<T> + Send + 'static,
) -> Result<T> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.read(f))
        .await
        .map_err(|e| RuntimeError::Gone(e.to_string()))?
        .map_err(RuntimeError::from)
}

pub(crate) fn spawn(init: Init) -> mpsc::Sender<SchedCmd> {
    let (tx, rx) = mpsc::channel(256);
    let s = Scheduler {
        store: init.store,
        registry: init.registry,
        held: HashMap::new(),
        workspace: init.workspace,
        lease: init.lease,
        retry_at: None,
        inbox: init.inbox,
        rate: init.rate,
        mail: mail::Mailroom::default(),
    };
    tokio::spawn(s.run(rx, init.signals));
    tx
}

impl Scheduler {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<SchedCmd>,
        mut signals: mpsc::UnboundedReceiver<Signal>,
    ) {
        // Inboxes first: recovering tasks may fail one, and its result
        // message must be queued once.
        self.load_inbox().await;
        self.recover().await;
        self.dispatch().await;
        let far = || Instant::now() + Duration::from_secs(3600);
        loop {
            let lease = self.held.values().map(|h| h.lease_until).min();
            let retry = self.retry_at;
            tokio::select! {
                // Reports first: a finished task's `Done` must win over its
                // lease timer firing at the same moment.
                biased;
                s = signals.recv() => match s {
                    Some(s) => self.on_signal(s).await,
                    None => return,
                },
                cmd = rx.recv() => match cmd {
                    Some(c) => self.on_cmd(c).await,
                    None => return,
                },
                () = sleep_until(lease.unwrap_or_else(far)), if lease.is_some() => self.on_leases().await,
                () = sleep_until(retry.unwrap_or_else(far)), if retry.is_some() => {
                    self.retry_at = None;
                    self.deliver_all_mail().await;
                    self.dispatch().await;
                }
            }
        }
    }

    async fn apply(&mut self, id: TaskId, ev: TaskEvent) -> Option<Task> {
        match db(&self.store, move |c| tasks::apply(c, id, &ev)).await {
            Ok(t) => {
                tracing::info!(task = id, "task {id} {}: {}", t.status, t.title);
                self.task_ended(&t).await;
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
            let list = read(&self.store, move |c| tasks::list(c, Some(status)))
                .await
                .unwrap_or_default();
            for t in list {
                let why = "nox restarted".to_string();
                self.apply(
                    t.id,
                    TaskEvent::Lost {
                        why,
                        now_ms: now_ms(),
                    },
                )
                .await;
            }
        }
    }

    fn known(&self, agent: &str) -> bool {
        self.registry.tx(agent).is_some()
    }

    async fn on_cmd(&mut self, c: SchedCmd) {
        match c {
            SchedCmd::Add(new, reply) => {
                let r = self.add(*new).await;
                let _ = reply.send(r);
                self.dispatch().await;
            }
            SchedCmd::Cancel(id, reply) => {
                let r = db(&self.store, move |c| {
                    tasks::apply(c, id, &TaskEvent::Cancel)
                })
                .await;
                if r.is_ok()
                    && let Some(agent) = self.held_by(id)
                {
                    self.held.remove(&agent);
                    self.tell(&agent, AgentCmd::Abandon(id));
                }
                if let Ok(t) = &r {
                    self.task_ended(t).await;
                }
                let _ = reply.send(r);
            }
            SchedCmd::Send(new, reply) => {
                let r = self.send(*new).await;
                let _ = reply.send(r);
            }
            SchedCmd::Complete {
                task,
                agent,
                summary,
                reply,
            } => {
                let r = self.complete(task, &agent, summary).await;
                let _ = reply.send(r);
                self.dispatch().await;
            }
            SchedCmd::Assign(id, agent, reply) => {
                // An unknown name in the body is an invalid field (422), as
                // when a task is created with one.
                if let Some(a) = agent.as_deref().filter(|a| !self.known(a)) {
                    let _ = reply.send(Err(unknown_assignee(a)));
                    return;
                }
                let r = db(&self.store, move |c| {
                    tasks::set_assignee(c, id, agent.as_deref())
                })
                .await;
                let _ = reply.send(r);
                self.dispatch().await;
            }
        }
    }

    async fn add(&mut self, new: NewTask) -> Result<(Task, bool)> {
        check_task(&new.title, &new.body).map_err(|e| match e {
            LimitError::Invalid(m) => RuntimeError::Refused(m),
            LimitError::TooLarge(m) => RuntimeError::TooLarge(m),
        })?;
        if let Some(a) = new.assignee.as_deref().filter(|a| !self.known(a)) {
            return Err(unknown_assignee(a));
        }
        let mut new = new;
        if new.parent.is_none() && self.known(&new.created_by) {
            // Delegated while working on a task: that task is the parent.
            new.parent = self
                .registry
                .infos()
                .iter()
                .find(|a| a.spec.name == new.created_by)
                .and_then(|a| a.task);
        }
        let r = db(&self.store, move |c| tasks::create(c, &new)).await?;
        if r.1 {
            tracing::info!(
                task = r.0.id,
                "task {} added ({}): {}",
                r.0.id,
                r.0.status,
                r.0.title
            );
            self.delegated(&r.0).await;
        }
        Ok(r)
    }

    /// Agent `agent` reports its running task `id` done with `summary`
    /// (`NotFound` when there is no such task, `Conflict` when it does not hold
    /// it).
    async fn complete(&mut self, id: TaskId, agent: &str, summary: String) -> Result<Task> {
        if summary.len() > crate::domain::limits::MAX_TASK_BODY {
            return Err(RuntimeError::TooLarge(format!(
                "the summary is {} bytes; the limit is {} bytes",
                summary.len(),
                crate::domain::limits::MAX_TASK_BODY
            )));
        }
        let Some(held) = self.held.get(agent).filter(|h| h.task == id).cloned() else {
            if db(&self.store, move |c| tasks::get(c, id)).await?.is_none() {
                return Err(RuntimeError::NotFound(format!("no task {id}")));
            }
            return Err(RuntimeError::Conflict(format!(
                "task {id} is not {agent}'s current task; an agent completes only the task it works on"
            )));
        };
        self.held.remove(agent);
        self.tell(agent, AgentCmd::Abandon(id));
        let result = self.with_changes(agent, summary, &held.before).await;
        self.apply(id, TaskEvent::Completed { result })
            .await
            .ok_or_else(|| RuntimeError::Conflict(format!("task {id} could not be completed")))
    }

    fn held_by(&self, task: TaskId) -> Option<String> {
        self.held
            .iter()
            .find(|(_, h)| h.task == task)
            .map(|(a, _)| a.clone())
    }

    fn tell(&self, agent: &str, cmd: AgentCmd) {
        if let Some(tx) = self.registry.tx(agent) {
            let _ = tx.send(cmd);
        }
    }

    /// Hands queued tasks to idle agents that hold none.
    async fn dispatch(&mut self) {
        let idle: Vec<_> = self
            .registry
            .infos()
            .into_iter()
            .filter(|a| a.status == AgentStatus::Idle && !self.held.contains_key(&a.spec.name))
            .collect();
        if idle.is_empty() {
            return;
        }
        let Ok((queued, load)) = read(&self.store, |c| {
            Ok((
                tasks::list(c, Some(TaskStatus::Queued))?,
                tasks::open_by_assignee(c)?,
            ))
        })
        .await
        else {
            return;
        };
        let now = now_ms();
        let mut taken: HashSet<String> = HashSet::new();
        let mut again: Option<u64> = None;
        for task in queued {
            if taken.len() == idle.len() {
                break;
            }
            if let Some(at) = task.retry_at.filter(|at| *at > now) {
                again = Some(again.map_or(at, |a| a.min(at)));
                continue;
            }
            if let Some(a) = task.assignee.as_deref().filter(|a| !self.known(a)) {
                self.defer(&task, format!("waiting: no agent named {a}"))
                    .await;
                continue;
            }
            let candidates: Vec<Candidate<'_>> = idle
                .iter()
                .map(|a| Candidate {
                    name: &a.spec.name,
                    idle: !taken.contains(&a.spec.name),
                    capabilities: &a.spec.capabilities,
                    load: load.get(&a.spec.name).copied().unwrap_or(0),
                })
                .collect();
            let Some(agent) = route(&task, &candidates).map(str::to_string) else {
                continue;
            };
            taken.insert(agent.clone());
            match self.offer(&agent, &task).await {
                Ok(()) => self.assigned(&agent, &task).await,
                Err(why) => {
                    self.defer(&task, why).await;
                    again = Some(again.map_or(now, |a| a.min(now)));
                }
            }
        }
        let mine = again.map(|at| {
            let wait = Duration::from_millis(at.saturating_sub(now)).max(DEFER_RETRY);
            Instant::now() + wait
        });
        // Keep an earlier retry someone else asked for (a deferred inbox).
        self.retry_at = match (self.retry_at, mine) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// Asks `agent`'s actor to type `task`'s prompt; `Err(why)` when it
    /// cannot now.
    async fn offer(&self, agent: &str, task: &Task) -> std::result::Result<(), String> {
        let (tx, rx) = oneshot::channel();
        let deliver = Deliver {
            work: Work::Task(task.id),
            text: task.body.clone(),
        };
        self.tell(agent, AgentCmd::Deliver(deliver, tx));
        rx.await
            .unwrap_or_else(|_| Err(format!("waiting: agent {agent} is gone")))
    }

    async fn defer(&mut self, task: &Task, why: String) {
        if task.detail != why {
            self.apply(task.id, TaskEvent::Defer { why }).await;
        }
    }

    /// The agent is typing the prompt: lease the task to it.
    async fn assigned(&mut self, agent: &str, task: &Task) {
        let lease_until = now_ms() + self.lease.as_millis() as u64;
        let ev = TaskEvent::Assign {
            agent: agent.to_string(),
            lease_until,
        };
        let Some(t) = self.apply(task.id, ev).await else {
            self.tell(agent, AgentCmd::Abandon(task.id));
            return;
        };
        let before = Arc::new(self.changed_files(agent).await);
        self.held.insert(
            agent.to_string(),
            Held {
                task: t.id,
                attempt: t.attempts,
                lease_until: Instant::now() + self.lease,
                before,
            },
        );
    }

    async fn on_signal(&mut self, s: Signal) {
        match s {
            Signal::Status { agent, status } => {
                tracing::trace!(agent = %agent, "scheduler: {agent} is {status}");
                if status == AgentStatus::Idle {
                    // Its inbox first: a result it waits for before new work.
                    self.deliver_mail(&agent).await;
                    self.dispatch().await;
                }
            }
            Signal::Job {
                agent,
                work: Work::Task(task),
                update,
            } => self.on_job(&agent, task, update).await,
            Signal::Job {
                agent,
                work: Work::Mail(ids),
                update,
            } => self.on_mail_job(&agent, ids, update).await,
        }
    }

    fn delivery(&self, agent: &str, task: TaskId, attempt: u32, outcome: Delivery) {
        self.store.emit_later(EventBody::TaskDelivery {
            task,
            agent: agent.to_string(),
            attempt,
            outcome,
        });
    }

    async fn on_job(&mut self, agent: &str, task: TaskId, update: JobUpdate) {
        let Some(held) = self.held.get(agent).filter(|h| h.task == task).cloned() else {
            // News of a task taken back (lease lapsed, cancelled): the
            // agent was told to drop it.
            return;
        };
        let attempt = held.attempt;
        match update {
            JobUpdate::Sent { bytes } => {
                self.delivery(agent, task, attempt, Delivery::Sent { bytes })
            }
            JobUpdate::Retried => self.delivery(agent, task, attempt, Delivery::Retried),
            JobUpdate::Confirmed { evidence } => {
                self.delivery(agent, task, attempt, Delivery::Confirmed { evidence });
                self.renew(agent).await;
                self.apply(task, TaskEvent::Started).await;
            }
            JobUpdate::Progress => self.renew(agent).await,
            JobUpdate::Stalled => {
                self.held.remove(agent);
                self.delivery(agent, task, attempt, Delivery::Stalled);
                let why = format!("delivery to {agent} stalled");
                self.apply(
                    task,
                    TaskEvent::Lost {
                        why,
                        now_ms: now_ms(),
                    },
                )
                .await;
                self.dispatch().await;
            }
            JobUpdate::Done { result } => {
                self.held.remove(agent);
                let result = self.with_changes(agent, result, &held.before).await;
                self.apply(task, TaskEvent::Completed { result }).await;
                self.dispatch().await;
            }
            JobUpdate::Interrupted => {
                self.held.remove(agent);
                let why = "interrupted".to_string();
                self.apply(task, TaskEvent::Fail { why }).await;
                self.dispatch().await;
            }
            JobUpdate::Lost { why } => {
                self.held.remove(agent);
                self.apply(
                    task,
                    TaskEvent::Lost {
                        why,
                        now_ms: now_ms(),
                    },
                )
                .await;
                // Another agent may take it (after its backoff).
                self.dispatch().await;
            }
        }
    }
}

/// A task assigned (at creation or later) to a name no agent has: an
/// invalid field (422), not a missing resource.
fn unknown_assignee(name: &str) -> RuntimeError {
    RuntimeError::Refused(format!("cannot assign to {name:?}: no agent of that name"))
}
