//! Git worktrees for agents with `isolation = "worktree"` (SPEC §2): each
//! such agent works in `.nox/worktrees/<agent>/`, a worktree of the
//! workspace's repository on its own branch `nox/<agent>`, created from HEAD
//! on first start and reused afterwards (libgit2 through git2).

use std::path::{Path, PathBuf};

use git2::{BranchType, Repository, WorktreeAddOptions, WorktreePruneOptions};

use crate::config::Workspace;

/// The branch an agent's worktree checks out.
pub fn branch_name(agent: &str) -> String {
    format!("nox/{agent}")
}

/// Ensures the worktree of `agent` exists and returns its path. Errors say
/// what is missing (no repository, no commit yet) in words a user can act on.
pub fn ensure(ws: &Workspace, agent: &str) -> Result<PathBuf, String> {
    let path = ws.dir().join("worktrees").join(agent);
    let repo = Repository::discover(&ws.root).map_err(|e| {
        format!(
            "isolation = \"worktree\" needs a git repository at {}: {}",
            ws.root.display(),
            e.message()
        )
    })?;
    if path.join(".git").exists() {
        return Ok(path);
    }
    let name = format!("nox-{agent}");
    if let Ok(stale) = repo.find_worktree(&name) {
        // Its directory was removed by hand: forget it, then add it again.
        let _ = stale.prune(Some(
            WorktreePruneOptions::new().valid(true).working_tree(true),
        ));
    }
    let head = repo.head().and_then(|h| h.peel_to_commit()).map_err(|e| {
        format!(
            "isolation = \"worktree\" needs a commit to branch from: {}",
            e.message()
        )
    })?;
    let branch = match repo.find_branch(&branch_name(agent), BranchType::Local) {
        Ok(b) => b,
        Err(_) => repo
            .branch(&branch_name(agent), &head, false)
            .map_err(|e| e.message().to_string())?,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(branch.get()));
    repo.worktree(&name, &path, Some(&opts))
        .map_err(|e| format!("cannot add worktree {}: {}", path.display(), e.message()))?;
    tracing::info!(
        "created worktree {} on branch {}",
        path.display(),
        branch_name(agent)
    );
    Ok(path)
}

/// `cwd` of an agent, moved from the workspace root into its worktree.
pub fn map_cwd(ws: &Workspace, worktree: &Path, cwd: &Path) -> PathBuf {
    cwd.strip_prefix(&ws.root)
        .map_or_else(|_| worktree.to_path_buf(), |rel| worktree.join(rel))
}

/// The changed files of the git working tree holding `dir`, as `"M path"`
/// lines (`A` new, `M` modified, `D` deleted, `R` renamed), sorted; empty
/// when `dir` is not in a repository.
pub fn changed_files(dir: &Path) -> Vec<String> {
    let Ok(repo) = Repository::discover(dir) else {
        return Vec::new();
    };
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let Ok(statuses) = repo.statuses(Some(&mut opts)) else {
        return Vec::new();
    };
    let mut out: Vec<String> = statuses
        .iter()
        .filter_map(|e| {
            let s = e.status();
            let tag = if s.intersects(git2::Status::WT_NEW | git2::Status::INDEX_NEW) {
                "A"
            } else if s.intersects(git2::Status::WT_DELETED | git2::Status::INDEX_DELETED) {
                "D"
            } else if s.intersects(git2::Status::WT_RENAMED | git2::Status::INDEX_RENAMED) {
                "R"
            } else if s.intersects(
                git2::Status::WT_MODIFIED
                    | git2::Status::INDEX_MODIFIED
                    | git2::Status::WT_TYPECHANGE,
            ) {
                "M"
            } else {
                return None;
            };
            // nox's own directory is not the agent's work.
            e.path()
                .ok()
                .filter(|p| !p.starts_with(".nox/"))
                .map(|p| format!("{tag} {p}"))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with_commit(dir: &Path) {
        let repo = Repository::init(dir).expect("init");
        std::fs::write(dir.join("README"), "hi\n").expect("write");
        let mut index = repo.index().expect("index");
        index.add_path(Path::new("README")).expect("add");
        index.write().expect("index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let sig = git2::Signature::now("nox", "nox@example.invalid").expect("sig");
        repo.commit(Some("HEAD"), &sig, &sig, "first", &tree, &[])
            .expect("commit");
    }

    #[test]
    fn creates_then_reuses_a_worktree_on_its_branch() {
        let tmp = tempfile::tempdir().expect("tmp");
        repo_with_commit(tmp.path());
        let ws = Workspace::at(tmp.path());
        let wt = ensure(&ws, "backend").expect("worktree");
        assert!(wt.join("README").is_file());
        let opened = Repository::open(&wt).expect("open");
        let head = opened.head().expect("head");
        assert_eq!(head.shorthand().ok(), Some("nox/backend"));
        assert_eq!(ensure(&ws, "backend").expect("again"), wt);
        std::fs::remove_dir_all(&wt).expect("rm");
        assert!(
            ensure(&ws, "backend")
                .expect("re-created")
                .join("README")
                .is_file()
        );
        assert_eq!(
            map_cwd(&ws, &wt, &tmp.path().join("sub/dir")),
            wt.join("sub/dir")
        );
    }

    #[test]
    fn changed_files_lists_new_and_modified_paths() {
        let tmp = tempfile::tempdir().expect("tmp");
        repo_with_commit(tmp.path());
        assert!(changed_files(tmp.path()).is_empty());
        std::fs::write(tmp.path().join("README"), "changed\n").expect("w");
        std::fs::write(tmp.path().join("new.txt"), "x").expect("w");
        assert_eq!(changed_files(tmp.path()), ["A new.txt", "M README"]);
    }

    #[test]
    fn explains_what_is_missing() {
        let tmp = tempfile::tempdir().expect("tmp");
        let e = ensure(&Workspace::at(tmp.path()), "a").expect_err("no repo");
        assert!(e.contains("needs a git repository"), "{e}");
        Repository::init(tmp.path()).expect("init");
        let e = ensure(&Workspace::at(tmp.path()), "a").expect_err("no commit");
        assert!(e.contains("needs a commit"), "{e}");
    }
}
