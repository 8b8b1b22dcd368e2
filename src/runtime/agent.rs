//! One actor per agent: spawns its process in a PTY, watches it exit,
//! applies the restart policy with backoff and restart intensity, stops it
//! (SIGTERM + SIGHUP to the process group, SIGKILL after the grace period),
//! and derives `starting`/`busy`/`idle`/`waiting` from output activity and
//! the definition's screen patterns.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use regex::{Regex, RegexBuilder};
use tokio::sync::{Notify, broadcast, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use super::handle::{AgentView, Event, Registry};
use super::pty::log::{AgentLog, DEFAULT_CAP};
use super::pty::{ExitInfo, PtyBackend, Term};
use super::stubs::StubPool;
use crate::config::Workspace;
use crate::connector::claude_screen::status_from_screen;
use crate::domain::hook::HookEvent;
use crate::domain::{AgentKind, AgentSpec, AgentStatus, RestartDecision, RestartTracker};

/// Quiet time after which a busy agent counts as idle.
pub const IDLE_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct Shared {
    pub(crate) workspace: Workspace,
    pub(crate) backend: Arc<dyn PtyBackend>,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) scrollback: usize,
    pub(crate) stop_grace: Duration,
    pub(crate) stubs: StubPool,
    pub(crate) nox_exe: Option<std::path::PathBuf>,
    pub(crate) store: Option<crate::store::Store>,
}

#[derive(Debug)]
pub(crate) enum AgentCmd {
    Start,
    Stop,
    Restart,
    Hook(HookEvent, oneshot::Sender<Result<String, String>>),
    /// The scheduler typed a task into this agent.
    Delivered,
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
    shared: Arc<Shared>,
    spec: AgentSpec,
    term: Arc<Term>,
    status: AgentStatus,
    detail: String,
    restarts: u32,
    pid: Option<u32>,
    started_at: Option<SystemTime>,
    tracker: RestartTracker,
    exit_rx: Option<oneshot::Receiver<ExitInfo>>,
    restart_at: Option<Instant>,
    kill_at: Option<Instant>,
    idle_at: Option<Instant>,
    stopping: Stopping,
    shutdown_replies: Vec<oneshot::Sender<()>>,
    ready: Option<Regex>,
    busy: Option<Regex>,
    wait: Option<Regex>,
    /// Claude: the session id from the last SessionStart hook.
    session_id: Option<String>,
    /// Claude: the final message of the last turn (Stop hook).
    last_message: String,
    /// Claude: the current process was started with `--resume`.
    resuming: bool,
    /// When the current status began.
    status_since: Option<SystemTime>,
}

enum Wake {
    Cmd(Option<AgentCmd>),
    Exit(ExitInfo),
    RestartDue,
    KillDue,
    IdleCheck,
    Activity,
}

fn pattern(p: Option<&String>) -> Option<Regex> {
    p.and_then(|p| RegexBuilder::new(p).multi_line(true).build().ok())
}

impl AgentActor {
    pub(crate) fn spawn(shared: Arc<Shared>, spec: AgentSpec) -> mpsc::UnboundedSender<AgentCmd> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (rows, cols) = *shared
            .registry
            .size
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let term = Arc::new(Term::new(
            rows,
            cols,
            shared.scrollback,
            Arc::clone(&shared.wake),
        ));
        let actor = AgentActor {
            tracker: RestartTracker::new(
                spec.restart,
                spec.max_restarts,
                Duration::from_secs(spec.restart_window_secs),
            ),
            ready: pattern(spec.ready_pattern.as_ref()),
            busy: pattern(spec.busy_pattern.as_ref()),
            wait: pattern(spec.wait_pattern.as_ref()),
            shared,
            spec,
            term,
            status: AgentStatus::Stopped,
            detail: String::new(),
            restarts: 0,
            pid: None,
            started_at: None,
            exit_rx: None,
            restart_at: None,
            kill_at: None,
            idle_at: None,
            stopping: Stopping::No,
            shutdown_replies: Vec::new(),
            session_id: None,
            last_message: String::new(),
            resuming: false,
            status_since: None,
        };
        tokio::spawn(actor.run(rx));
        tx
    }

    fn view(&self) -> AgentView {
        AgentView {
            spec: self.spec.clone(),
            status: self.status,
            detail: self.detail.clone(),
            restarts: self.restarts,
            pid: self.pid,
            started_at: self.started_at,
            status_since: self.status_since,
            term: Arc::clone(&self.term),
        }
    }

    fn publish(&self) {
        let view = self.view();
        {
            let mut agents = self.shared.registry.lock();
            match agents.iter_mut().find(|a| a.spec.name == self.spec.name) {
                Some(slot) => *slot = view.clone(),
                None => agents.push(view.clone()),
            }
        }
        let _ = self.shared.events.send(Event::Agent(Box::new(view)));
        self.shared.wake.notify_one();
    }

    fn set_status(&mut self, status: AgentStatus, detail: impl Into<String>) {
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
        if let Some(store) = &self.shared.store {
            let data = serde_json::json!({"from": self.status, "to": status, "detail": detail});
            crate::store::events::append(
                store,
                crate::store::events::EventRecord::new("agent.status", Some(name), None, data),
            );
            let spec = self.spec.clone();
            store.write_later(move |c| crate::store::agents::upsert(c, &spec, status));
        }
        self.status_since = Some(SystemTime::now());
        self.status = status;
        self.detail = detail;
        self.publish();
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<AgentCmd>) {
        self.publish();
        if self.spec.autostart {
            self.start_process().await;
        }
        let term = Arc::clone(&self.term);
        let far = || Instant::now() + Duration::from_secs(86_400 * 365);
        loop {
            let (restart_at, kill_at, idle_at) = (self.restart_at, self.kill_at, self.idle_at);
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
                () = sleep_until(idle_at.unwrap_or_else(far)), if idle_at.is_some() => Wake::IdleCheck,
                () = term.activity.notified(), if live => Wake::Activity,
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
                    if let Some(store) = &self.shared.store {
                        let data = serde_json::json!({"restarts": self.restarts});
                        let ev = crate::store::events::EventRecord::new(
                            "agent.restart",
                            Some(&self.spec.name),
                            None,
                            data,
                        );
                        crate::store::events::append(store, ev);
                    }
                    self.start_process().await;
                }
                Wake::KillDue => {
                    self.kill_at = None;
                    self.signal(Signal::SIGKILL);
                }
                Wake::IdleCheck => self.on_idle_check(),
                Wake::Activity => self.on_activity(),
            }
            if self.stopping == Stopping::Shutdown && self.pid.is_none() {
                for r in self.shutdown_replies.drain(..) {
                    let _ = r.send(());
                }
                return;
            }
        }
    }

    async fn on_cmd(&mut self, c: AgentCmd) {
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
            AgentCmd::Hook(ev, reply) => {
                self.on_hook(&ev);
                let _ = reply.send(Ok(String::new()));
            }
            AgentCmd::Delivered => {
                // A generic agent has no hook to confirm the prompt: it is
                // busy from now until its ready pattern shows again.
                if self.spec.kind == AgentKind::Generic && self.pid.is_some() {
                    self.set_status(AgentStatus::Busy, "task delivered");
                    self.term.set_quiet();
                    self.idle_at = Some(Instant::now() + IDLE_AFTER);
                }
            }
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
        self.signal(Signal::SIGTERM);
        self.signal(Signal::SIGHUP);
        self.kill_at = Some(Instant::now() + self.shared.stop_grace);
    }

    fn signal(&self, sig: Signal) {
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            let _ = killpg(Pid::from_raw(pid), sig);
        }
    }

    async fn start_process(&mut self) {
        self.idle_at = None;
        let size = self.term.size();
        if self.spec.kind == AgentKind::Claude && self.session_id.is_none() {
            self.session_id = Some(
                self.stored_session()
                    .await
                    .unwrap_or_else(crate::store::sessions::new_uuid),
            );
        }
        let ctx = crate::connector::Ctx {
            ws: &self.shared.workspace,
            stubs: &self.shared.stubs,
            nox_exe: self.shared.nox_exe.as_deref(),
            session_id: self.session_id.as_deref(),
        };
        let req = crate::connector::prepare(&self.spec, &ctx, size).await;
        self.resuming = req
            .as_ref()
            .is_ok_and(|r| r.args.iter().any(|a| a == "--resume"));
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
                self.set_status(AgentStatus::Crashed, msg);
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
        self.idle_at = Some(Instant::now() + IDLE_AFTER);
    }

    /// The session id the store keeps for this agent (a restart of nox).
    async fn stored_session(&self) -> Option<String> {
        let store = self.shared.store.clone()?;
        let name = self.spec.name.clone();
        tokio::task::spawn_blocking(move || {
            store.read(move |c| crate::store::sessions::get(c, &name))
        })
        .await
        .ok()?
        .ok()
        .flatten()
    }

    async fn on_exit(&mut self, info: &ExitInfo) {
        // A claude process started with `--resume` that dies within seconds
        // could not resume its session: start the next one as a new session.
        let quick = self
            .started_at
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|d| d < Duration::from_secs(10));
        if self.resuming && quick && !info.success() && self.stopping == Stopping::No {
            if let Some(old) = self.session_id.take() {
                tracing::warn!(agent = %self.spec.name, "session {old} could not be resumed; the next start begins a new session");
            }
            let fresh = crate::store::sessions::new_uuid();
            if let Some(store) = &self.shared.store {
                let (agent, id) = (self.spec.name.clone(), fresh.clone());
                store.write_later(move |c| crate::store::sessions::put(c, &agent, &id));
            }
            self.session_id = Some(fresh);
        }
        self.term.detach();
        self.pid = None;
        self.kill_at = None;
        self.idle_at = None;
        let why = std::mem::replace(&mut self.stopping, Stopping::No);
        match why {
            Stopping::Shutdown => {
                self.stopping = Stopping::Shutdown;
                self.set_status(AgentStatus::Stopped, format!("nox is exiting ({info})"));
            }
            Stopping::User => self.set_status(
                AgentStatus::Stopped,
                format!("stopped by the user ({info})"),
            ),
            Stopping::Restart => self.start_process().await,
            Stopping::No => {
                let ended = if info.success() {
                    AgentStatus::Exited
                } else {
                    AgentStatus::Crashed
                };
                // A claude agent that gave up at start says why on its screen.
                let why = match status_from_screen(&self.term.contents()) {
                    Some((AgentStatus::Waiting, reason)) if self.spec.kind == AgentKind::Claude => {
                        format!("{info}; {reason}")
                    }
                    _ => info.to_string(),
                };
                self.set_status(ended, why);
                match self
                    .tracker
                    .on_exit(std::time::Instant::now(), info.success())
                {
                    RestartDecision::Stay => {}
                    RestartDecision::RestartAfter(d) => {
                        self.restart_at = Some(Instant::now() + d);
                        self.set_status(
                            AgentStatus::Restarting,
                            format!("{ended} ({info}); restarting in {:.1}s", d.as_secs_f32()),
                        );
                    }
                    RestartDecision::GiveUp => {
                        let msg = format!(
                            "{ended} ({info}); more than {} restarts in {}s, giving up",
                            self.spec.max_restarts, self.spec.restart_window_secs
                        );
                        self.set_status(AgentStatus::Failed, msg);
                    }
                }
            }
        }
    }

    /// A Claude Code hook: the reliable status signal for claude agents.
    fn on_hook(&mut self, ev: &HookEvent) {
        if self.pid.is_none() {
            return;
        }
        match ev {
            HookEvent::SessionStart { session_id, source } => {
                tracing::info!(agent = %self.spec.name, "session {session_id} ({source})");
                self.session_id = Some(session_id.clone());
                if let Some(store) = &self.shared.store {
                    let (agent, id) = (self.spec.name.clone(), session_id.clone());
                    store.write_later(move |c| crate::store::sessions::put(c, &agent, &id));
                }
            }
            HookEvent::Stop { last_message, .. } => self.last_message.clone_from(last_message),
            _ => {}
        }
        if let Some((status, evidence)) = ev.status() {
            self.set_status(status, evidence);
        }
        let _ = self
            .shared
            .events
            .send(Event::Hook(self.spec.name.clone(), ev.clone()));
    }

    fn on_activity(&mut self) {
        if self.spec.kind == AgentKind::Claude {
            // Claude agents: hooks and screen rules decide, at quiet moments.
            self.idle_at = Some(Instant::now() + IDLE_AFTER);
            return;
        }
        if matches!(
            self.status,
            AgentStatus::Starting | AgentStatus::Idle | AgentStatus::Waiting
        ) {
            self.set_status(AgentStatus::Busy, "output");
        }
        self.idle_at = Some(Instant::now() + IDLE_AFTER);
    }

    fn on_idle_check(&mut self) {
        let quiet = Duration::from_millis(self.term.ms_since_output());
        if quiet < IDLE_AFTER {
            self.idle_at = Some(Instant::now() + IDLE_AFTER.saturating_sub(quiet));
            return;
        }
        self.idle_at = None;
        self.term.set_quiet();
        if self.spec.kind == AgentKind::Claude {
            if let Some((status, why)) = status_from_screen(&self.term.contents())
                && status != self.status
            {
                self.set_status(status, why);
            }
            return;
        }
        let screen = if self.ready.is_some() || self.busy.is_some() || self.wait.is_some() {
            self.term.contents()
        } else {
            String::new()
        };
        let next = if self.wait.as_ref().is_some_and(|r| r.is_match(&screen)) {
            (AgentStatus::Waiting, "wait_pattern on screen")
        } else if self.busy.as_ref().is_some_and(|r| r.is_match(&screen)) {
            (AgentStatus::Busy, "busy_pattern on screen")
        } else if let Some(r) = &self.ready {
            if r.is_match(&screen) {
                (AgentStatus::Idle, "ready_pattern on screen")
            } else {
                (AgentStatus::Busy, "quiet, no ready_pattern on screen")
            }
        } else {
            (AgentStatus::Idle, "quiet")
        };
        self.set_status(next.0, next.1);
    }
}
