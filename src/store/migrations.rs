//! Embedded, versioned schema migrations, tracked in `PRAGMA user_version`.
//! A released migration is never edited: changes come as a new entry.

use rusqlite::Connection;

/// (version, SQL) in order; version N is applied when `user_version` < N.
pub const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        "CREATE TABLE agents (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        spec TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        agent TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        resumes INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        needs TEXT NOT NULL DEFAULT '[]',
        assignee TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL DEFAULT 3,
        lease_until INTEGER,
        result TEXT,
        detail TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE task_deps (
        task INTEGER NOT NULL REFERENCES tasks(id),
        after INTEGER NOT NULL REFERENCES tasks(id),
        PRIMARY KEY (task, after)
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts_ms INTEGER NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        text TEXT NOT NULL,
        delivered_ms INTEGER
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        agent TEXT,
        task INTEGER,
        data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_by_task ON events(task);
    CREATE INDEX events_by_agent ON events(agent);",
    ),
    (2, V2),
    (3, V3),
];

/// Version 2: tasks get a retry time (backoff), an idempotency key (unique:
/// a create repeated with the same key finds the first task; task files use
/// their identity as the key, recorded in the task's own transaction),
/// their creator, and whether their assignee was chosen (`pinned`); event rows of version 1 are rewritten into the typed
/// vocabulary of `domain::event`.
const V2: &str = "
    ALTER TABLE tasks ADD COLUMN retry_at INTEGER;
    ALTER TABLE tasks ADD COLUMN idem_key TEXT;
    ALTER TABLE tasks ADD COLUMN created_by TEXT NOT NULL DEFAULT 'user';
    ALTER TABLE tasks ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
    UPDATE tasks SET pinned = 1 WHERE assignee IS NOT NULL AND status IN ('queued', 'blocked');
    CREATE UNIQUE INDEX tasks_by_key ON tasks(idem_key) WHERE idem_key IS NOT NULL;
    UPDATE events SET kind = 'agent.restarted',
        data = json_object('agent', agent, 'restarts', json_extract(data, '$.restarts'))
        WHERE kind = 'agent.restart';
    UPDATE events SET data = json_set(data, '$.agent', agent) WHERE kind = 'agent.status';
    UPDATE events SET data = json_object(
            'task', json_object('id', task, 'title', json_extract(data, '$.title'),
                                'status', json_extract(data, '$.status'), 'assignee', agent),
            'by', 'user')
        WHERE kind = 'task.created';
    UPDATE events SET data = json_object(
            'task', json_object('id', task, 'status', json_extract(data, '$.to'),
                                'attempts', json_extract(data, '$.attempts'), 'assignee', agent),
            'from', json_extract(data, '$.from'),
            'cause', CASE
                WHEN json_extract(data, '$.event') LIKE 'Assign%' THEN 'assigned to ' || coalesce(agent, '?')
                WHEN json_extract(data, '$.event') LIKE 'Started%' THEN 'the agent took the prompt'
                WHEN json_extract(data, '$.event') LIKE 'Completed%' THEN 'completed'
                WHEN json_extract(data, '$.event') LIKE 'Lost%' THEN 'lost'
                WHEN json_extract(data, '$.event') LIKE 'Renew%' THEN 'lease renewed'
                WHEN json_extract(data, '$.event') LIKE 'DepsDone%' THEN 'its dependencies are done'
                WHEN json_extract(data, '$.event') LIKE 'Cancel%' THEN 'cancelled'
                ELSE 'updated' END)
        WHERE kind = 'task.updated';
    UPDATE events SET kind = 'task.updated', data = json_object(
            'task', json_object('id', task, 'assignee', json_extract(data, '$.assignee')),
            'from', 'queued',
            'cause', CASE WHEN json_extract(data, '$.assignee') IS NULL THEN 'left to routing'
                          ELSE 'assignee set to ' || json_extract(data, '$.assignee') END)
        WHERE kind = 'task.assigned';
    UPDATE events SET data = json_object(
            'task', task, 'agent', coalesce(agent, ''),
            'attempt', coalesce(json_extract(data, '$.attempt'), 0),
            'outcome', CASE WHEN json_extract(data, '$.stalled') THEN json_object('outcome', 'stalled')
                            ELSE json_object('outcome', 'sent', 'bytes', coalesce(json_extract(data, '$.bytes'), 0)) END)
        WHERE kind = 'task.delivery';
";

/// Version 3: messages get a kind (message, delegation, result), a delivery
/// state (`queued → delivered | refused`) with its reason, and the task
/// they concern; version 1 rows with a delivery time count as delivered.
/// Tasks get the task they were delegated from.
const V3: &str = "
    ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
    ALTER TABLE messages ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
    ALTER TABLE messages ADD COLUMN reason TEXT;
    ALTER TABLE messages ADD COLUMN task INTEGER;
    UPDATE messages SET state = 'delivered' WHERE delivered_ms IS NOT NULL;
    CREATE INDEX messages_by_state ON messages(state, recipient);
    ALTER TABLE tasks ADD COLUMN parent INTEGER;
";

/// Applies every migration newer than the database; returns the version.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_1_events_become_typed_events() {
        let mut c = Connection::open_in_memory().expect("db");
        let tx = c.transaction().expect("tx");
        tx.execute_batch(MIGRATIONS[0].1).expect("v1");
        tx.pragma_update(None, "user_version", 1).expect("v");
        tx.execute_batch(
            r#"INSERT INTO tasks(title, body, status, created_ms, updated_ms) VALUES ('t', 'b', 'done', 1, 1);
            INSERT INTO events(ts_ms, kind, agent, task, data) VALUES
              (1, 'agent.status', 'a', NULL, '{"from":"starting","to":"idle","detail":"quiet"}'),
              (2, 'agent.restart', 'a', NULL, '{"restarts":2}'),
              (3, 'task.created', NULL, 1, '{"status":"queued","title":"t"}'),
              (4, 'task.assigned', 'a', 1, '{"assignee":"a"}'),
              (5, 'task.updated', 'a', 1, '{"from":"queued","to":"assigned","event":"Assign { agent: \"a\", lease_until: 9 }","attempts":1}'),
              (6, 'task.delivery', 'a', 1, '{"attempt":1,"bytes":5}'),
              (7, 'task.delivery', 'a', 1, '{"stalled":true}');"#,
        )
        .expect("v1 rows");
        tx.commit().expect("commit");
        migrate(&mut c).expect("migrate");
        let events =
            crate::store::events::list(&c, &crate::store::events::Filter::default()).expect("list");
        let words: Vec<String> = events.iter().map(|e| e.body.describe()).collect();
        assert_eq!(
            words,
            [
                "a idle: quiet",
                "a restarted (restart 2)",
                "task 1 created by user (queued): t",
                "task 1 queued: assignee set to a",
                "task 1 queued → assigned: assigned to a",
                "task 1 attempt 1: typed into a (5 bytes)",
                "task 1 attempt 0: delivery to a stalled",
            ]
        );
    }

    #[test]
    fn migrations_apply_once_and_are_ordered() {
        let mut c = Connection::open_in_memory().expect("db");
        let last = MIGRATIONS.last().map(|m| m.0).expect("some");
        assert_eq!(migrate(&mut c).expect("migrate"), last);
        assert_eq!(migrate(&mut c).expect("again"), last);
        assert!(MIGRATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
