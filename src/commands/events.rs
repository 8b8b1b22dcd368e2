//! `nox events [--since ID] [--follow] [--json]`: the event log, the first
//! client of the typed vocabulary, and the way to tail results. Through
//! the running instance it reads the SSE stream (replay, then live);
//! without one it reads the store, and `--follow` waits for an instance's
//! writes by polling the store.

use std::time::Duration;

use super::instance::{EXIT_STORE, Failure, running};
use super::out::local_time;
use crate::config::Workspace;
use crate::domain::{Event, EventBody};
use crate::say;
use crate::store::events::{Filter, list};

/// How often `--follow` without an instance looks at the store.
const POLL: Duration = Duration::from_millis(300);

/// Runs `nox events`; returns the exit code.
pub fn run(ws: &Workspace, since: u64, follow: bool, json: bool) -> u8 {
    match go(ws, since, follow, json) {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("nox: {msg}");
            code
        }
    }
}

/// One event as a line: `#12 14:03:07 task.updated  task 3 running → done: completed`.
pub fn human(e: &Event) -> String {
    let mut line = format!(
        "#{:<5} {}  {:<15} {}",
        e.id,
        local_time(e.ts_ms),
        e.body.kind(),
        e.body.describe()
    );
    if let EventBody::TaskUpdated {
        result: Some(r), ..
    } = &e.body
    {
        for l in r.lines() {
            line.push_str("\n        │ ");
            line.push_str(l);
        }
    }
    line
}

fn print(e: &Event, json: bool) {
    if json {
        say!("{}", serde_json::to_string(e).unwrap_or_default());
    } else {
        say!("{}", human(e));
    }
}

fn go(ws: &Workspace, since: u64, follow: bool, json: bool) -> Result<(), Failure> {
    if running(ws) {
        let socket = ws.dir().join("nox.sock");
        let mut bad = None;
        crate::client::events(&socket, since, follow, |data| {
            match serde_json::from_str::<Event>(data) {
                Ok(e) => {
                    print(&e, json);
                    true
                }
                Err(e) => {
                    bad = Some(format!("an event nox sent cannot be read: {e}"));
                    true
                }
            }
        })
        .map_err(|e| (EXIT_STORE, e.to_string()))?;
        if let Some(b) = bad {
            eprintln!("nox: {b}");
        }
        return Ok(());
    }
    let db = ws.dir().join("nox.db");
    if !db.exists() {
        if !follow {
            return Ok(());
        }
        while !db.exists() {
            std::thread::sleep(POLL);
        }
    }
    let store = crate::store::Store::open(&db).map_err(|e| {
        (
            EXIT_STORE,
            format!("cannot open the store {}: {e}", db.display()),
        )
    })?;
    let mut last = since;
    loop {
        let page = store
            .read(move |c| {
                list(
                    c,
                    &Filter {
                        since: last,
                        limit: 1000,
                        ..Filter::default()
                    },
                )
            })
            .map_err(|e| (EXIT_STORE, e.to_string()))?;
        for e in &page {
            print(e, json);
            last = e.id;
        }
        if page.len() == 1000 {
            continue;
        }
        if !follow {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}
