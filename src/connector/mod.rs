//! Per-kind knowledge of agent CLIs: how to turn an [`AgentSpec`] into the
//! argv and environment of a PTY spawn. One file per kind.

pub mod claude;
pub mod claude_screen;
pub mod generic;

use std::path::Path;

use crate::config::Workspace;
use crate::domain::{AgentKind, AgentSpec};
use crate::runtime::pty::SpawnRequest;
use crate::runtime::pty::spawn::resolve_program;
use crate::runtime::stubs::StubPool;

/// What preparing a spawn needs from the runtime.
pub struct Ctx<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// Scripted model endpoints.
    pub stubs: &'a StubPool,
    /// The nox binary hooks call; `None` starts claude without hooks.
    pub nox_exe: Option<&'a Path>,
    /// Claude: the session to start (`--session-id`) or resume (`--resume`).
    pub session_id: Option<&'a str>,
}

/// The spawn request for `spec` at PTY size `(rows, cols)`. Errors are the
/// OS errors a start would give (ENOENT for a missing program or cwd).
pub async fn prepare(
    spec: &AgentSpec,
    ctx: &Ctx<'_>,
    (rows, cols): (u16, u16),
) -> std::io::Result<SpawnRequest> {
    let ws = ctx.ws;
    let mut spec = std::borrow::Cow::Borrowed(spec);
    if spec.isolation == crate::domain::Isolation::Worktree {
        let ws2 = ws.clone();
        let name = spec.name.clone();
        let tree =
            tokio::task::spawn_blocking(move || crate::runtime::worktree::ensure(&ws2, &name))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?
                .map_err(std::io::Error::other)?;
        spec.to_mut().cwd = crate::runtime::worktree::map_cwd(ws, &tree, &spec.cwd);
    }
    let spec = spec.as_ref();
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
    let mut req = generic::base_request(spec, rows, cols);
    if spec.kind == AgentKind::Claude {
        claude::apply(spec, ctx, &mut req).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AgentKind, Isolation, RestartPolicy};

    fn spec(root: &Path, isolation: Isolation) -> AgentSpec {
        let mut s = AgentSpec::new("w", AgentKind::Generic, "sh", root.join("sub"));
        s.env = [("TERM".to_string(), "dumb".to_string())].into();
        s.isolation = isolation;
        s.restart = RestartPolicy::Never;
        s
    }

    #[tokio::test]
    async fn generic_request_env_and_worktree_cwd() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path();
        std::fs::create_dir_all(root.join("sub")).expect("mkdir");
        let ws = Workspace::at(root);
        let stubs = StubPool::default();
        let req = prepare(
            &spec(root, Isolation::None),
            &Ctx {
                ws: &ws,
                stubs: &stubs,
                nox_exe: None,
                session_id: None,
            },
            (10, 40),
        )
        .await
        .expect("prepare");
        assert!(req.program.ends_with("sh"));
        assert_eq!(req.cwd, root.join("sub"));
        assert!(
            req.env.contains(&("TERM".into(), "dumb".into())),
            "the definition's env wins"
        );
        assert!(
            !req.env
                .iter()
                .any(|(k, v)| k == "TERM" && v == "xterm-256color")
        );
        assert!(req.env_remove.contains(&"COLORTERM".to_string()));

        let e = prepare(
            &spec(root, Isolation::Worktree),
            &Ctx {
                ws: &ws,
                stubs: &stubs,
                nox_exe: None,
                session_id: None,
            },
            (10, 40),
        )
        .await
        .expect_err("no repo");
        assert!(e.to_string().contains("git repository"), "{e}");
        let repo = git2::Repository::init(root).expect("init");
        std::fs::write(root.join("sub/f"), "x").expect("w");
        let mut index = repo.index().expect("index");
        index.add_path(Path::new("sub/f")).expect("add");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = git2::Signature::now("n", "n@example.invalid").expect("sig");
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])
            .expect("commit");
        let req = prepare(
            &spec(root, Isolation::Worktree),
            &Ctx {
                ws: &ws,
                stubs: &stubs,
                nox_exe: None,
                session_id: None,
            },
            (10, 40),
        )
        .await
        .expect("worktree");
        assert_eq!(req.cwd, ws.dir().join("worktrees/w/sub"));
    }
}
