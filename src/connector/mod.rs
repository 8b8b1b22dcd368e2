//! Per-kind knowledge of agent CLIs behind one seam, [`Connector`]: how to
//! start the program (argv, environment, generated settings), what its
//! screen and hooks say about its status, whether it took a prompt, and
//! when a task's turn is over. The runtime holds one connector per agent
//! and never branches on the agent's kind; this module knows nothing of
//! the runtime (it depends on the domain, the workspace and the OS helpers).

pub mod claude;
pub mod claude_screen;
pub mod generic;
pub mod stubs;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use crate::config::Workspace;
use crate::domain::hook::HookEvent;
use crate::domain::{AgentKind, AgentSpec, AgentStatus, ExitInfo};
use crate::sys::program::resolve_program;
use stubs::StubPool;

/// What to run: an already resolved program, arguments, cwd, environment, size.
#[derive(Debug, Clone)]
pub struct SpawnRequest {
    /// Absolute path of the program (see [`resolve_program`]).
    pub program: PathBuf,
    /// Arguments after the program.
    pub args: Vec<String>,
    /// Working directory.
    pub cwd: PathBuf,
    /// Variables to set over nox's environment.
    pub env: Vec<(String, String)>,
    /// Variables to remove from nox's environment.
    pub env_remove: Vec<String>,
    /// PTY rows.
    pub rows: u16,
    /// PTY columns.
    pub cols: u16,
    /// A cgroup (v2) directory the process joins before exec, if any.
    pub cgroup: Option<PathBuf>,
}

/// What preparing a spawn needs from the runtime.
pub struct Ctx<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// Scripted model endpoints.
    pub stubs: &'a StubPool,
    /// The nox binary hooks call; `None` starts claude without hooks.
    pub nox_exe: Option<&'a Path>,
    /// This nox instance's tag, given to every agent as `NOX_INSTANCE` (its
    /// descendants inherit it; see `sys::reaper`).
    pub instance: &'a str,
}

/// What the runtime sees of an agent at a moment: the screen's text, the
/// foreground job when it is not the agent's own process, and the output
/// since a prompt was submitted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Observation<'a> {
    /// The screen's text (rows trimmed).
    pub screen: &'a str,
    /// The command name of the terminal's foreground process group when it
    /// is not the agent's process (a shell running `sleep 15`).
    pub foreground: Option<&'a str>,
    /// Output since the prompt was submitted (raw bytes).
    pub since_submit: &'a [u8],
    /// The prompt of the task the agent holds (empty when none).
    pub prompt: &'a str,
}

/// What a hook means for the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookOutcome {
    /// The status it implies, with the evidence.
    pub status: Option<(AgentStatus, String)>,
    /// A session id to keep (and resume after a restart).
    pub session: Option<String>,
    /// The agent accepted a prompt (delivery confirmed).
    pub prompt_accepted: bool,
    /// The agent's turn ended, with its final message.
    pub turn_ended: Option<String>,
}

/// How a task's turn ends when the agent is found idle at a quiet moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnEnd {
    /// The task is complete, with this result.
    Completed(String),
    /// The turn was cut short (an Esc in the pane): the task failed.
    Interrupted,
}

/// A boxed future of a spawn request.
pub type Prepared<'a> = Pin<Box<dyn Future<Output = io::Result<SpawnRequest>> + Send + 'a>>;

/// The default quiet window: one second without output.
pub const QUIET: std::time::Duration = std::time::Duration::from_secs(1);

/// Per-kind behaviour of one agent. Methods take observations, not the
/// runtime's objects; state a kind keeps (Claude's session id) lives in
/// its connector.
pub trait Connector: Send + Sync {
    /// The spawn request for `spec` at PTY size `(rows, cols)`. Errors are
    /// the OS errors a start would give (ENOENT for a missing program or cwd).
    fn prepare<'a>(
        &'a mut self,
        spec: &'a AgentSpec,
        ctx: &'a Ctx<'a>,
        size: (u16, u16),
    ) -> Prepared<'a>;
    /// Whether output after a quiet period means `busy` (otherwise only hooks
    /// and screen rules decide).
    fn busy_on_output(&self) -> bool;
    /// The status at a quiet moment ([`Connector::quiet_window`] without
    /// output), if the kind can tell.
    fn status_at_quiet(&self, obs: &Observation<'_>) -> Option<(AgentStatus, String)>;
    /// How long the agent must print nothing before its screen is read for
    /// a status: [`QUIET`] unless the kind knows better.
    fn quiet_window(&self) -> std::time::Duration {
        QUIET
    }
    /// What a Claude Code hook means; an error when this kind takes none.
    fn on_hook(&mut self, ev: &HookEvent) -> Result<HookOutcome, String>;
    /// Whether the agent's input holds text the user typed (no prompt is
    /// typed over it).
    fn input_pending(&self, screen: &str) -> bool;
    /// Whether the typed prompt still sits in the agent's input (not yet
    /// submitted): `Some(false)` when the input is visibly empty, `None`
    /// when the kind cannot tell.
    fn prompt_still_typed(&self, screen: &str) -> Option<bool>;
    /// Bytes that clear what the agent's input holds (before a prompt is
    /// typed again, or over a prompt an interrupted turn put back).
    fn clear_input(&self, screen: &str) -> Vec<u8>;
    /// After a prompt was submitted: evidence that the program took it,
    /// other than a hook (`None`: none yet).
    fn delivery_evidence(&self, obs: &Observation<'_>) -> Option<String>;
    /// The agent is idle at a quiet moment while running a task: how the
    /// task's turn ended.
    fn idle_during_task(&self, obs: &Observation<'_>) -> TurnEnd;
    /// A session id the store kept from an earlier run (resume it).
    fn restore_session(&mut self, id: Option<String>);
    /// The process ended: `quick` when within seconds of its start.
    /// Returns a new session id to keep (a resume that failed), and, when
    /// the program stopped at a step only the user can take (a login, a
    /// setup that needs the network), why: after a quick exit the agent is
    /// then `waiting` with that reason instead of restarting.
    fn on_exit(
        &mut self,
        info: &ExitInfo,
        quick: bool,
        screen: &str,
    ) -> (Option<String>, Option<String>);
}

/// The connector for an agent definition.
pub fn for_spec(spec: &AgentSpec) -> Box<dyn Connector> {
    match spec.kind {
        AgentKind::Claude => Box::new(claude::Claude::new(spec)),
        AgentKind::Generic => Box::new(generic::Generic::new(spec)),
    }
}

/// What every kind does before its own part: the worktree (with
/// `isolation = "worktree"`), the working directory check, the base
/// environment. Returns the spec with its effective cwd and the request.
pub(crate) async fn base(
    spec: &AgentSpec,
    ctx: &Ctx<'_>,
    (rows, cols): (u16, u16),
) -> io::Result<(AgentSpec, SpawnRequest)> {
    let ws = ctx.ws;
    let mut spec = spec.clone();
    if spec.isolation == crate::domain::Isolation::Worktree {
        let ws2 = ws.clone();
        let name = spec.name.clone();
        let tree = tokio::task::spawn_blocking(move || crate::worktree::ensure(&ws2, &name))
            .await
            .map_err(|e| io::Error::other(e.to_string()))?
            .map_err(io::Error::other)?;
        spec.cwd = crate::worktree::map_cwd(ws, &tree, &spec.cwd);
    }
    if !spec.cwd.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "working directory {}: {}",
                spec.cwd.display(),
                io::Error::from_raw_os_error(libc::ENOENT)
            ),
        ));
    }
    let req = generic::base_request(&spec, ctx.instance, rows, cols);
    Ok((spec, req))
}

/// What every kind does after its own part: the definition's `env` wins
/// over everything nox set, and the program is resolved on the resulting
/// `PATH` (an error: ENOENT or EACCES, as execvp would give).
pub(crate) fn finish(spec: &AgentSpec, mut req: SpawnRequest) -> io::Result<SpawnRequest> {
    for (k, v) in &spec.env {
        req.env.retain(|(name, _)| name != k);
        req.env.push((k.clone(), v.clone()));
        req.env_remove.retain(|name| name != k);
    }
    let path = req
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_str());
    req.program = resolve_program(&spec.command, &spec.cwd, path)?;
    Ok(req)
}

/// Whether `program` would be found for an agent started in `cwd`.
pub fn on_path(program: &str, cwd: &Path) -> bool {
    resolve_program(program, cwd, None).is_ok()
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
