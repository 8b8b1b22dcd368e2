//! Claude session ids per agent (SPEC §1 "session"): the id a claude agent
//! was started with, so a restart of the agent or of nox resumes it.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, now_ms};

/// The stored session id of `agent`, if any.
pub fn get(conn: &Connection, agent: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT session_id FROM sessions WHERE agent = ?1")?
        .query_row([agent], |r| r.get(0))
        .optional()?)
}

/// Records that `agent` runs session `id`; counts resumes of the same id.
pub fn put(conn: &Connection, agent: &str, id: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions(agent, session_id, started_ms, resumes) VALUES (?1, ?2, ?3, 0)
         ON CONFLICT(agent) DO UPDATE SET
           resumes = CASE WHEN session_id = excluded.session_id THEN resumes + 1 ELSE 0 END,
           session_id = excluded.session_id, started_ms = excluded.started_ms",
    )?
    .execute(params![agent, id, now_ms()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn sessions_are_kept_per_agent() {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = Store::open(&tmp.path().join("nox.db")).expect("open");
        assert_eq!(s.read(|c| get(c, "a")).expect("get"), None);
        s.write(|c| put(c, "a", "one")).expect("put");
        s.write(|c| put(c, "a", "one")).expect("again");
        assert_eq!(
            s.read(|c| get(c, "a")).expect("get").as_deref(),
            Some("one")
        );
        let resumes: i64 = s
            .read(|c| Ok(c.query_row("SELECT resumes FROM sessions", [], |r| r.get(0))?))
            .expect("n");
        assert_eq!(resumes, 1);
    }
}
