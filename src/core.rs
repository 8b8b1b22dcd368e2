//! The core that stands alone: built outside any UI, it takes the
//! workspace's instance lock, opens the store (whose commits publish the
//! event log), starts the runtime (supervisor, agents, scheduler), the
//! control socket and the task-file watcher, and keeps the agents'
//! descendants in check (nox is a child subreaper). Faces — the dashboard
//! today; `--headless`, `nox run`, `nox demo`, `nox attach` next — hold a
//! [`RuntimeHandle`] on it. [`Core::shutdown`] stops the parts in order:
//! intake (watcher, socket), agents, leftovers, then the store.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, Workspace};
use crate::domain::Event;
use crate::runtime::pty::NativePty;
use crate::runtime::{self, RuntimeHandle, RuntimeOptions};
use crate::store::Store;
use crate::sys::FileLock;

/// Default length of a task's lease (SPEC §4), renewed while the agent works.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(600);
/// The lease of `config` (`[routing] lease_secs`), else [`DEFAULT_LEASE`].
pub fn lease_of(config: &Config) -> Duration {
    config
        .routing
        .lease_secs
        .as_ref()
        .map_or(DEFAULT_LEASE, |l| Duration::from_secs(*l.get_ref()))
}

/// Events the broadcast keeps for slow observers before they lag.
pub const EVENT_BACKLOG: usize = 4096;

/// What a core is built from.
pub struct CoreOptions {
    /// The workspace (`.nox/` must exist, with its nox.toml).
    pub workspace: Workspace,
    /// The loaded configuration.
    pub config: Config,
    /// Lines of scrollback per agent.
    pub scrollback: usize,
    /// Initial PTY size of every agent (rows, cols).
    pub size: (u16, u16),
    /// Notified when a screen or the agent list changed (the dashboard's
    /// wakeup; a headless face can ignore it).
    pub wake: Arc<Notify>,
    /// The nox binary (hooks, the PTY pre-exec helper).
    pub nox_exe: Option<PathBuf>,
    /// Grace period between SIGTERM and SIGKILL when an agent stops.
    pub stop_grace: Duration,
    /// Lease length (`[routing] lease_secs`).
    pub lease: Duration,
}

/// Why a core could not start.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Another instance runs for this workspace.
    #[error("{0}")]
    Busy(String),
    /// The store could not be opened (exit code 3).
    #[error("cannot open the store {path}: {message}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The control socket could not be opened (exit code 3).
    #[error("cannot open the control socket {path}: {message}")]
    Socket {
        /// The socket file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Something else the OS refused.
    #[error("{0}")]
    Io(String),
}

impl CoreError {
    /// The exit code of a face that could not start its core (SPEC §3: 3
    /// when the store or the socket could not be opened, or another
    /// instance holds the workspace).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Busy(_) | Self::Store { .. } | Self::Socket { .. } => 3,
            Self::Io(_) => 1,
        }
    }
}

/// A running core.
pub struct Core {
    handle: RuntimeHandle,
    store: Store,
    instance: String,
    socket: PathBuf,
    stop_server: watch::Sender<bool>,
    server: JoinHandle<()>,
    tcp: Option<JoinHandle<()>>,
    watcher: Option<JoinHandle<()>>,
    reaper: JoinHandle<()>,
    cgroups: Option<Arc<crate::sys::cgroup::Cgroups>>,
    _lock: FileLock,
}

/// Creates `dir` (and parents) with mode 0700, and makes it 0700 if it
/// existed: it holds the store, the logs and the socket.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Raises the soft limit on open files to the hard limit (agents, PTYs and
/// connections all take descriptors).
fn raise_nofile() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

impl Core {
    /// Starts a core; call it inside a tokio runtime (its parts are tasks
    /// on it).
    pub fn start(opts: CoreOptions) -> Result<Self, CoreError> {
        let ws = opts.workspace;
        let io = |e: std::io::Error| CoreError::Io(e.to_string());
        private_dir(&ws.dir()).map_err(io)?;
        private_dir(&ws.logs_dir()).map_err(io)?;
        let lock = FileLock::try_exclusive(&ws.dir().join("instance.lock"))
            .map_err(io)?
            .ok_or_else(|| {
                CoreError::Busy(format!(
                    "another nox instance is running for {}",
                    ws.root.display()
                ))
            })?;
        if let Err(e) = crate::sys::become_subreaper() {
            tracing::warn!("cannot become a child subreaper: {e}");
        }
        raise_nofile();
        let (events, _) = broadcast::channel::<Event>(EVENT_BACKLOG);
        let publish = events.clone();
        let metrics = Arc::new(crate::runtime::metrics::Metrics::default());
        let counted = Arc::clone(&metrics);
        let db = ws.dir().join("nox.db");
        let store = Store::open_publishing(
            &db,
            Box::new(move |e| {
                counted.observe(e);
                let _ = publish.send(e.clone());
            }),
        )
        .map_err(|e| CoreError::Store {
            path: db.clone(),
            message: e.to_string(),
        })?;
        let socket = ws.dir().join("nox.sock");
        let listener = crate::server::bind(&socket).map_err(|e| CoreError::Socket {
            path: socket.clone(),
            message: e.to_string(),
        })?;
        let backend = Arc::new(
            NativePty::new(opts.nox_exe.clone())
                .map_err(|e| CoreError::Io(format!("cannot start the PTY spawner: {e}")))?,
        );
        let instance = format!("{}-{}", std::process::id(), crate::sys::uuid::new_v4());
        let key = format!(
            "nox-{:016x}",
            crate::runtime::taskfiles::fnv1a(ws.root.as_os_str().as_encoded_bytes())
        );
        let cgroups = crate::sys::cgroup::Cgroups::open(&key).map(Arc::new);
        match &cgroups {
            Some(cg) => {
                // A nox of this workspace killed with SIGKILL left these.
                let n = cg.sweep();
                if n > 0 {
                    tracing::warn!("ended {n} process(es) a previous nox left behind");
                }
            }
            None => {
                tracing::info!("no writable cgroup: agents are tracked by their environment tags")
            }
        }
        let handle = runtime::start(
            RuntimeOptions {
                metrics,
                workspace: ws.clone(),
                scrollback: opts.scrollback,
                backend: Arc::clone(&backend) as Arc<dyn crate::runtime::pty::PtyBackend>,
                wake: opts.wake,
                size: opts.size,
                stop_grace: opts.stop_grace,
                nox_exe: opts.nox_exe,
                store: store.clone(),
                events,
                lease: opts.lease,
                instance: instance.clone(),
                cgroups: cgroups.clone(),
                policies: opts.config.policies.clone(),
                message_limit: (
                    opts.config
                        .routing
                        .message_limit
                        .unwrap_or(crate::domain::message::DEFAULT_PER_PAIR),
                    opts.config
                        .routing
                        .message_window_secs
                        .unwrap_or(crate::domain::message::DEFAULT_WINDOW_SECS),
                ),
            },
            opts.config.agents,
        );
        let (stop_server, stopped) = watch::channel(false);
        let server = tokio::spawn(crate::server::listen::serve(
            listener,
            crate::server::router(handle.clone()),
            stopped,
        ));
        let watcher = match runtime::taskfiles::spawn(handle.clone(), ws.dir().join("tasks")) {
            Ok(j) => Some(j),
            Err(e) => {
                tracing::error!("cannot watch {}: {e}", ws.dir().join("tasks").display());
                None
            }
        };
        let reaper = tokio::spawn(reap(Arc::clone(&backend)));
        Ok(Self {
            handle,
            store,
            instance,
            socket,
            stop_server,
            server,
            tcp: None,
            watcher,
            reaper,
            cgroups,
            _lock: lock,
        })
    }

    /// A handle on the runtime (cheap to clone).
    pub fn handle(&self) -> RuntimeHandle {
        self.handle.clone()
    }

    /// Serves the API on `listener` too (`--listen`): the same router as
    /// the socket, behind `guard` (bearer token, `Host` check), with the
    /// same limits; stopped with the socket at shutdown. Errors: the
    /// listener cannot join the runtime.
    pub fn serve_tcp(
        &mut self,
        listener: std::net::TcpListener,
        guard: crate::server::auth::Guard,
    ) -> Result<(), CoreError> {
        let io = |e: std::io::Error| CoreError::Io(e.to_string());
        listener.set_nonblocking(true).map_err(io)?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
        let router = crate::server::router(self.handle.clone()).layer(
            axum::middleware::from_fn_with_state(guard, crate::server::auth::check),
        );
        self.tcp = Some(tokio::spawn(crate::server::listen::serve(
            listener,
            router,
            self.stop_server.subscribe(),
        )));
        Ok(())
    }

    /// Stops everything in order: no new work (task files, the socket),
    /// then the agents (SIGTERM, SIGKILL after the grace period), then
    /// whatever they left behind, then the store's last writes.
    pub async fn shutdown(self) {
        if let Some(w) = &self.watcher {
            w.abort();
        }
        let _ = self.stop_server.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.server).await;
        if let Some(tcp) = self.tcp {
            let _ = tokio::time::timeout(Duration::from_secs(2), tcp).await;
        }
        let _ = std::fs::remove_file(&self.socket);
        let _ = tokio::time::timeout(Duration::from_secs(8), self.handle.shutdown()).await;
        self.reaper.abort();
        let instance = self.instance.clone();
        let cgroups = self.cgroups.clone();
        let _ = tokio::task::spawn_blocking(move || {
            crate::sys::kill_tagged(&instance, None, Duration::from_secs(1));
            if let Some(cg) = cgroups {
                cg.remove();
            }
            crate::sys::reap_orphans(&|_| false);
        })
        .await;
        let store = self.store.clone();
        let flushed = tokio::task::spawn_blocking(move || store.flush())
            .await
            .unwrap_or_else(|e| Err(crate::store::StoreError::Refused(e.to_string())));
        if let Err(e) = flushed {
            tracing::error!("the store could not save the last events: {e}");
            eprintln!("nox: the store could not save the last events: {e}");
        }
    }
}

/// Reaps orphans reparented to nox (it is a subreaper) when they exit,
/// never a process the spawner started (its own thread waits for it, from
/// the moment it is forked).
async fn reap(backend: Arc<NativePty>) {
    let Ok(mut sigchld) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::child())
    else {
        return;
    };
    while sigchld.recv().await.is_some() {
        let b = Arc::clone(&backend);
        let _ =
            tokio::task::spawn_blocking(move || crate::sys::reap_orphans(&|pid| b.owns(pid))).await;
    }
}
