//! Edits of `nox.toml` that keep the user's comments and layout
//! (`toml_edit`): adding and removing `[[agent]]` tables. Every edit holds
//! the workspace's config lock (`.nox/config.lock`, flock(2)) from read to
//! write, so concurrent edits (several `nox agent add`, the running
//! instance) never lose one; it is validated by re-parsing before it is
//! written, and written atomically (a unique temporary file, fsync, rename).

use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, value};

use super::{Config, ConfigError, parse_config};
use crate::domain::{AgentKind, RestartPolicy};

/// What `nox agent add` and the new-agent dialog provide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgent {
    /// Agent name.
    pub name: String,
    /// Kind.
    pub kind: AgentKind,
    /// Program and arguments (`argv[0]` is the program).
    pub argv: Vec<String>,
    /// Capabilities.
    pub capabilities: Vec<String>,
    /// `isolation = "worktree"` when true.
    pub worktree: bool,
    /// Restart policy, when not the default.
    pub restart: Option<RestartPolicy>,
}

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The file (before or after the edit) does not validate.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// No agent of that name.
    #[error("no agent named {0:?}")]
    NoSuchAgent(String),
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

fn read(path: &Path) -> Result<(String, DocumentMut), EditError> {
    let src = std::fs::read_to_string(path).map_err(|source| EditError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let doc = src
        .parse::<DocumentMut>()
        .map_err(|e| ConfigError::at(path, &src, e.span(), e.message().to_string()))?;
    Ok((src, doc))
}

/// How long an edit waits for another one to finish.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Takes the config lock next to `path` (waits up to [`LOCK_WAIT`]).
pub fn lock(path: &Path) -> Result<crate::sys::FileLock, EditError> {
    let lock = path.with_file_name("config.lock");
    crate::sys::FileLock::exclusive(&lock, LOCK_WAIT).map_err(|source| EditError::Io {
        path: lock.display().to_string(),
        source,
    })
}

fn write_checked(path: &Path, root: &Path, doc: &DocumentMut) -> Result<Config, EditError> {
    let text = doc.to_string();
    let cfg = parse_config(path, &text, root)?;
    crate::sys::atomic_write(path, text.as_bytes()).map_err(|source| EditError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(cfg)
}

/// Appends an `[[agent]]` table to the config at `path`; returns the new config.
pub fn add_agent(path: &Path, root: &Path, new: &NewAgent) -> Result<Config, EditError> {
    let _lock = lock(path)?;
    let (_, mut doc) = read(path)?;
    let mut t = Table::new();
    t["name"] = value(new.name.as_str());
    t["kind"] = value(new.kind.to_string());
    if let Some((prog, args)) = new.argv.split_first() {
        t["command"] = value(prog.as_str());
        if !args.is_empty() {
            t["args"] = value(args.iter().map(String::as_str).collect::<Array>());
        }
    }
    if !new.capabilities.is_empty() {
        t["capabilities"] = value(
            new.capabilities
                .iter()
                .map(String::as_str)
                .collect::<Array>(),
        );
    }
    if new.worktree {
        t["isolation"] = value("worktree");
    }
    if let Some(r) = new.restart {
        t["restart"] = value(r.to_string());
    }
    if let Item::ArrayOfTables(arr) = doc
        .entry("agent")
        .or_insert(Item::ArrayOfTables(toml_edit::ArrayOfTables::new()))
    {
        arr.push(t);
    } else {
        let src = doc.to_string();
        return Err(ConfigError::at(
            path,
            &src,
            None,
            "`agent` must be an array of tables ([[agent]])",
        )
        .into());
    }
    write_checked(path, root, &doc)
}

/// Removes the `[[agent]]` table named `name`; returns the new config.
pub fn remove_agent(path: &Path, root: &Path, name: &str) -> Result<Config, EditError> {
    let _lock = lock(path)?;
    let (_, mut doc) = read(path)?;
    let Some(Item::ArrayOfTables(arr)) = doc.get_mut("agent") else {
        return Err(EditError::NoSuchAgent(name.into()));
    };
    let idx = arr
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(name))
        .ok_or_else(|| EditError::NoSuchAgent(name.into()))?;
    // Comments above a table belong to it in toml_edit; keep the part that
    // a blank line separates from the table (file-level comments, such as
    // the reference block `nox init` writes) by moving it to the next table.
    let prefix = arr
        .get(idx)
        .and_then(|t| t.decor().prefix())
        .and_then(|p| p.as_str())
        .map(str::to_string)
        .unwrap_or_default();
    let keep = prefix
        .rfind("\n\n")
        .map_or("", |i| &prefix[..i + 2])
        .to_string();
    arr.remove(idx);
    if !keep.is_empty() {
        if let Some(next) = arr.get_mut(idx) {
            let old = next
                .decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            next.decor_mut().set_prefix(format!("{keep}{old}"));
        } else {
            let trailing = doc.trailing().as_str().unwrap_or("").to_string();
            doc.set_trailing(format!("{keep}{trailing}"));
        }
    }
    write_checked(path, root, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_then_remove_keeps_comments() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("nox.toml");
        std::fs::write(
            &path,
            "# my comment\n\n# about a\n[[agent]]\nname = \"a\"\ncommand = \"sh\"\n",
        )
        .expect("write");
        let new = NewAgent {
            name: "b".into(),
            kind: AgentKind::Generic,
            argv: vec!["bash".into(), "-l".into()],
            capabilities: vec!["rust".into()],
            worktree: false,
            restart: Some(RestartPolicy::Always),
        };
        let cfg = add_agent(&path, tmp.path(), &new).expect("add");
        assert_eq!(cfg.agents.len(), 2);
        assert_eq!(cfg.agents[1].args, ["-l"]);
        let dup = add_agent(&path, tmp.path(), &new).expect_err("duplicate");
        assert!(dup.to_string().contains("duplicate"), "{dup}");
        let cfg = remove_agent(&path, tmp.path(), "a").expect("rm");
        assert_eq!(cfg.agents.len(), 1);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("# my comment") && !text.contains("# about a"),
            "{text}"
        );
        assert!(matches!(
            remove_agent(&path, tmp.path(), "zz"),
            Err(EditError::NoSuchAgent(_))
        ));
    }
}
