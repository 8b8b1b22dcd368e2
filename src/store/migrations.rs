//! Embedded, versioned schema migrations, tracked in `PRAGMA user_version`.
//! A released migration is never edited: changes come as a new entry.

use rusqlite::Connection;

/// (version, SQL) in order; version N is applied when `user_version` < N.
pub const MIGRATIONS: &[(u32, &str)] = &[(
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
)];

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
    fn migrations_apply_once_and_are_ordered() {
        let mut c = Connection::open_in_memory().expect("db");
        let last = MIGRATIONS.last().map(|m| m.0).expect("some");
        assert_eq!(migrate(&mut c).expect("migrate"), last);
        assert_eq!(migrate(&mut c).expect("again"), last);
        assert!(MIGRATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
