//! The append-only event log: every status change, restart, task transition
//! and delivery becomes a row (`kind`, optional agent and task, JSON data).

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Result, Store, now_ms};

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Row id (0 before it is stored).
    pub id: i64,
    /// ms since the Unix epoch.
    pub ts_ms: u64,
    /// `agent.status`, `agent.restart`, `task.updated`, `task.delivery`, …
    pub kind: String,
    /// The agent concerned.
    pub agent: Option<String>,
    /// The task concerned.
    pub task: Option<u64>,
    /// Details.
    pub data: Value,
}

impl EventRecord {
    /// An event of `kind` now.
    pub fn new(kind: &str, agent: Option<&str>, task: Option<u64>, data: Value) -> Self {
        Self {
            id: 0,
            ts_ms: now_ms(),
            kind: kind.into(),
            agent: agent.map(str::to_string),
            task,
            data,
        }
    }
}

/// Inserts `ev` on `conn` (inside a write); returns its id.
pub fn insert(conn: &Connection, ev: &EventRecord) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO events(ts_ms, kind, agent, task, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        ev.ts_ms,
        ev.kind,
        ev.agent,
        ev.task,
        ev.data.to_string()
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Queues `ev` for the next batch (never blocks).
pub fn append(store: &Store, ev: EventRecord) {
    store.write_later(move |c| insert(c, &ev).map(|_| ()));
}

/// Events after id `since`, oldest first, at most `limit`; optionally of one task.
pub fn list(
    conn: &Connection,
    since: i64,
    limit: usize,
    task: Option<u64>,
) -> Result<Vec<EventRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ts_ms, kind, agent, task, data FROM events
         WHERE id > ?1 AND (?2 IS NULL OR task = ?2) ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![since, task, limit as i64], |r| {
        let data: String = r.get(5)?;
        Ok(EventRecord {
            id: r.get(0)?,
            ts_ms: r.get(1)?,
            kind: r.get(2)?,
            agent: r.get(3)?,
            task: r.get(4)?,
            data: serde_json::from_str(&data).unwrap_or(Value::Null),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The newest event id (0 when empty).
pub fn last_id(conn: &Connection) -> Result<i64> {
    Ok(conn
        .query_row("SELECT max(id) FROM events", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_events_are_listed_in_order() {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = Store::open(&tmp.path().join("nox.db")).expect("open");
        for i in 0..5u64 {
            append(
                &store,
                EventRecord::new(
                    "task.updated",
                    Some("a"),
                    Some(i % 2),
                    serde_json::json!({"i": i}),
                ),
            );
        }
        store.flush().expect("flush");
        let all = store.read(|c| list(c, 0, 100, None)).expect("list");
        assert_eq!(all.len(), 5);
        assert_eq!(all[4].data["i"], 4);
        let odd = store.read(|c| list(c, 0, 100, Some(1))).expect("list");
        assert_eq!(
            odd.iter().map(|e| e.data["i"].as_u64()).collect::<Vec<_>>(),
            [Some(1), Some(3)]
        );
        let third = all[2].id;
        let after = store
            .read(move |c| list(c, third, 100, None))
            .expect("after");
        assert_eq!(after.len(), 2);
        assert_eq!(store.read(last_id).expect("last"), all[4].id);
    }
}
