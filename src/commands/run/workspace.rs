//! Where a `nox run` runs. Without `--workspace`, in a temporary
//! directory (a git repository with one empty commit, so results list the
//! files an agent changed) that is removed at the end. With `--workspace
//! DIR`, in DIR: its `.nox/` is created when missing, with the plan's
//! agents as its nox.toml; when DIR already has a nox.toml, its agents
//! must be the plan's (the same definitions), else the run refuses to
//! start (exit 2) rather than run agents other than the file says.

use std::path::Path;

use crate::config::{Config, Workspace, load_config, parse_config};

use super::plan::Plan;

/// The run's workspace; a temporary one is removed when this drops.
pub struct RunWorkspace {
    /// The workspace.
    pub ws: Workspace,
    /// The temporary directory holding it, when `--workspace` was not given.
    pub temp: Option<tempfile::TempDir>,
}

impl RunWorkspace {
    /// Removes a temporary workspace (after the core has stopped).
    pub fn remove(self) -> std::io::Result<()> {
        match self.temp {
            Some(t) => t.close(),
            None => Ok(()),
        }
    }
}

/// Makes the workspace for `plan` (see the module's rule) and returns it
/// with the configuration the core runs; the error is the message and
/// exit code.
pub fn prepare(dir: Option<&Path>, plan: &Plan) -> Result<(RunWorkspace, Config), (u8, String)> {
    let io = |what: String, e: std::io::Error| (1, format!("cannot create {what}: {e}"));
    let (ws, temp) = match dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| io(d.display().to_string(), e))?;
            (Workspace::at(d), None)
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("nox-run-")
                .tempdir()
                .map_err(|e| io("a temporary workspace".into(), e))?;
            init_git(t.path()).map_err(|e| {
                (
                    1,
                    format!("cannot create the temporary workspace's repository: {e}"),
                )
            })?;
            (Workspace::at(t.path()), Some(t))
        }
    };
    let planned = parse_config(&ws.config_path(), &plan.config_text, &ws.root)
        .map_err(|e| (2, e.to_string()))?;
    if ws.config_path().is_file() {
        let existing = load_config(&ws.config_path(), &ws.root).map_err(|e| (2, e.to_string()))?;
        if existing.agents != planned.agents {
            return Err((
                2,
                format!(
                    "{} defines other agents than the plan {}; run the plan in another --workspace, or without one (a temporary workspace)",
                    ws.config_path().display(),
                    plan.path.display()
                ),
            ));
        }
    } else {
        ws.init(&plan.config_text)
            .map_err(|e| io(ws.config_path().display().to_string(), e))?;
    }
    Ok((RunWorkspace { ws, temp }, planned))
}

/// A git repository with one empty commit, ignoring `.nox/`.
fn init_git(root: &Path) -> Result<(), git2::Error> {
    std::fs::write(root.join(".gitignore"), ".nox/\n")
        .map_err(|e| git2::Error::from_str(&e.to_string()))?;
    let repo = git2::Repository::init(root)?;
    let mut index = repo.index()?;
    index.add_path(Path::new(".gitignore"))?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = git2::Signature::now("nox run", "run@nox.invalid")?;
    repo.commit(Some("HEAD"), &sig, &sig, "nox run workspace", &tree, &[])?;
    Ok(())
}
