//! One actor per agent: spawns its process in a PTY, watches it exit,
//! applies the restart policy with backoff and restart intensity (spawn
//! failures included), stops it (SIGTERM + SIGHUP to the process group,
//! SIGKILL after the grace period, then whatever it left behind), and
//! derives its status through its [`Connector`]. Task delivery lives in
//! `agent_job.rs`, hooks in `agent_hook.rs`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nix::sys::signal::{Signal as Sig, killpg};
use nix::unistd::Pid;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

#[path = "agent_exit.rs"]
mod exit;

use super::agent_job::{Job, JobUpdate};
use super::error::Result;
use super::handle::{AgentInfo, Entry, Registry};
use super::pty::log::{AgentLog, DEFAULT_CAP};
use super::pty::{ExitInfo, PtyBackend, Term};
use crate::config::Workspace;
use crate::connector::Connector;
use crate::connector::stubs::StubPool;
use crate::domain::hook::HookEvent;
use crate::domain::{AgentSpec, AgentStatus, EventBody, RestartTracker, TaskId};
use crate::store::Store;

pub(crate) struct Shared {
    pub(crate) workspace: Workspace,
    pub(crate) backend: Arc<dyn PtyBackend>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) scrollback: usize,
    pub(crate) stop_grace: Duration,
    pub(crate) stubs: StubPool,
    pub(crate) nox_exe: Option<std::path::PathBuf>,
    pub(crate) store: Store,
    /// Control signals to the scheduler (never dropped: unbounded).
    pub(crate) signals: mpsc::UnboundedSender<Signal>,
    pub(crate) lease: Duration,
    pub(crate) instance: String,
    pub(crate) cgroups: Option<Arc<crate::sys::cgroup::Cgroups>>,
    /// Queued messages (a Stop hook hands them to a busy Claude agent).
    pub(crate) inbox: Arc<super::inbox::Inbox>,
    /// `[[policy]]` rules for permission requests.
    pub(crate) policies: Vec<crate::domain::approval::Policy>,
}

/// What agent actors tell the scheduler.
#[derive(Debug)]
pub(crate) enum Signal {
    /// The agent's status changed.
    Status { agent: String, status: AgentStatus },
    /// News of the task (or messages) the agent holds.
    Job {
        agent: String,
        work: Work,
        update: JobUpdate,
    },
}

/// What a prompt typed into an agent is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Work {
    /// A task's body.
    Task(TaskId),
    /// Queued messages, as one inbox prompt (SPEC §7: an idle agent is
    /// woken with a typed prompt).
    Mail(Vec<crate::domain::MessageId>),
}

impl Work {
    /// The task, when it is one.
    pub(crate) fn task(&self) -> Option<TaskId> {
        match self {
            Self::Task(t) => Some(*t),
            Self::Mail(_) => None,
        }
    }
}

impl std::fmt::Display for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Task(t) => write!(f, "task {t}"),
            Self::Mail(ids) if ids.len() == 1 => write!(f, "message {}", ids[0]),
            Self::Mail(ids) => write!(f, "{} messages", ids.len()),
        }
    }
}

/// A prompt for the agent (SPEC §7 delivery).
#[derive(Debug)]
pub(crate) struct Deliver {
    pub(crate) work: Work,
    pub(crate) text: String,
}

pub(crate) enum AgentCmd {
    Start,
    Stop,
    Restart,
    Hook(HookEvent, oneshot::Sender<Result<String>>),
    /// Answer the pending permission request.
    Approve(
        super::agent_approval::Decision,
        oneshot::Sender<Result<crate::domain::approval::Approval>>,
    ),
    /// Type a task's prompt; the reply is at once: `Err(why)` when the agent
    /// cannot take it now (the scheduler waits and says why).
    Deliver(Deliver, oneshot::Sender<std::result::Result<(), String>>),
    /// The scheduler took the task back (its lease lapsed, it was cancelled).
    Abandon(TaskId),
    Shutdown(oneshot::Sender<()>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopping {
    No,
    User,
    Restart,
    Shutdown,
}

pub(crate) struct AgentActor {
    pub(crate) shared: Arc<Shared>,
    pub(crate) spec: AgentSpec,
    pub(crate) conn: Box<dyn Connector>,
    pub(crate) term: Arc<Term>,
    pub(crate) status: AgentStatus,
    detail: String,
    restarts: u32,
    pub(crate) pid: Option<u32>,
    started_at: Option<SystemTime>,
    status_since: Option<SystemTime>,
    tracker: RestartTracker,
    exit_rx: Option<oneshot::Receiver<ExitInfo>>,
    restart_at: Option<Instant>,
    kill_at: Option<Instant>,
    pub(crate) quiet_at: Option<Instant>,
    stopping: Stopping,
    shutdown_replies: Vec<oneshot::Sender<()>>,
    pub(crate) job: Option<Job>,
    /// When an interrupted turn ended: Claude Code puts the prompt back in
    /// its input box; until the user types, that text is nox's, not theirs.
    pub(crate) restored_at: Option<Instant>,
    session_loaded: bool,
    /// The permission request whose hook waits for an answer.
    pub(crate) approval: Option<super::agent_approval::Pending>,
    /// Consecutive Stop hooks that blocked to hand over messages.
    pub(crate) stop_blocks: u32,
    /// When to look whether a key typed into a waiting agent answered it.
    pub(crate) answer_check_at: Option<Instant>,
    /// Until when such looks are repeated.
    pub(crate) answer_check_until: Option<Instant>,
    /// The `tool_use_id` of the last PreToolUse.
    pub(crate) last_tool_use: Option<String>,
}

enum Wake {
    Cmd(Option<AgentCmd>),
    Exit(ExitInfo),
    RestartDue,
    KillDue,
    Quiet,
    JobDue,
    Activity,
    Input,
    AnswerCheck,
}

impl AgentActor {
    /// Quiet time after which the agent's status is checked (idle,
    /// waiting…): its connector's window (1 s; 250 ms for a generic agent
    /// whose `ready_pattern` can say it is ready).
    pub(crate) fn quiet_window(&self) -> Duration {
        self.conn.quiet_window()
    }

    /// Starts the actor of `spec` and registers it (before returning).
    pub(crate) fn spawn(shared: Arc<Shared>, spec: AgentSpec) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (rows, cols) = shared.registry.size();
        let term = Arc::new(Term::new(
            rows,
            cols,
            shared.scrollback,
            Arc::clone(&shared.wake),
        ));
        shared.registry.lock().push(Entry {
            info: AgentInfo::new(spec.clone()),
            term: Arc::clone(&term),
            tx,
        });
        let actor = AgentActor {
            tracker: RestartTracker::new(
                spec.restart,
                spec.max_restarts,
                Duration::from_secs(spec.restart_window_secs),
            ),
            conn: crate::connector::for_spec(&spec),
            shared,
            spec,
            term,
            status: AgentStatus::Stopped,
            detail: String::new(),
            restarts: 0,
            pid: None,
            started_at: None,
            status_since: None,
            exit_rx: None,
            restart_at: None,
            kill_at: None,
            quiet_at: None,
            stopping: Stopping::No,
            shutdown_replies: Vec::new(),
            job: None,
            restored_at: None,
            session_loaded: false,
            approval: None,
            stop_blocks: 0,
            answer_check_at: None,
            answer_check_until: None,
            last_tool_use: None,
        };
        tokio::spawn(actor.run(rx));
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            spec: self.spec.clone(),
            status: self.status,
            detail: self.detail.clone(),
            restarts: self.restarts,
            pid: self.pid,
            started_at: self.started_at,
            status_since: self.status_since,
            task: self.job.as_ref().and_then(|j| j.work.task()),
            approval: self.approval.as_ref().map(|p| p.approval.clone()),
            job: self.job.as_ref().map(super::agent_job::Job::describe),
            inbox: 0,
        }
    }

    /// Writes this agent's info into the registry and wakes the faces.
    pub(crate) fn publish(&self) {
        let info = self.info();
        if let Some(e) = self
            .shared
            .registry
            .lock()
            .iter_mut()
            .find(|e| e.info.spec.name == self.spec.name)
        {
            e.info = info;
        }
        self.shared.wake.notify_one();
    }

    pub(crate) fn signal(&self, s: Signal) {
        let _ = self.shared.signals.send(s);
    }

    pub(crate) fn set_status(&mut self, status: AgentStatus, detail: impl Into<String>) {
        let detail = detail.into();
        if status == self.status && detail == self.detail {
            return;
        }
        let name = &self.spec.name;
        match status {
            AgentStatus::Busy | AgentStatus::Idle | AgentStatus::Starting => {
                tracing::debug!(agent = %name, "{} → {status}", self.status);
            }
            AgentStatus::Crashed | AgentStatus::Failed => {
                tracing::error!(agent = %name, "{name} {status}: {detail}");
            }
            _ if detail.is_empty() => tracing::info!(agent = %name, "{name} {status}"),
            _ => tracing::info!(agent = %name, "{name} {status}: {detail}"),
        }
        let changed = status != self.status;
        self.shared.store.emit_later(EventBody::AgentStatus {
            agent: name.clone(),
            from: self.status,
            to: status,
            detail: detail.clone(),
        });
        let spec = self.spec.clone();
        self.shared
            .store
            .write_later(move |c| crate::store::agents::upsert(c, &spec, status));
        self.status_since = Some(SystemTime::now());
        self.status = status;
        self.detail = detail;
        self.publish();
        if changed {
            self.signal(Signal::Status {
                agent: name.clone(),
                status,
            });
        }
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<AgentCmd>) {
        self.publish();
        if self.spec.autostart {
            self.start_process().await;
        }
        let term = Arc::clone(&self.term);
        let far = || Instant::now() + Duration::from_secs(86_400 * 365);
        loop {
            let (restart_at, kill_at, quiet_at) = (self.restart_at, self.kill_at, self.quiet_at);
            let job_at = self.job.as_ref().and_then(|j| j.at);
            let answer_at = self.answer_check_at;
            let (has_exit, live) = (self.exit_rx.is_some(), self.pid.is_some());
            let exit_rx = &mut self.exit_rx;
            let wake = tokio::select! {
                c = rx.recv() => Wake::Cmd(c),
                e = async {
                    match exit_rx.as_mut() {
                        Some(rx) => rx.await.unwrap_or(ExitInfo { code: 1, signal: Some("lost".into()) }),
                        None => std::future::pending().await,
                    }
                }, if has_exit => Wake::Exit(e),
                () = sleep_until(restart_at.unwrap_or_else(far)), if restart_at.is_some() => Wake::RestartDue,
                () = sleep_until(kill_at.unwrap_or_else(far)), if kill_at.is_some() => Wake::KillDue,
                () = sleep_until(quiet_at.unwrap_or_else(far)), if quiet_at.is_some() => Wake::Quiet,
                () = sleep_until(job_at.unwrap_or_else(far)), if job_at.is_some() => Wake::JobDue,
                () = sleep_until(answer_at.unwrap_or_else(far)), if answer_at.is_some() => Wake::AnswerCheck,
                () = term.activity.notified(), if live => Wake::Activity,
                () = term.typed.notified(), if live => Wake::Input,
            };
            match wake {
                Wake::Cmd(None) => self.on_shutdown(None),
                Wake::Cmd(Some(c)) => self.on_cmd(c).await,
                Wake::Exit(info) => {
                    self.exit_rx = None;
                    self.on_exit(&info).await;
                }
                Wake::RestartDue => {
                    self.restart_at = None;
                    self.restarts += 1;
                    self.shared.store.emit_later(EventBody::AgentRestarted {
                        agent: self.spec.name.clone(),
                        restarts: self.restarts,
                    });
                    self.start_process().await;
                }
                Wake::KillDue => {
                    self.kill_at = None;
                    self.kill(Sig::SIGKILL);
                }
                Wake::Quiet => self.on_quiet(),
                Wake::JobDue => self.on_job_due(),
                Wake::Activity => self.on_activity(),
                // The user typed: what it started (a silent `sleep 15`)
                // shows at the next quiet check.
                Wake::Input => {
                    if self.quiet_at.is_none() {
                        self.quiet_at = Some(Instant::now() + self.quiet_window());
                    }
                    self.typed_while_waiting();
                }
                Wake::AnswerCheck => self.check_answered(),
            }
            if self.stopping == Stopping::Shutdown && self.pid.is_none() {
                for r in self.shutdown_replies.drain(..) {
                    let _ = r.send(());
                }
                return;
            }
        }
    }

    /// Not stopping, not waiting out a restart backoff.
    pub(crate) fn running_normally(&self) -> bool {
        self.stopping == Stopping::No && self.restart_at.is_none()
    }

    async fn on_cmd(&mut self, c: AgentCmd) {
        if self.stopping == Stopping::Shutdown
            && matches!(c, AgentCmd::Start | AgentCmd::Stop | AgentCmd::Restart)
        {
            // nox is exiting: nothing starts again, and the stop in
            // progress is the shutdown's.
            return;
        }
        match c {
            AgentCmd::Start => {
                if self.pid.is_none() {
                    self.restart_at = None;
                    self.tracker.reset();
                    self.start_process().await;
                }
            }
            AgentCmd::Stop => {
                self.restart_at = None;
                if self.pid.is_some() {
                    self.begin_stop(Stopping::User);
                } else {
                    self.set_status(AgentStatus::Stopped, "stopped by the user");
                }
            }
            AgentCmd::Restart => {
                self.restart_at = None;
                self.tracker.reset();
                if self.pid.is_some() {
                    self.begin_stop(Stopping::Restart);
                } else {
                    self.start_process().await;
                }
            }
            AgentCmd::Hook(ev, reply) => self.on_hook(&ev, reply),
            AgentCmd::Approve(d, reply) => {
                let _ = reply.send(self.approve(&d));
            }
            AgentCmd::Deliver(d, reply) => {
                let _ = reply.send(self.deliver(d));
            }
            AgentCmd::Abandon(task) => self.abandon(task),
            AgentCmd::Shutdown(reply) => self.on_shutdown(Some(reply)),
        }
    }

    fn on_shutdown(&mut self, reply: Option<oneshot::Sender<()>>) {
        self.restart_at = None;
        self.shutdown_replies.extend(reply);
        if self.pid.is_some() && self.stopping != Stopping::Shutdown {
            self.begin_stop(Stopping::Shutdown);
        }
        self.stopping = Stopping::Shutdown;
    }

    fn begin_stop(&mut self, why: Stopping) {
        self.stopping = why;
        // SIGTERM is the stop request; SIGHUP is what closing a terminal
        // sends, and what interactive shells (which ignore SIGTERM) obey.
        self.kill(Sig::SIGTERM);
        self.kill(Sig::SIGHUP);
        self.kill_at = Some(Instant::now() + self.shared.stop_grace);
    }

    fn kill(&self, sig: Sig) {
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            let _ = killpg(Pid::from_raw(pid), sig);
        }
    }

    /// The session id the store keeps for this agent (a restart of nox).
    async fn load_session(&mut self) {
        if self.session_loaded {
            return;
        }
        self.session_loaded = true;
        let (store, name) = (self.shared.store.clone(), self.spec.name.clone());
        let stored = tokio::task::spawn_blocking(move || {
            store.read(move |c| crate::store::sessions::get(c, &name))
        })
        .await
        .ok()
        .and_then(std::result::Result::ok)
        .flatten();
        self.conn.restore_session(stored);
    }

    async fn start_process(&mut self) {
        self.quiet_at = None;
        self.load_session().await;
        let size = self.term.size();
        let ctx = crate::connector::Ctx {
            ws: &self.shared.workspace,
            stubs: &self.shared.stubs,
            nox_exe: self.shared.nox_exe.as_deref(),
            instance: &self.shared.instance,
        };
        let mut req = self.conn.prepare(&self.spec, &ctx, size).await;
        if let (Ok(r), Some(cg)) = (req.as_mut(), &self.shared.cgroups) {
            r.cgroup = cg.agent(&self.spec.name).ok();
        }
        let backend = Arc::clone(&self.shared.backend);
        let spawned = match req {
            Ok(req) => tokio::task::spawn_blocking(move || backend.spawn(req))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string()))),
            Err(e) => Err(e),
        };
        let proc = match spawned {
            Ok(p) => p,
            Err(e) => {
                self.pid = None;
                self.stopping = Stopping::No;
                let msg = format!("cannot start {:?}: {e}", self.spec.command);
                self.set_status(AgentStatus::Crashed, msg.clone());
                self.after_failure(AgentStatus::Crashed, &msg);
                return;
            }
        };
        let log = AgentLog::open(
            self.shared.workspace.agent_log_path(&self.spec.name),
            DEFAULT_CAP,
        );
        let (pid, wait) = self.term.attach(proc, Some(log));
        let (tx, rx) = oneshot::channel();
        let _ = std::thread::Builder::new()
            .name("nox-pty-wait".into())
            .spawn(move || {
                let _ = tx.send(wait());
            });
        self.exit_rx = Some(rx);
        self.pid = pid;
        self.stopping = Stopping::No;
        self.started_at = Some(SystemTime::now());
        self.tracker.started(std::time::Instant::now());
        self.set_status(
            AgentStatus::Starting,
            pid.map(|p| format!("pid {p}")).unwrap_or_default(),
        );
        // A program that prints nothing is idle after a quiet second too.
        self.quiet_at = Some(Instant::now() + self.quiet_window());
    }
}
