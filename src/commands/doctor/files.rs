//! The workspace's files: `nox.toml` parses, `nox.db` opens and is sound,
//! `nox.sock` belongs to a running instance that answers, and
//! `api-token` is private.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use super::Check;
use crate::config::{Config, Workspace, load_config};
use crate::store::Store;
use crate::store::migrations::MIGRATIONS;

/// How long the running instance has to answer `/health`.
const HEALTH_WITHIN: Duration = Duration::from_secs(2);

/// The `config` check, and the config when it loaded.
pub fn config(ws: &Workspace) -> (Check, Option<Config>) {
    let path = ws.config_path();
    if !path.is_file() {
        return (
            Check::fail(
                "config",
                format!("{} does not exist", path.display()),
                format!("`nox init {}` writes a commented one", ws.root.display()),
            ),
            None,
        );
    }
    match load_config(&path, &ws.root) {
        Ok(c) => {
            let n = c.agents.len();
            let detail = format!(
                "{} parses: {n} agent{}",
                path.display(),
                if n == 1 { "" } else { "s" }
            );
            (Check::ok("config", detail), Some(c))
        }
        Err(e) => (
            Check::fail(
                "config",
                e.to_string(),
                "correct nox.toml at the line and column shown (`nox init` in an empty \
                 directory writes a commented example of every field)",
            ),
            None,
        ),
    }
}

/// The `store` check: the database opens as nox opens it (migrating an
/// older schema), passes `PRAGMA integrity_check`, and its schema version.
pub fn store(ws: &Workspace) -> Check {
    let path = ws.dir().join("nox.db");
    if !path.exists() {
        return Check::ok(
            "store",
            format!(
                "{} does not exist yet (nox creates it on first use)",
                path.display()
            ),
        );
    }
    let set_aside = format!(
        "stop nox, then `mv {0} {0}.broken` (and its -wal and -shm files): the next start \
         makes a new store; the tasks, messages and events of the old one are lost unless \
         `sqlite3 {0}.broken .recover` saves them",
        path.display()
    );
    let checked = Store::open(&path).and_then(|s| {
        let integrity = s.integrity_check()?;
        let version: u32 = s.read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))?;
        Ok((integrity, version))
    });
    let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    match checked {
        Err(e) => Check::fail(
            "store",
            format!("{} does not open: {e}", path.display()),
            set_aside,
        ),
        Ok((integrity, _)) if integrity != "ok" => Check::fail(
            "store",
            format!(
                "{} fails its integrity check: {}",
                path.display(),
                integrity.lines().next().unwrap_or_default()
            ),
            set_aside,
        ),
        Ok((_, version)) if version > latest => Check::warn(
            "store",
            format!(
                "{}: schema version {version} is newer than this nox knows ({latest})",
                path.display()
            ),
        )
        .fix("run the newer nox that made it (`nox --version` names this one)"),
        Ok((_, version)) => Check::ok(
            "store",
            format!("{}: integrity ok, schema version {version}", path.display()),
        ),
    }
}

/// The `socket` check: whether an instance runs (it holds
/// `instance.lock`) and answers `/health`, or a socket is left over.
pub fn socket(ws: &Workspace) -> Check {
    let sock = ws.dir().join("nox.sock");
    if !crate::commands::instance::running(ws) {
        return if sock.exists() {
            Check::warn(
                "socket",
                format!("{} is left over: no instance runs", sock.display()),
            )
            .fix(format!(
                "harmless (the next start replaces it); `rm {}` removes it",
                sock.display()
            ))
        } else {
            Check::ok("socket", "no instance runs")
        };
    }
    let started = Instant::now();
    match crate::client::request(&sock, "GET", "/health", &[], None, HEALTH_WITHIN) {
        Ok((200, body)) => {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let agents = v["agents"].as_u64().unwrap_or_default();
            let version = v["version"].as_str().unwrap_or("?");
            Check::ok(
                "socket",
                format!(
                    "an instance runs (nox {version}, {agents} agent{}) and answers /health at {} in {} ms",
                    if agents == 1 { "" } else { "s" },
                    sock.display(),
                    started.elapsed().as_millis()
                ),
            )
        }
        Ok((status, body)) => Check::fail(
            "socket",
            format!(
                "the instance answers /health with HTTP {status}: {}",
                crate::client::error_message(&body)
            ),
            "see .nox/logs/nox.log; restarting nox (`Ctrl-b d`, then `nox`) resumes the agents",
        ),
        Err(e) => Check::fail(
            "socket",
            format!("an instance holds .nox/instance.lock but {e}"),
            "it may be stopped (`kill -CONT` its pid) or stuck: see .nox/logs/nox.log, \
             and restart it if it stays silent",
        ),
    }
}

/// The `token` check: `.nox/api-token` (made by `--listen`) is readable by
/// its owner only.
pub fn token(ws: &Workspace) -> Check {
    let path = ws.dir().join("api-token");
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Check::ok("token", "no .nox/api-token (made by the first `--listen`)")
        }
        Err(e) => Check::fail(
            "token",
            format!("cannot read {}: {e}", path.display()),
            format!("`chmod 600 {}` as its owner", path.display()),
        ),
        Ok(m) => {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                Check::fail(
                    "token",
                    format!(
                        "{} has mode {mode:04o}: other users can read the API token",
                        path.display()
                    ),
                    format!("`chmod 600 {}`", path.display()),
                )
            } else {
                Check::ok("token", format!("{} has mode {mode:04o}", path.display()))
            }
        }
    }
}
