//! The workspace: a directory holding `.nox/` (SPEC §2), its discovery and creation.

use std::path::{Path, PathBuf};

/// Name of the workspace directory.
pub const NOX_DIR: &str = ".nox";

/// A workspace root and the paths of its files (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The directory that holds `.nox/` (absolute).
    pub root: PathBuf,
}

impl Workspace {
    /// The workspace rooted at `root` (which holds or will hold `.nox/`).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let root = std::path::absolute(&root).unwrap_or(root);
        Self { root }
    }

    /// Walks up from `start` to the first directory holding `.nox/`.
    pub fn find(start: &Path) -> Option<Self> {
        let start = std::path::absolute(start).ok()?;
        start
            .ancestors()
            .find(|d| d.join(NOX_DIR).is_dir())
            .map(Self::at)
    }

    /// `<root>/.nox`.
    pub fn dir(&self) -> PathBuf {
        self.root.join(NOX_DIR)
    }
    /// `<root>/.nox/nox.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.dir().join("nox.toml")
    }
    /// `<root>/.nox/logs`.
    pub fn logs_dir(&self) -> PathBuf {
        self.dir().join("logs")
    }
    /// `<root>/.nox/logs/agents/<name>.log`.
    pub fn agent_log_path(&self, agent: &str) -> PathBuf {
        self.logs_dir().join("agents").join(format!("{agent}.log"))
    }
    /// `<root>/.nox/run/<agent>`: generated per-session files.
    pub fn run_dir(&self, agent: &str) -> PathBuf {
        self.dir().join("run").join(agent)
    }

    /// Creates `.nox/` with a commented `nox.toml` defining `default_agent`
    /// (see [`default_agent_toml`]). Returns `Ok(false)` and changes nothing
    /// when a `nox.toml` is already there.
    pub fn init(&self, default_agent: &str) -> std::io::Result<bool> {
        std::fs::create_dir_all(self.dir())?;
        std::fs::create_dir_all(self.logs_dir())?;
        let cfg = self.config_path();
        if cfg.exists() {
            return Ok(false);
        }
        std::fs::write(&cfg, format!("{CONFIG_HEADER}{default_agent}"))?;
        let ignore = self.dir().join(".gitignore");
        if !ignore.exists() {
            // nox.toml and tasks/ are worth committing; state and worktrees are not.
            std::fs::write(
                ignore,
                "nox.db*\nnox.sock\napi-token\nlogs/\nrun/\nworktrees/\n",
            )?;
        }
        Ok(true)
    }
}

/// The `[[agent]]` table `nox` and `nox init` start with: `claude` when it is
/// on `PATH`, else the user's `$SHELL` as a generic agent.
pub fn default_agent_toml() -> String {
    if crate::sys::program::resolve_program("claude", Path::new("."), None).is_ok() {
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = \"claude\"\n".to_string()
    } else {
        let shell = std::env::var("SHELL")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "/bin/sh".into());
        format!("[[agent]]\nname = \"shell\"\nkind = \"generic\"\ncommand = {shell:?}\n")
    }
}

const CONFIG_HEADER: &str = r#"# nox workspace configuration. Every field of an agent:
#
# [[agent]]
# name = "backend"              # [a-z0-9][a-z0-9_-]{0,31}; unique in the workspace
# kind = "claude"               # "claude" | "generic"
# command = "claude"            # program, resolved on PATH; never run through a shell
# args = []                     # extra arguments
# cwd = "."                     # relative to the workspace root
# env = { RUST_LOG = "info" }
# capabilities = ["rust", "api"]  # used by task routing
# isolation = "none"            # "none" | "worktree"
# restart = "on-failure"        # "never" | "on-failure" | "always"
# max_restarts = 5              # within restart_window_secs; past it the agent is "failed"
# restart_window_secs = 60
# permission_mode = "default"   # claude only: "default" | "acceptEdits" | "bypassPermissions" | "plan"
# model_script = ""             # claude only: run against nox's scripted model endpoint
# autostart = true
# ready_pattern = ""            # generic only: regex on the screen meaning "idle, ready for input"
# busy_pattern = ""             # generic only: regex meaning "working"
# wait_pattern = ""             # generic only: regex meaning "waiting for the user"
#
# [ui]
# theme = "default"             # default | light | solarized, or a file in $XDG_CONFIG_HOME/nox/themes/
# keymap = "default"            # default | vim, or a file in $XDG_CONFIG_HOME/nox/keymaps/
# scrollback = 10000            # lines of scrollback per agent (at most 100000)
#
# [routing]
# lease_secs = 600              # a task whose agent shows no progress this long goes back to the queue

"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_walks_up_to_the_workspace() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let ws = Workspace::at(tmp.path());
        assert!(ws.init("").expect("init"));
        let deep = tmp.path().join("a/b/c");
        std::fs::create_dir_all(&deep).expect("mkdir");
        assert_eq!(Workspace::find(&deep), Some(ws.clone()));
        assert!(
            !ws.init("").expect("second init"),
            "init must not overwrite"
        );
    }
}
