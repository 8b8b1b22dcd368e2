//! End-to-end: the Logs pane shows the event log — live from the running
//! instance, and on the next start the events of earlier runs, read back
//! from the store.

use crate::support::{NoxPty, Ws, nox_ok};

#[test]
fn the_logs_pane_shows_events_live_and_from_earlier_runs() {
    let ws = Ws::new("");
    let mut nox = NoxPty::start(&ws, &[], 40, 200);
    nox.wait_text("Agents (0)", 15);
    nox_ok(&ws, &["task", "add", "kept", "--needs", "nothing-has-this"]);
    nox.wait_text("» task 1 created", 10);
    assert_eq!(nox.quit(), 0);

    let mut again = NoxPty::start(&ws, &[], 40, 200);
    let s = again.wait_text("Agents (0)", 15);
    let s = if s.contains("» task 1 created") {
        s
    } else {
        again.wait_text("» task 1 created", 5)
    };
    assert!(s.contains("Logs [info]"), "{s}");
    assert_eq!(again.quit(), 0);
}
