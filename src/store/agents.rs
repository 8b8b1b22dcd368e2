//! The agents table: each agent's definition and last known status, so the
//! store alone tells what ran (for `nox task` without an instance, reports).

use rusqlite::{Connection, params};

use super::{Result, now_ms};
use crate::domain::{AgentSpec, AgentStatus};

/// Inserts or updates the row of `spec` with `status`.
pub fn upsert(conn: &Connection, spec: &AgentSpec, status: AgentStatus) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO agents(name, kind, spec, status, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec,
           status = excluded.status, updated_ms = excluded.updated_ms",
    )?
    .execute(params![
        spec.name,
        spec.kind.to_string(),
        serde_json::to_string(spec).unwrap_or_default(),
        status.as_str(),
        now_ms()
    ])?;
    Ok(())
}

/// (name, status) of every stored agent, by name.
pub fn statuses(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT name, status FROM agents ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AgentKind;
    use crate::store::Store;

    #[test]
    fn upsert_keeps_one_row_per_agent() {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = Store::open(&tmp.path().join("nox.db")).expect("open");
        let spec = AgentSpec::new("a", AgentKind::Generic, "sh", "/");
        let sp = spec.clone();
        s.write(move |c| upsert(c, &sp, AgentStatus::Starting))
            .expect("insert");
        s.write(move |c| upsert(c, &spec, AgentStatus::Idle))
            .expect("update");
        assert_eq!(
            s.read(statuses).expect("rows"),
            [("a".to_string(), "idle".to_string())]
        );
    }
}
