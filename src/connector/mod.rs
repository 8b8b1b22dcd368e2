//! Per-kind knowledge of agent CLIs: how to turn an [`AgentSpec`] into the
//! argv and environment of a PTY spawn. One file per kind.

pub mod claude;
pub mod generic;

use std::path::Path;

use crate::config::Workspace;
use crate::domain::{AgentKind, AgentSpec};
use crate::runtime::pty::SpawnRequest;
use crate::runtime::pty::spawn::resolve_program;
use crate::runtime::stubs::StubPool;

/// The spawn request for `spec` at PTY size `(rows, cols)`. Errors are the
/// OS errors a start would give (ENOENT for a missing program or cwd).
pub async fn prepare(
    spec: &AgentSpec,
    ws: &Workspace,
    (rows, cols): (u16, u16),
    stubs: &StubPool,
) -> std::io::Result<SpawnRequest> {
    if !spec.cwd.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "working directory {}: {}",
                spec.cwd.display(),
                std::io::Error::from_raw_os_error(libc::ENOENT)
            ),
        ));
    }
    if spec.isolation == crate::domain::Isolation::Worktree {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "isolation = \"worktree\" needs the worktree manager, which this build does not have; use isolation = \"none\"",
        ));
    }
    let mut req = generic::base_request(spec, rows, cols);
    if spec.kind == AgentKind::Claude {
        claude::apply(spec, ws, &mut req, stubs).await?;
    }
    // Variables from the definition win over everything nox sets.
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
