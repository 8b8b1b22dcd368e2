//! Messages in the store (migration 3): sending (queued, or refused with
//! its reason), delivery (state, time and how), and typed reads: the
//! queued messages an instance picks up at start, and the flow the
//! Messages pane and `GET /api/messages` show. Every change emits its
//! `message.*` event in the same transaction.

use rusqlite::{Connection, Row, params};

use super::{Result, Tx, now_ms};
use crate::domain::{EventBody, Message, MessageId, MessageKind, MessageState, NewMessage};

const COLUMNS: &str = "id, sender, recipient, text, kind, state, reason, task, ts_ms, delivered_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let kind: String = r.get(4)?;
    let state: String = r.get(5)?;
    Ok(Message {
        id: r.get(0)?,
        from: r.get(1)?,
        to: r.get(2)?,
        text: r.get(3)?,
        kind: MessageKind::parse(&kind).unwrap_or_default(),
        state: MessageState::parse(&state).unwrap_or(MessageState::Refused),
        reason: r.get(6)?,
        task: r.get(7)?,
        created_ms: r.get(8)?,
        delivered_ms: r.get(9)?,
    })
}

/// Stores `new` as `state` (queued; delivered for a message to the user;
/// refused with `reason`) and emits `message.sent` or `message.refused`.
pub fn send(
    tx: &mut Tx<'_>,
    new: &NewMessage,
    state: MessageState,
    reason: Option<&str>,
) -> Result<Message> {
    let now = now_ms();
    let delivered = (state == MessageState::Delivered).then_some(now);
    tx.prepare_cached(
        "INSERT INTO messages(ts_ms, sender, recipient, text, delivered_ms, kind, state, reason, task)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        now,
        new.from,
        new.to,
        new.text,
        delivered,
        new.kind.as_str(),
        state.to_string(),
        reason,
        new.task,
    ])?;
    let m = Message {
        id: MessageId::try_from(tx.last_insert_rowid()).unwrap_or_default(),
        from: new.from.clone(),
        to: new.to.clone(),
        text: new.text.clone(),
        kind: new.kind,
        state,
        reason: reason.map(str::to_string),
        task: new.task,
        created_ms: now,
        delivered_ms: delivered,
    };
    tx.emit(match state {
        MessageState::Refused => EventBody::MessageRefused { message: m.clone() },
        _ => EventBody::MessageSent { message: m.clone() },
    })?;
    Ok(m)
}

/// Marks queued messages `ids` delivered `how` (`stop hook`, `prompt`) and
/// emits `message.delivered` for each; messages no longer queued are left
/// alone (never delivered twice).
pub fn delivered(tx: &mut Tx<'_>, ids: &[MessageId], how: &str) -> Result<Vec<Message>> {
    let now = now_ms();
    let mut out = Vec::new();
    for id in ids {
        let n = tx
            .prepare_cached(
                "UPDATE messages SET state = 'delivered', delivered_ms = ?2, reason = ?3
                 WHERE id = ?1 AND state = 'queued'",
            )?
            .execute(params![id, now, how])?;
        if n == 0 {
            continue;
        }
        if let Some(m) = get(tx, *id)? {
            tx.emit(EventBody::MessageDelivered { message: m.clone() })?;
            out.push(m);
        }
    }
    Ok(out)
}

/// Marks queued messages `ids` refused with `reason` (a delivery that
/// stalled twice) and emits `message.refused` for each.
pub fn refuse(tx: &mut Tx<'_>, ids: &[MessageId], reason: &str) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for id in ids {
        let n = tx
            .prepare_cached(
                "UPDATE messages SET state = 'refused', reason = ?2 WHERE id = ?1 AND state = 'queued'",
            )?
            .execute(params![id, reason])?;
        if n == 0 {
            continue;
        }
        if let Some(m) = get(tx, *id)? {
            tx.emit(EventBody::MessageRefused { message: m.clone() })?;
            out.push(m);
        }
    }
    Ok(out)
}

/// One message.
pub fn get(conn: &Connection, id: MessageId) -> Result<Option<Message>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// Queued messages, oldest first (an instance's inboxes at start).
pub fn queued(conn: &Connection) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE state = 'queued' ORDER BY id"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The newest `limit` messages (0: all) sent by or to `agent` (or all),
/// oldest first: the Messages pane's flow.
pub fn list(conn: &Connection, agent: Option<&str>, limit: usize) -> Result<Vec<Message>> {
    let limit = if limit == 0 { -1 } else { limit as i64 };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM (SELECT {COLUMNS} FROM messages
           WHERE ?1 IS NULL OR sender = ?1 OR recipient = ?1
           ORDER BY id DESC LIMIT ?2) ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![agent, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Messages by state (`{"queued": 1, "delivered": 9}`).
pub fn counts(conn: &Connection) -> Result<std::collections::BTreeMap<String, usize>> {
    let mut stmt = conn.prepare_cached("SELECT state, count(*) FROM messages GROUP BY state")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, usize>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let s = Store::open(&dir.path().join("nox.db")).expect("open");
        (dir, s)
    }

    fn msg(from: &str, to: &str, text: &str) -> NewMessage {
        NewMessage {
            from: from.into(),
            to: to.into(),
            text: text.into(),
            ..NewMessage::default()
        }
    }

    #[test]
    fn messages_are_queued_delivered_once_and_listed_per_agent() {
        let (_d, s) = store();
        let a = s
            .write(|c| send(c, &msg("a", "b", "hi"), MessageState::Queued, None))
            .expect("a");
        let r = s
            .write(|c| {
                send(
                    c,
                    &msg("c", "a", "no"),
                    MessageState::Refused,
                    Some("rate limited"),
                )
            })
            .expect("r");
        assert_eq!(r.state, MessageState::Refused);
        let q = s.read(queued).expect("queued");
        assert_eq!(q.iter().map(|m| m.id).collect::<Vec<_>>(), [a.id]);
        let id = a.id;
        let first = s
            .write(move |c| delivered(c, &[id], "stop hook"))
            .expect("d");
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].state, MessageState::Delivered);
        assert_eq!(first[0].reason.as_deref(), Some("stop hook"));
        let again = s.write(move |c| delivered(c, &[id], "prompt")).expect("d2");
        assert!(again.is_empty(), "delivered twice: {again:?}");
        assert!(s.read(queued).expect("q").is_empty());
        let of_b = s.read(|c| list(c, Some("b"), 0)).expect("list");
        assert_eq!(of_b.len(), 1);
        let all = s.read(|c| list(c, None, 1)).expect("last");
        assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), [r.id]);
        let kinds: Vec<String> = s
            .read(|c| crate::store::events::list(c, &crate::store::events::Filter::default()))
            .expect("events")
            .iter()
            .map(|e| e.body.kind().to_string())
            .collect();
        assert_eq!(
            kinds,
            ["message.sent", "message.refused", "message.delivered"]
        );
        let counts = s.read(counts).expect("counts");
        assert_eq!(counts.get("delivered"), Some(&1));
        assert_eq!(counts.get("refused"), Some(&1));
    }
}
