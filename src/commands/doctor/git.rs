//! `git` on `PATH` and the repository of the workspace. nox itself reads
//! the repository through libgit2, so a missing `git` is a warning (the
//! agents use it); no repository fails only when an agent has
//! `isolation = "worktree"`, which branches from its HEAD.

use std::path::Path;
use std::process::Command;

use git2::Repository;

use super::Check;
use super::probe::{self, Probe};

/// The `git` and `repository` checks for the workspace at `dir`;
/// `worktree_agents` are the agents that need a repository with a commit.
pub fn checks(dir: &Path, worktree_agents: &[String]) -> Vec<Check> {
    vec![git_program(dir), repository(dir, worktree_agents)]
}

fn git_program(dir: &Path) -> Check {
    let Ok(git) = crate::sys::program::resolve_program("git", dir, None) else {
        return Check::warn(
            "git",
            "git is not on PATH (agents use it to commit and diff their work)",
        )
        .fix("install git, e.g. `apt install git` or `brew install git`");
    };
    let mut cmd = Command::new(&git);
    cmd.arg("--version");
    match probe::run(cmd, probe::WITHIN) {
        p @ Probe::Exited(..) => match p.first_line() {
            Some(v) => Check::ok("git", format!("{v} ({})", git.display())),
            None => Check::warn("git", format!("{} --version failed", git.display()))
                .fix("reinstall git"),
        },
        Probe::TimedOut => Check::warn(
            "git",
            format!(
                "{} --version did not answer within {}s",
                git.display(),
                probe::WITHIN.as_secs()
            ),
        )
        .fix("reinstall git"),
        Probe::Failed(e) => {
            Check::warn("git", format!("cannot run {}: {e}", git.display())).fix("reinstall git")
        }
    }
}

fn repository(dir: &Path, worktree_agents: &[String]) -> Check {
    let needs = (!worktree_agents.is_empty()).then(|| {
        format!(
            "agent{} {} use{} isolation = \"worktree\"",
            if worktree_agents.len() == 1 { "" } else { "s" },
            worktree_agents.join(", "),
            if worktree_agents.len() == 1 { "s" } else { "" },
        )
    });
    let repo = match Repository::discover(dir) {
        Ok(r) => r,
        Err(e) => {
            let detail = format!("{} is not in a git repository", dir.display());
            let init = format!(
                "`git init && git add -A && git commit -m 'first commit'` in {}",
                dir.display()
            );
            return match needs {
                Some(n) => Check::fail(
                    "repository",
                    format!("{detail}, and {n} ({})", e.message()),
                    init,
                ),
                None => Check::warn(
                    "repository",
                    format!("{detail}: tasks' changed files and worktree isolation need one"),
                )
                .fix(init),
            };
        }
    };
    // A work tree's path ends in `/`; the report names directories without.
    let at: std::path::PathBuf = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .components()
        .collect();
    let at = at.display().to_string();
    match repo.head() {
        Ok(head) => {
            let on = head.shorthand().unwrap_or("a detached HEAD");
            Check::ok("repository", format!("{at} (on {on})"))
        }
        Err(_) => match needs {
            Some(n) => Check::fail(
                "repository",
                format!("{at} has no commit yet, and {n}: they branch from HEAD"),
                format!("`git add -A && git commit -m 'first commit'` in {at}"),
            ),
            None => Check::ok("repository", format!("{at} (no commit yet)")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;

    #[test]
    fn a_repository_is_needed_only_by_worktree_agents() {
        let tmp = tempfile::tempdir().expect("tmp");
        assert_eq!(repository(tmp.path(), &[]).status, Status::Warn);
        let c = repository(tmp.path(), &["a".into()]);
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("agent a uses"), "{}", c.detail);
        Repository::init(tmp.path()).expect("init");
        assert!(repository(tmp.path(), &[]).detail.contains("no commit yet"));
        let c = repository(tmp.path(), &["a".into(), "b".into()]);
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.is_some_and(|f| f.contains("git commit")));
    }
}
