//! Tasks in the store: creation (dependencies checked, cycles refused with
//! the cycle named, idempotency keys honoured), typed reads, and
//! transitions that save the task, emit `task.updated` and unblock
//! dependents in the same transaction.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, StoreError, Tx, now_ms};
use crate::domain::task::{DEFAULT_MAX_ATTEMPTS, find_cycle, transition};
use crate::domain::{EventBody, NewTask, Task, TaskEvent, TaskId, TaskStatus, TaskSummary};

const COLUMNS: &str = "id, title, body, priority, needs, assignee, status, attempts, max_attempts, lease_until, result, detail, created_ms, retry_at, created_by, pinned, parent";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Task> {
    let needs: String = r.get(4)?;
    let status: String = r.get(6)?;
    Ok(Task {
        id: r.get(0)?,
        title: r.get(1)?,
        body: r.get(2)?,
        priority: r.get(3)?,
        needs: serde_json::from_str(&needs).unwrap_or_default(),
        after: Vec::new(),
        assignee: r.get(5)?,
        status: TaskStatus::parse(&status).unwrap_or(TaskStatus::Failed),
        attempts: r.get(7)?,
        max_attempts: r.get(8)?,
        lease_until: r.get(9)?,
        result: r.get(10)?,
        detail: r.get(11)?,
        created_ms: r.get(12)?,
        retry_at: r.get(13)?,
        created_by: r.get(14)?,
        pinned: r.get(15)?,
        parent: r.get(16)?,
    })
}

fn deps(conn: &Connection) -> Result<BTreeMap<TaskId, Vec<TaskId>>> {
    let mut stmt = conn.prepare_cached("SELECT task, after FROM task_deps ORDER BY after")?;
    let mut map: BTreeMap<TaskId, Vec<TaskId>> = BTreeMap::new();
    for row in stmt.query_map([], |r| Ok((r.get::<_, TaskId>(0)?, r.get::<_, TaskId>(1)?)))? {
        let (t, a) = row?;
        map.entry(t).or_default().push(a);
    }
    Ok(map)
}

fn deps_of(conn: &Connection, id: TaskId) -> Result<Vec<TaskId>> {
    let mut stmt =
        conn.prepare_cached("SELECT after FROM task_deps WHERE task = ?1 ORDER BY after")?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One task with its dependencies.
pub fn get(conn: &Connection, id: TaskId) -> Result<Option<Task>> {
    let task = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?;
    Ok(match task {
        Some(mut t) => {
            t.after = deps_of(conn, id)?;
            Some(t)
        }
        None => None,
    })
}

/// Every task (optionally of one status), by priority then id.
pub fn list(conn: &Connection, status: Option<TaskStatus>) -> Result<Vec<Task>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tasks WHERE (?1 IS NULL OR status = ?1) ORDER BY priority DESC, id"
    ))?;
    let mut tasks = stmt
        .query_map([status.map(TaskStatus::as_str)], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut all = deps(conn)?;
    for t in &mut tasks {
        t.after = all.remove(&t.id).unwrap_or_default();
    }
    Ok(tasks)
}

/// Open tasks (not done, failed or cancelled) per assignee: the load that
/// routing compares.
pub fn open_by_assignee(conn: &Connection) -> Result<BTreeMap<String, usize>> {
    let mut stmt = conn.prepare_cached(
        "SELECT assignee, count(*) FROM tasks
         WHERE assignee IS NOT NULL AND status NOT IN ('done', 'failed', 'cancelled')
         GROUP BY assignee",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, usize>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Tasks by status.
pub fn counts(conn: &Connection) -> Result<BTreeMap<String, usize>> {
    let mut stmt = conn.prepare_cached("SELECT status, count(*) FROM tasks GROUP BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, usize>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn status_of(conn: &Connection, id: TaskId) -> Result<Option<TaskStatus>> {
    let s: Option<String> = conn
        .prepare_cached("SELECT status FROM tasks WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(s.and_then(|s| TaskStatus::parse(&s)))
}

/// The task created with idempotency key `key`, if any.
pub fn by_key(conn: &Connection, key: &str) -> Result<Option<Task>> {
    let id: Option<TaskId> = conn
        .prepare_cached("SELECT id FROM tasks WHERE idem_key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => get(conn, id),
        None => Ok(None),
    }
}

/// Creates a task and emits `task.created`; returns it and whether it is
/// new. With an idempotency key already used, returns the task that key
/// created and `false` (nothing is written). Refuses dependencies on
/// missing tasks and dependency cycles, naming them.
pub fn create(tx: &mut Tx<'_>, new: &NewTask) -> Result<(Task, bool)> {
    if let Some(key) = &new.key
        && let Some(t) = by_key(tx, key)?
    {
        return Ok((t, false));
    }
    let mut deps_done = true;
    for a in &new.after {
        match status_of(tx, *a)? {
            None => {
                return Err(StoreError::Refused(format!(
                    "`after` names task {a}, which does not exist"
                )));
            }
            Some(s) => deps_done &= s == TaskStatus::Done,
        }
    }
    let mut t = Task::new(0, &new.title, &new.body, new.after.clone(), deps_done);
    t.priority = new.priority;
    t.needs.clone_from(&new.needs);
    t.assignee.clone_from(&new.assignee);
    t.pinned = new.assignee.is_some();
    t.max_attempts = new.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    t.created_by = if new.created_by.is_empty() {
        "user".into()
    } else {
        new.created_by.clone()
    };
    t.parent = new.parent;
    let now = now_ms();
    tx.prepare_cached(
        "INSERT INTO tasks(title, body, priority, needs, assignee, status, attempts, max_attempts, detail, created_ms, updated_ms, idem_key, created_by, pinned, parent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, '', ?8, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        t.title,
        t.body,
        t.priority,
        serde_json::to_string(&t.needs).unwrap_or_else(|_| "[]".into()),
        t.assignee,
        t.status.as_str(),
        t.max_attempts,
        now,
        new.key,
        t.created_by,
        t.pinned,
        t.parent,
    ])?;
    t.id = TaskId::try_from(tx.last_insert_rowid()).unwrap_or_default();
    t.created_ms = now;
    set_after(tx, t.id, &t.after)?;
    tx.emit(EventBody::TaskCreated {
        task: TaskSummary::from(&t),
        by: t.created_by.clone(),
    })?;
    Ok((t, true))
}

/// Replaces the dependencies of `id`; a missing task or a cycle is
/// refused, naming it (`dependency cycle: #1 → #2 → #1`).
pub fn set_after(conn: &Connection, id: TaskId, after: &[TaskId]) -> Result<()> {
    let mut graph = deps(conn)?;
    graph.remove(&id);
    if let Some(cycle) = find_cycle(&graph, id, after) {
        let path: Vec<String> = cycle.iter().map(|i| format!("#{i}")).collect();
        return Err(StoreError::Refused(format!(
            "dependency cycle: {}",
            path.join(" → ")
        )));
    }
    conn.execute("DELETE FROM task_deps WHERE task = ?1", [id])?;
    for a in after {
        if status_of(conn, *a)?.is_none() {
            return Err(StoreError::Refused(format!(
                "`after` names task {a}, which does not exist"
            )));
        }
        conn.prepare_cached("INSERT OR IGNORE INTO task_deps(task, after) VALUES (?1, ?2)")?
            .execute([id, *a])?;
    }
    Ok(())
}

/// Sets the assignee of a queued or blocked task (`None`: routing decides).
pub fn set_assignee(tx: &mut Tx<'_>, id: TaskId, agent: Option<&str>) -> Result<Task> {
    let mut t = get(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("no task {id}")))?;
    if !matches!(t.status, TaskStatus::Queued | TaskStatus::Blocked) {
        return Err(StoreError::Conflict(format!(
            "task {id} is {}: only queued or blocked tasks can be assigned",
            t.status
        )));
    }
    t.assignee = agent.map(str::to_string);
    t.pinned = agent.is_some();
    save(tx, &t)?;
    let cause = match agent {
        Some(a) => format!("assignee set to {a}"),
        None => "left to routing".into(),
    };
    tx.emit(EventBody::TaskUpdated {
        task: TaskSummary::from(&t),
        from: t.status,
        cause,
        result: None,
    })?;
    Ok(t)
}

fn save(conn: &Connection, t: &Task) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tasks SET assignee = ?2, status = ?3, attempts = ?4, lease_until = ?5, result = ?6, detail = ?7, updated_ms = ?8, retry_at = ?9, pinned = ?10
         WHERE id = ?1",
    )?
    .execute(params![t.id, t.assignee, t.status.as_str(), t.attempts, t.lease_until, t.result, t.detail, now_ms(), t.retry_at, t.pinned])?;
    Ok(())
}

/// Applies `ev` to task `id`: saves it, emits `task.updated` (lease
/// renewals are saved silently), and when it is done, unblocks the tasks
/// whose dependencies are now all done. A refused edge is a
/// [`StoreError::Conflict`] naming the task, its status and the edge.
pub fn apply(tx: &mut Tx<'_>, id: TaskId, ev: &TaskEvent) -> Result<Task> {
    let old = get(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("no task {id}")))?;
    let new = transition(&old, ev).map_err(|e| StoreError::Conflict(e.to_string()))?;
    save(tx, &new)?;
    if !matches!(ev, TaskEvent::Renew { .. }) {
        tx.emit(EventBody::TaskUpdated {
            task: TaskSummary::from(&new),
            from: old.status,
            cause: ev.describe(),
            result: match ev {
                TaskEvent::Completed { result } => Some(result.clone()),
                _ => None,
            },
        })?;
    }
    if new.status == TaskStatus::Done {
        let dependents: Vec<TaskId> = tx
            .prepare_cached("SELECT task FROM task_deps WHERE after = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for d in dependents {
            if status_of(tx, d)? != Some(TaskStatus::Blocked) {
                continue;
            }
            let mut all_done = true;
            for a in deps_of(tx, d)? {
                all_done &= status_of(tx, a)? == Some(TaskStatus::Done);
            }
            if all_done {
                apply(tx, d, &TaskEvent::DepsDone)?;
            }
        }
    }
    Ok(new)
}

#[cfg(test)]
#[path = "tasks_tests.rs"]
mod tests;
