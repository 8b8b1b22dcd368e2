//! Tasks in the store: creation (dependencies checked, cycles refused with
//! the cycle named), typed reads, and transitions that save the task, log
//! the event and unblock dependents in the same transaction.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use super::events::{EventRecord, insert};
use super::{Result, StoreError, now_ms};
use crate::domain::task::{DEFAULT_MAX_ATTEMPTS, find_cycle, transition};
use crate::domain::{Task, TaskEvent, TaskId, TaskStatus};

/// What a new task is made of (CLI, dialog, task file, API).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewTask {
    /// One line.
    pub title: String,
    /// The prompt.
    pub body: String,
    /// Higher first.
    pub priority: i32,
    /// Required capabilities.
    pub needs: Vec<String>,
    /// Dependencies.
    pub after: Vec<TaskId>,
    /// Explicit assignee.
    pub assignee: Option<String>,
    /// Attempts before failing (default 3).
    pub max_attempts: Option<u32>,
}

const COLUMNS: &str = "id, title, body, priority, needs, assignee, status, attempts, max_attempts, lease_until, result, detail, created_ms";

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
    })
}

fn deps(conn: &Connection) -> Result<BTreeMap<TaskId, Vec<TaskId>>> {
    let mut stmt = conn.prepare_cached("SELECT task, after FROM task_deps")?;
    let mut map: BTreeMap<TaskId, Vec<TaskId>> = BTreeMap::new();
    for row in stmt.query_map([], |r| Ok((r.get::<_, TaskId>(0)?, r.get::<_, TaskId>(1)?)))? {
        let (t, a) = row?;
        map.entry(t).or_default().push(a);
    }
    Ok(map)
}

/// One task with its dependencies.
pub fn get(conn: &Connection, id: TaskId) -> Result<Option<Task>> {
    let task = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?;
    Ok(match task {
        Some(mut t) => {
            t.after = deps(conn)?.remove(&id).unwrap_or_default();
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

fn status_of(conn: &Connection, id: TaskId) -> Result<Option<TaskStatus>> {
    let s: Option<String> = conn
        .prepare_cached("SELECT status FROM tasks WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(s.and_then(|s| TaskStatus::parse(&s)))
}

/// Creates a task; refuses dependencies on missing tasks.
pub fn create(conn: &Connection, new: &NewTask) -> Result<Task> {
    let mut deps_done = true;
    for a in &new.after {
        match status_of(conn, *a)? {
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
    t.max_attempts = new.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO tasks(title, body, priority, needs, assignee, status, attempts, max_attempts, detail, created_ms, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, '', ?8, ?8)",
    )?
    .execute(params![
        t.title,
        t.body,
        t.priority,
        serde_json::to_string(&t.needs).unwrap_or_else(|_| "[]".into()),
        t.assignee,
        t.status.as_str(),
        t.max_attempts,
        now
    ])?;
    t.id = TaskId::try_from(conn.last_insert_rowid()).unwrap_or_default();
    t.created_ms = now;
    for a in &t.after {
        conn.prepare_cached("INSERT INTO task_deps(task, after) VALUES (?1, ?2)")?
            .execute([t.id, *a])?;
    }
    insert(
        conn,
        &EventRecord::new(
            "task.created",
            t.assignee.as_deref(),
            Some(t.id),
            json!({"status": t.status, "title": t.title}),
        ),
    )?;
    Ok(t)
}

/// Replaces the dependencies of `id`; a cycle is refused, naming it.
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
        conn.execute(
            "INSERT INTO task_deps(task, after) VALUES (?1, ?2)",
            [id, *a],
        )?;
    }
    Ok(())
}

/// Sets the assignee of a queued or blocked task (`None`: routing decides).
pub fn set_assignee(conn: &Connection, id: TaskId, agent: Option<&str>) -> Result<Task> {
    let mut t = get(conn, id)?.ok_or_else(|| StoreError::Refused(format!("no task {id}")))?;
    if !matches!(t.status, TaskStatus::Queued | TaskStatus::Blocked) {
        return Err(StoreError::Refused(format!(
            "task {id} is {}: only queued or blocked tasks can be assigned",
            t.status
        )));
    }
    t.assignee = agent.map(str::to_string);
    save(conn, &t)?;
    insert(
        conn,
        &EventRecord::new("task.assigned", agent, Some(id), json!({"assignee": agent})),
    )?;
    Ok(t)
}

fn save(conn: &Connection, t: &Task) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tasks SET assignee = ?2, status = ?3, attempts = ?4, lease_until = ?5, result = ?6, detail = ?7, updated_ms = ?8
         WHERE id = ?1",
    )?
    .execute(params![t.id, t.assignee, t.status.as_str(), t.attempts, t.lease_until, t.result, t.detail, now_ms()])?;
    Ok(())
}

/// Applies `ev` to task `id`: saves it, logs `task.updated`, and when it is
/// done, unblocks the tasks whose dependencies are now all done.
pub fn apply(conn: &Connection, id: TaskId, ev: &TaskEvent) -> Result<Task> {
    let old = get(conn, id)?.ok_or_else(|| StoreError::Refused(format!("no task {id}")))?;
    let new = transition(&old, ev).map_err(|e| StoreError::Refused(e.to_string()))?;
    save(conn, &new)?;
    insert(
        conn,
        &EventRecord::new(
            "task.updated",
            new.assignee.as_deref(),
            Some(id),
            json!({"from": old.status, "to": new.status, "event": format!("{ev:?}"), "attempts": new.attempts}),
        ),
    )?;
    if new.status == TaskStatus::Done {
        let dependents: Vec<TaskId> = conn
            .prepare_cached("SELECT task FROM task_deps WHERE after = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for d in dependents {
            let Some(t) = get(conn, d)? else { continue };
            if t.status != TaskStatus::Blocked {
                continue;
            }
            let mut all_done = true;
            for a in &t.after {
                all_done &= status_of(conn, *a)? == Some(TaskStatus::Done);
            }
            if all_done {
                apply(conn, d, &TaskEvent::DepsDone)?;
            }
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = Store::open(&tmp.path().join("nox.db")).expect("open");
        (tmp, s)
    }

    fn new(title: &str, after: Vec<TaskId>) -> NewTask {
        NewTask {
            title: title.into(),
            body: format!("do {title}"),
            after,
            ..NewTask::default()
        }
    }

    #[test]
    fn dependent_task_unblocks_when_its_dependency_is_done() {
        let (_tmp, s) = store();
        let a = s.write(|c| create(c, &new("a", vec![]))).expect("a");
        let b = s
            .write(move |c| create(c, &new("b", vec![a.id])))
            .expect("b");
        assert_eq!(
            (a.status, b.status),
            (TaskStatus::Queued, TaskStatus::Blocked)
        );
        let assign = TaskEvent::Assign {
            agent: "x".into(),
            lease_until: now_ms() + 1000,
        };
        s.write(move |c| apply(c, a.id, &assign)).expect("assign");
        s.write(move |c| apply(c, a.id, &TaskEvent::Started))
            .expect("start");
        s.write(move |c| {
            apply(
                c,
                a.id,
                &TaskEvent::Completed {
                    result: "done a".into(),
                },
            )
        })
        .expect("done");
        let b2 = s
            .read(move |c| get(c, b.id))
            .expect("get")
            .expect("b exists");
        assert_eq!(
            (b2.status, b2.after.clone()),
            (TaskStatus::Queued, vec![a.id])
        );
        let a2 = s.read(move |c| get(c, a.id)).expect("get").expect("a");
        assert_eq!(a2.result.as_deref(), Some("done a"));
        let evs = s
            .read(move |c| crate::store::events::list(c, 0, 100, Some(b.id)))
            .expect("events");
        assert_eq!(
            evs.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            ["task.created", "task.updated"]
        );
    }

    #[test]
    fn missing_dependency_and_cycles_are_refused_with_names() {
        let (_tmp, s) = store();
        let e = s
            .write(|c| create(c, &new("x", vec![42])))
            .expect_err("missing");
        assert!(e.to_string().contains("task 42"), "{e}");
        let a = s.write(|c| create(c, &new("a", vec![]))).expect("a").id;
        let b = s
            .write(move |c| create(c, &new("b", vec![a])))
            .expect("b")
            .id;
        let e = s.write(move |c| set_after(c, a, &[b])).expect_err("cycle");
        assert_eq!(
            e.to_string(),
            format!("dependency cycle: #{a} → #{b} → #{a}")
        );
        let e = s
            .write(move |c| apply(c, a, &TaskEvent::Started))
            .expect_err("bad edge");
        assert!(e.to_string().contains("cannot start"), "{e}");
    }

    #[test]
    fn list_orders_by_priority_and_filters_by_status() {
        let (_tmp, s) = store();
        s.write(|c| {
            create(
                c,
                &NewTask {
                    priority: 1,
                    ..new("low", vec![])
                },
            )
        })
        .expect("low");
        s.write(|c| {
            create(
                c,
                &NewTask {
                    priority: 5,
                    ..new("high", vec![])
                },
            )
        })
        .expect("high");
        let all = s.read(|c| list(c, None)).expect("list");
        assert_eq!(
            all.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
            ["high", "low"]
        );
        assert_eq!(
            s.read(|c| list(c, Some(TaskStatus::Done)))
                .expect("done")
                .len(),
            0
        );
    }
}
