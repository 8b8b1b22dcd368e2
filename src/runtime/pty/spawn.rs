//! Spawning an agent in a PTY. Every child is started from one dedicated
//! spawner thread that lives as long as nox, through a tiny re-exec of nox
//! (`nox __pty-exec PROGRAM ARGS…`) that asks the kernel for a parent-death
//! signal (`prctl(PR_SET_PDEATHSIG, SIGKILL)`, see prctl(2)) and then execs
//! the agent: so no agent outlives nox, even when nox is killed with SIGKILL.
//! The signal fires when the *thread* that forked the child exits, which is
//! why forking happens only on the spawner thread.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use crate::connector::SpawnRequest;
pub use crate::domain::ExitInfo;
use std::sync::mpsc;

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

/// Argument that makes `nox` act as the pre-exec helper.
pub const PTY_EXEC_ARG: &str = "__pty-exec";
/// Environment variable carrying nox's pid to the helper.
pub const PARENT_PID_ENV: &str = "NOX_PTY_PARENT_PID";
/// Environment variable naming the cgroup directory the helper joins.
pub const CGROUP_ENV: &str = "NOX_PTY_CGROUP";
/// Environment variable carrying the user's umask (octal) to the helper:
/// nox runs with 077, agents with the umask the user started nox with.
pub const UMASK_ENV: &str = "NOX_PTY_UMASK";

/// Control of a running process's PTY through its master side.
pub trait PtyControl: Send {
    /// Sets the window size (TIOCSWINSZ); the kernel sends SIGWINCH.
    fn resize(&self, rows: u16, cols: u16) -> io::Result<()>;
    /// The terminal's foreground process group (tcgetpgrp(3) on the master,
    /// as tmux reads `pane_current_command`); `None` when unknown.
    fn foreground_pgrp(&self) -> Option<i32>;
}

impl PtyControl for Box<dyn MasterPty + Send> {
    fn resize(&self, rows: u16, cols: u16) -> io::Result<()> {
        MasterPty::resize(
            self.as_ref(),
            PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            },
        )
        .map_err(io::Error::other)
    }

    fn foreground_pgrp(&self) -> Option<i32> {
        self.process_group_leader()
    }
}

/// A running process in a PTY: its output, input, size control, pid and exit.
pub struct PtyProcess {
    /// The PTY master's output side.
    pub reader: Box<dyn Read + Send>,
    /// The PTY master's input side.
    pub writer: Box<dyn Write + Send>,
    /// Window size and foreground process group.
    pub control: Box<dyn PtyControl>,
    /// Process id (= process group id: the child is a session leader).
    pub pid: Option<u32>,
    /// Blocks until the process ends.
    pub wait: Box<dyn FnOnce() -> ExitInfo + Send>,
}

/// The seam between the runtime and real PTYs (zellij's `ServerOsApi` shape).
pub trait PtyBackend: Send + Sync {
    /// Starts `req`; an error carries the OS error (e.g. ENOENT).
    fn spawn(&self, req: SpawnRequest) -> io::Result<PtyProcess>;
}

type Job = (SpawnRequest, mpsc::Sender<io::Result<PtyProcess>>);

/// Real PTYs (portable-pty), forked from one long-lived spawner thread.
pub struct NativePty {
    jobs: std::sync::Mutex<mpsc::Sender<Job>>,
    children: Children,
}

/// Pids of processes this backend started and whose exit status a thread
/// still waits for: never to be reaped by anyone else.
type Children = std::sync::Arc<std::sync::Mutex<std::collections::HashSet<u32>>>;

impl NativePty {
    /// Starts the spawner thread. `helper` is the nox binary used as the
    /// pre-exec helper; `None` execs agents directly (no parent-death signal).
    pub fn new(helper: Option<PathBuf>) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        let children = Children::default();
        let mine = std::sync::Arc::clone(&children);
        std::thread::Builder::new()
            .name("nox-spawner".into())
            .spawn(move || {
                for (req, reply) in rx {
                    let _ = reply.send(spawn_native(&req, helper.as_deref(), &mine));
                }
            })?;
        Ok(Self {
            jobs: std::sync::Mutex::new(tx),
            children,
        })
    }

    /// Whether `pid` is a process this backend started and still waits for
    /// (an orphan reaper must leave it alone).
    pub fn owns(&self, pid: i32) -> bool {
        u32::try_from(pid).is_ok_and(|p| {
            self.children
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(&p)
        })
    }
}

impl PtyBackend for NativePty {
    fn spawn(&self, req: SpawnRequest) -> io::Result<PtyProcess> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .lock()
            .map_err(|_| io::Error::other("spawner lock poisoned"))?
            .send((req, tx))
            .map_err(|_| io::Error::other("spawner thread is gone"))?;
        rx.recv()
            .map_err(|_| io::Error::other("spawner thread is gone"))?
    }
}

fn spawn_native(
    req: &SpawnRequest,
    helper: Option<&Path>,
    children: &Children,
) -> io::Result<PtyProcess> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: req.rows.max(1),
            cols: req.cols.max(1),
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(io::Error::other)?;
    let mut cmd = match helper {
        Some(h) => {
            let mut c = CommandBuilder::new(h);
            c.arg(PTY_EXEC_ARG);
            c.arg(&req.program);
            c.env(PARENT_PID_ENV, std::process::id().to_string());
            c.env(UMASK_ENV, format!("{:o}", crate::sys::umask::original()));
            if let Some(cg) = &req.cgroup {
                c.env(CGROUP_ENV, cg);
            }
            c
        }
        None => CommandBuilder::new(&req.program),
    };
    cmd.args(&req.args);
    cmd.cwd(&req.cwd);
    for k in &req.env_remove {
        cmd.env_remove(k);
    }
    for (k, v) in &req.env {
        cmd.env(k, v);
    }
    let mut child = pair
        .slave
        .spawn_command(cmd)
        .map_err(|e| match e.downcast::<io::Error>() {
            Ok(io) => io,
            Err(other) => io::Error::other(other.to_string()),
        })?;
    drop(pair.slave);
    let pid = child.process_id();
    if let Some(p) = pid {
        children
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(p);
    }
    let waited = std::sync::Arc::clone(children);
    let reader = pair.master.try_clone_reader().map_err(io::Error::other)?;
    let writer = pair.master.take_writer().map_err(io::Error::other)?;
    Ok(PtyProcess {
        reader,
        writer,
        control: Box::new(pair.master),
        pid,
        wait: Box::new(move || {
            let info = match child.wait() {
                Ok(s) => ExitInfo {
                    code: s.exit_code(),
                    signal: s.signal().map(str::to_string),
                },
                Err(e) => ExitInfo {
                    code: 1,
                    signal: Some(format!("wait failed: {e}")),
                },
            };
            if let Some(p) = pid {
                waited
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&p);
            }
            info
        }),
    })
}

/// The `nox __pty-exec PROGRAM ARGS…` helper: set the parent-death signal,
/// make sure the parent did not die in between, then exec. Returns only on
/// failure, with the exit code to use (127, as shells do for exec failures).
pub fn pty_exec_main(args: &[OsString]) -> i32 {
    use std::os::unix::process::CommandExt;
    let Some((program, rest)) = args.split_first() else {
        eprintln!("nox {PTY_EXEC_ARG}: missing program");
        return 127;
    };
    let parent: Option<i32> = std::env::var(PARENT_PID_ENV)
        .ok()
        .and_then(|p| p.parse().ok());
    // SAFETY-free: nix wraps prctl(2).
    if let Err(e) = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL) {
        eprintln!("nox: prctl(PR_SET_PDEATHSIG): {e}");
    }
    if let Some(ppid) = parent
        && nix::unistd::getppid().as_raw() != ppid
    {
        return 127;
    }
    if let Some(cg) = std::env::var_os(CGROUP_ENV)
        && let Err(e) = crate::sys::cgroup::join(std::path::Path::new(&cg))
    {
        eprintln!("nox: cannot join the cgroup {}: {e}", cg.to_string_lossy());
    }
    if let Some(mask) = std::env::var(UMASK_ENV)
        .ok()
        .and_then(|m| u32::from_str_radix(&m, 8).ok())
    {
        crate::sys::set_umask(mask);
    }
    let err = std::process::Command::new(program)
        .args(rest)
        .env_remove(PARENT_PID_ENV)
        .env_remove(UMASK_ENV)
        .env_remove(CGROUP_ENV)
        .exec();
    eprintln!("nox: cannot run {}: {err}", program.to_string_lossy());
    127
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawns_a_real_process_and_reports_exit() {
        let pty = NativePty::new(None).expect("spawner");
        let mut p = pty
            .spawn(SpawnRequest {
                program: crate::sys::program::resolve_program("sh", Path::new("/"), None)
                    .expect("sh"),
                args: vec!["-c".into(), "stty size; exit 3".into()],
                cwd: "/".into(),
                env: vec![],
                env_remove: vec![],
                rows: 7,
                cols: 33,
                cgroup: None,
            })
            .expect("spawn");
        let mut out = Vec::new();
        let _ = p.reader.read_to_end(&mut out);
        assert!(String::from_utf8_lossy(&out).contains("7 33"), "{out:?}");
        let exit = (p.wait)();
        assert_eq!(
            exit,
            ExitInfo {
                code: 3,
                signal: None
            }
        );
    }
}
