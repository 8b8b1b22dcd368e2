//! The task-file watcher: `.nox/tasks/*.md` is watched with notify; a new
//! file becomes a task and gets its id and status written back into its
//! front matter, and the status is kept current as the task moves. A
//! malformed file is reported in the log (file, line, column) and left
//! untouched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::{broadcast, mpsc};

use super::RuntimeHandle;
use super::handle::Event;
use crate::domain::TaskId;
use crate::domain::taskfile::{parse, write_back};
use crate::store::tasks::NewTask;

/// Starts watching `dir` (created if missing); runs until the runtime ends.
pub fn spawn(handle: RuntimeHandle, dir: PathBuf) -> std::io::Result<()> {
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
    tokio::spawn(run(handle, dir, rx, events, watcher));
    Ok(())
}

fn is_task_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "md")
        && !p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

async fn run(
    handle: RuntimeHandle,
    dir: PathBuf,
    mut paths: mpsc::UnboundedReceiver<PathBuf>,
    mut events: broadcast::Receiver<Event>,
    _watcher: notify::RecommendedWatcher,
) {
    let mut files: HashMap<TaskId, PathBuf> = HashMap::new();
    let mut rejected: HashMap<PathBuf, String> = HashMap::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut existing: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_task_file(p))
            .collect();
        existing.sort();
        for p in existing {
            take(&handle, &p, &mut files, &mut rejected).await;
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
                for p in batch.into_iter().filter(|p| is_task_file(p) && p.is_file()) {
                    take(&handle, &p, &mut files, &mut rejected).await;
                }
            }
            ev = events.recv() => match ev {
                Ok(Event::Task(t)) => {
                    if let Some(path) = files.get(&t.id) {
                        sync_status(path, t.id, t.status.as_str());
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// Reads one file: a task already (it has an id) is remembered; a new one
/// is created and gets its id written back; a malformed one is reported.
async fn take(
    handle: &RuntimeHandle,
    path: &Path,
    files: &mut HashMap<TaskId, PathBuf>,
    rejected: &mut HashMap<PathBuf, String>,
) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let parsed = match parse(path, &text) {
        Ok(p) => p,
        Err(e) => {
            // Report each distinct problem once, not on every write.
            if rejected.get(path) != Some(&text) {
                tracing::error!("task file {e}");
                rejected.insert(path.to_path_buf(), text);
            }
            return;
        }
    };
    rejected.remove(path);
    if let Some(id) = parsed.id {
        files.insert(id, path.to_path_buf());
        return;
    }
    let new = NewTask {
        title: parsed.title,
        body: parsed.body,
        priority: parsed.priority,
        needs: parsed.needs,
        after: parsed.after,
        assignee: parsed.assign,
        max_attempts: None,
    };
    match handle.add_task(new).await {
        Ok(t) => {
            files.insert(t.id, path.to_path_buf());
            if let Err(e) = std::fs::write(path, write_back(&text, t.id, t.status.as_str())) {
                tracing::error!(
                    "task file {}: cannot write the id back: {e}",
                    path.display()
                );
            }
            tracing::info!("task file {} became task {}", path.display(), t.id);
        }
        Err(e) => {
            tracing::error!("task file {}: refused: {e}", path.display());
            rejected.insert(path.to_path_buf(), text);
        }
    }
}

fn sync_status(path: &Path, id: TaskId, status: &str) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    if parse(path, &text).ok().and_then(|p| p.id) != Some(id) {
        return;
    }
    let updated = write_back(&text, id, status);
    if updated != text {
        let _ = std::fs::write(path, updated);
    }
}
