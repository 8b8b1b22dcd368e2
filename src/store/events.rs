//! The append-only event log: one row per [`Event`] of the domain's typed
//! vocabulary. Columns: `id` (the event's id), `ts_ms`, `kind` (the serde
//! tag, e.g. `task.updated`), `agent` and `task` (for filtering), `data`
//! (the variant's fields as JSON).

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::Result;
use crate::domain::{Event, EventBody, TaskId};

/// Inserts `body` at `ts_ms`; returns the new row id (the event's id).
/// Called by [`super::Tx::emit`], which publishes after the commit.
pub fn insert(conn: &Connection, ts_ms: u64, body: &EventBody) -> Result<u64> {
    let data = data_json(body);
    conn.prepare_cached(
        "INSERT INTO events(ts_ms, kind, agent, task, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ts_ms, body.kind(), body.agent(), body.task(), data])?;
    Ok(u64::try_from(conn.last_insert_rowid()).unwrap_or_default())
}

/// The JSON of `body`'s fields (its `data`), serialized once: `serde_json`
/// writes an adjacently tagged enum as `{"kind":"…","data":…}`, tag first.
fn data_json(body: &EventBody) -> String {
    let whole = serde_json::to_string(body).unwrap_or_default();
    let head = format!("{{\"kind\":\"{}\",\"data\":", body.kind());
    match whole.strip_prefix(&head).and_then(|r| r.strip_suffix('}')) {
        Some(data) => data.to_string(),
        None => serde_json::to_value(body)
            .ok()
            .and_then(|v| v.get("data").map(Value::to_string))
            .unwrap_or_else(|| "null".into()),
    }
}

/// Which events [`list`] returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter<'a> {
    /// Only events after this id.
    pub since: u64,
    /// At most this many (0: no limit).
    pub limit: usize,
    /// Only events of this task.
    pub task: Option<TaskId>,
    /// Only events of this agent.
    pub agent: Option<&'a str>,
}

/// One page of the log: the events read, and how far the rows went (rows
/// this version cannot read count too, so paging never stops early).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// Rows read, readable or not.
    pub rows: usize,
    /// The id of the last row read.
    pub last: Option<u64>,
}

/// Events matching `f`, oldest first. A row this version cannot read (a
/// kind from a newer nox) is skipped with a warning, never an error.
pub fn list(conn: &Connection, f: &Filter<'_>) -> Result<Vec<Event>> {
    page(conn, f).map(|p| p.events)
}

/// [`list`], with how far the rows went.
pub fn page(conn: &Connection, f: &Filter<'_>) -> Result<Page> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ts_ms, kind, data FROM events
         WHERE id > ?1 AND (?2 IS NULL OR task = ?2) AND (?3 IS NULL OR agent = ?3)
         ORDER BY id LIMIT ?4",
    )?;
    let limit = if f.limit == 0 {
        i64::MAX
    } else {
        i64::try_from(f.limit).unwrap_or(i64::MAX)
    };
    let rows = stmt.query_map(params![f.since, f.task, f.agent, limit], |r| {
        Ok((
            r.get::<_, u64>(0)?,
            r.get::<_, u64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Page::default();
    for row in rows {
        let (id, ts_ms, kind, data) = row?;
        out.rows += 1;
        out.last = Some(id);
        let data: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
        match serde_json::from_value::<EventBody>(serde_json::json!({"kind": kind, "data": data})) {
            Ok(body) => out.events.push(Event { id, ts_ms, body }),
            Err(e) => tracing::warn!("event {id} ({kind}) cannot be read: {e}"),
        }
    }
    Ok(out)
}

/// The newest event id (0 when empty).
pub fn last_id(conn: &Connection) -> Result<u64> {
    Ok(conn
        .query_row("SELECT max(id) FROM events", [], |r| {
            r.get::<_, Option<u64>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::domain::{AgentStatus, Delivery};
    use crate::store::Store;

    fn status(agent: &str, to: AgentStatus) -> EventBody {
        EventBody::AgentStatus {
            agent: agent.into(),
            from: AgentStatus::Starting,
            to,
            detail: String::new(),
        }
    }

    #[test]
    fn events_are_persisted_then_published_in_id_order() {
        let tmp = tempfile::tempdir().expect("tmp");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = Arc::clone(&seen);
        let store = Store::open_publishing(
            &tmp.path().join("nox.db"),
            Box::new(move |e| s2.lock().expect("seen").push(e.clone())),
        )
        .expect("open");
        for i in 0..5u64 {
            store.emit_later(EventBody::TaskDelivery {
                task: i % 2,
                agent: if i < 3 { "a" } else { "b" }.into(),
                attempt: 1,
                outcome: Delivery::Sent { bytes: 3 },
            });
        }
        // A write that fails takes its events down with it: never published.
        let bad = store.write(|tx| {
            tx.emit(status("ghost", AgentStatus::Busy))?;
            tx.execute("INSERT INTO nope VALUES (1)", [])?;
            Ok(())
        });
        assert!(bad.is_err());
        store.emit_later(status("a", AgentStatus::Idle));
        store.flush().expect("flush");
        let all = store.read(|c| list(c, &Filter::default())).expect("list");
        assert_eq!(all.len(), 6);
        assert_eq!(*seen.lock().expect("seen"), all, "published = persisted");
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        assert!(!all.iter().any(|e| e.body.agent() == Some("ghost")));
        let odd = store
            .read(|c| {
                list(
                    c,
                    &Filter {
                        task: Some(1),
                        ..Filter::default()
                    },
                )
            })
            .expect("task 1");
        assert_eq!(odd.len(), 2);
        let b = store
            .read(|c| {
                list(
                    c,
                    &Filter {
                        agent: Some("b"),
                        ..Filter::default()
                    },
                )
            })
            .expect("agent b");
        assert_eq!(b.len(), 2);
        let third = all[2].id;
        let after = store
            .read(move |c| {
                list(
                    c,
                    &Filter {
                        since: third,
                        limit: 2,
                        ..Filter::default()
                    },
                )
            })
            .expect("after");
        assert_eq!(
            after.iter().map(|e| e.id).collect::<Vec<_>>(),
            [all[3].id, all[4].id]
        );
        assert_eq!(store.read(last_id).expect("last"), all[5].id);
    }

    #[test]
    fn the_data_column_holds_the_fields() {
        let b = status("a", AgentStatus::Busy);
        let v: Value = serde_json::from_str(&data_json(&b)).expect("json");
        assert_eq!(v, serde_json::to_value(&b).expect("v")["data"]);
    }

    #[test]
    fn unreadable_rows_are_skipped() {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = Store::open(&tmp.path().join("nox.db")).expect("open");
        store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO events(ts_ms, kind, data) VALUES (1, 'from.the.future', '{}')",
                    [],
                )?;
                tx.emit(status("a", AgentStatus::Idle))?;
                Ok(())
            })
            .expect("write");
        let all = store.read(|c| list(c, &Filter::default())).expect("list");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].body.kind(), "agent.status");
    }
}
