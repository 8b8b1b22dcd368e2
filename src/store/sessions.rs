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

/// A random (version 4) UUID, from the kernel's random source.
pub fn new_uuid() -> String {
    let mut b = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut b);
    }
    if b == [0u8; 16] {
        // No random source: time and pid still make it unique per start.
        let t = now_ms().to_le_bytes();
        b[..8].copy_from_slice(&t);
        b[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
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

    #[test]
    fn uuids_are_version_4() {
        let u = new_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(u, new_uuid());
    }
}
