//! The task-file watcher: `.nox/tasks/*.md` is watched with notify; a new
//! file becomes a task and gets its id and status written back into its
//! front matter, and the status is kept current as the task moves. Intake
//! is idempotent across a crash: the file's identity (name and content
//! hash) is the task's idempotency key, stored in the task's own
//! transaction, so a file imported just before a kill is recognised, not
//! imported twice. Write-backs are atomic (a kill leaves the old text or
//! the new). A malformed file is reported (file, line, column) and left
//! untouched; symbolic links, other non-regular files, binary files and
//! files over the size limit are refused with the reason in the log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::{broadcast, mpsc};

use super::RuntimeHandle;
use crate::domain::limits::MAX_TASK_FILE;
use crate::domain::taskfile::{parse, write_back};
use crate::domain::{Event, EventBody, NewTask, TaskId};

/// Starts watching `dir` (created if missing); runs until the runtime
/// ends or the returned task is aborted.
pub fn spawn(handle: RuntimeHandle, dir: PathBuf) -> std::io::Result<tokio::task::JoinHandle<()>> {
    std::fs::create_dir_all(&dir)?;
    let (tx, rx) = mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res
            && (ev.kind.is_create() || ev.kind.is_modify())
        {
            for p in ev.paths {
                let _ = tx.send(p);
            }
        }
    })
    .map_err(std::io::Error::other)?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(std::io::Error::other)?;
    let events = handle.subscribe();
    Ok(tokio::spawn(run(handle, dir, rx, events, watcher)))
}

fn is_task_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "md")
        && !p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// `NOX_DEBUG_WRITEBACK_DELAY_MS`: a test-only pause between importing a
/// task file and writing its id back; never set in normal use.
fn debug_writeback_delay() -> Option<u64> {
    std::env::var("NOX_DEBUG_WRITEBACK_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
}

/// 64-bit FNV-1a of `bytes`: a stable content identity (not a security hash).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Watch {
    handle: RuntimeHandle,
    files: HashMap<TaskId, PathBuf>,
    /// Paths reported as refused, with the report (each reported once).
    rejected: HashMap<PathBuf, String>,
}

async fn run(
    handle: RuntimeHandle,
    dir: PathBuf,
    mut paths: mpsc::UnboundedReceiver<PathBuf>,
    mut events: broadcast::Receiver<Event>,
    _watcher: notify::RecommendedWatcher,
) {
    let mut w = Watch {
        handle,
        files: HashMap::new(),
        rejected: HashMap::new(),
    };
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut existing: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_task_file(p))
            .collect();
        existing.sort();
        for p in existing {
            w.take(&p).await;
        }
    }
    loop {
        tokio::select! {
            p = paths.recv() => {
                let Some(first) = p else { return };
                // Editors write in bursts: settle, then take each file once.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let mut batch = vec![first];
                while let Ok(p) = paths.try_recv() {
                    batch.push(p);
                }
                batch.sort();
                batch.dedup();
                for p in batch.into_iter().filter(|p| is_task_file(p) && p.symlink_metadata().is_ok()) {
                    w.take(&p).await;
                }
            }
            ev = events.recv() => match ev {
                Ok(Event { body: EventBody::TaskUpdated { task, .. }, .. }) => {
                    if let Some(path) = w.files.get(&task.id) {
                        sync_status(path, task.id, task.status.as_str());
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => w.resync().await,
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

impl Watch {
    fn refuse(&mut self, path: &Path, why: String) {
        if self.rejected.get(path) != Some(&why) {
            tracing::error!("task file {}: {why}", path.display());
            self.rejected.insert(path.to_path_buf(), why);
        }
    }

    /// Reads one file: refused when not a regular file, too big or not
    /// text; a task already (it has an id) is remembered; a new one is
    /// created (or found by its identity) and gets its id written back; a
    /// malformed one is reported.
    async fn take(&mut self, path: &Path) {
        let Ok(meta) = path.symlink_metadata() else {
            return;
        };
        if meta.file_type().is_symlink() {
            return self.refuse(path, "is a symbolic link; task files must be regular files (nox neither reads nor writes through links)".into());
        }
        if !meta.is_file() {
            return self.refuse(path, "is not a regular file".into());
        }
        if meta.len() > MAX_TASK_FILE {
            return self.refuse(
                path,
                format!(
                    "is {} bytes; the limit is {MAX_TASK_FILE} bytes",
                    meta.len()
                ),
            );
        }
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) if !t.contains('\0') => t,
            _ => return self.refuse(path, "is not UTF-8 text (binary?); ignored".into()),
        };
        let parsed = match parse(path, &text) {
            Ok(p) => p,
            Err(e) => {
                // Report each distinct problem once, not on every write.
                let why = format!("{e}");
                if self.rejected.get(path) != Some(&why) {
                    tracing::error!("task file {e}");
                    self.rejected.insert(path.to_path_buf(), why);
                }
                return;
            }
        };
        self.rejected.remove(path);
        if let Some(id) = parsed.id {
            self.files.insert(id, path.to_path_buf());
            return;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let new = NewTask {
            title: parsed.title,
            body: parsed.body,
            priority: parsed.priority,
            needs: parsed.needs,
            after: parsed.after,
            assignee: parsed.assign,
            max_attempts: None,
            key: Some(format!("file:{name}:{:016x}", fnv1a(text.as_bytes()))),
            created_by: format!("file:{name}"),
            parent: None,
        };
        match self.handle.add_task(new).await {
            Ok((t, made)) => {
                self.files.insert(t.id, path.to_path_buf());
                if let Some(ms) = debug_writeback_delay() {
                    // Fault injection for the kill -9 storm test: widens the
                    // window between the task's commit and the write-back.
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                if let Err(e) = crate::sys::atomic_write(
                    path,
                    write_back(&text, t.id, t.status.as_str()).as_bytes(),
                ) {
                    tracing::error!(
                        "task file {}: cannot write the id back: {e}",
                        path.display()
                    );
                }
                if made {
                    tracing::info!("task file {} became task {}", path.display(), t.id);
                } else {
                    tracing::info!(
                        "task file {} is task {} (imported before)",
                        path.display(),
                        t.id
                    );
                }
            }
            Err(e) => {
                let why = format!("refused: {e}");
                self.refuse(path, why);
            }
        }
    }

    /// Missed events (a lagging receiver): bring every known file's status
    /// up to date from the store.
    async fn resync(&mut self) {
        let Ok(tasks) = self.handle.tasks().await else {
            return;
        };
        for t in tasks {
            if let Some(path) = self.files.get(&t.id) {
                sync_status(path, t.id, t.status.as_str());
            }
        }
    }
}

fn sync_status(path: &Path, id: TaskId, status: &str) {
    let Ok(meta) = path.symlink_metadata() else {
        return;
    };
    if !meta.is_file() {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    if parse(path, &text).ok().and_then(|p| p.id) != Some(id) {
        return;
    }
    let updated = write_back(&text, id, status);
    if updated != text
        && let Err(e) = crate::sys::atomic_write(path, updated.as_bytes())
    {
        tracing::warn!(
            "task file {}: cannot update the status: {e}",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_its_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(b"# A\n"), fnv1a(b"# B\n"));
    }
}
