//! Inboxes without Claude Code: a message sent while no instance runs is
//! queued in the store and typed into the idle generic agent once one
//! starts; a removed agent's queued messages are refused, never left
//! waiting for a later agent of the same name.

use serde_json::Value;

use crate::support::{NoxPty, Ws, eventually, nox_ok, socket_get, wait_socket};

const TOML: &str = r#"
[[agent]]
name = "g"
command = "sh"
args = ["-c", "printf 'ready> '; while IFS= read -r l; do echo \"got: $l\"; printf 'ready> '; done"]
ready_pattern = 'ready>\s*$'

[[agent]]
name = "h"
command = "sh"
autostart = false
"#;

fn message(ws: &Ws, text: &str) -> Value {
    socket_get(ws.path(), "/api/messages")
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["text"] == text)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn offline_messages_wait_for_an_instance_and_removed_agents_refuse_theirs() {
    let ws = Ws::new(TOML);
    let out = nox_ok(&ws, &["send", "g", "offline hello"]);
    assert!(out.contains("queued (no nox instance runs"), "{out}");
    let bad = crate::support::nox_cmd(&ws, &["send", "nobody", "x"]);
    assert_eq!(bad.status.code(), Some(2));
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    wait_socket(ws.path(), 30);
    eventually("the offline message is delivered", 30, || {
        message(&ws, "offline hello")["state"] == "delivered"
    });
    assert_eq!(message(&ws, "offline hello")["reason"], "prompt");
    nox.wait_text("got: offline hello", 10);

    // While the user types into g a message waits (3 s after the last
    // key), and is retried until it goes.
    nox.type_str("typing");
    nox_ok(&ws, &["send", "g", "after typing"]);
    assert_eq!(message(&ws, "after typing")["state"], "queued");
    eventually("delivered after the typing pause", 15, || {
        message(&ws, "after typing")["state"] == "delivered"
    });

    nox_ok(&ws, &["send", "h", "for h"]);
    assert_eq!(message(&ws, "for h")["state"], "queued");
    let explain = nox_ok(&ws, &["agent", "explain", "h"]);
    assert!(explain.contains("inbox: 1 message queued"), "{explain}");
    nox_ok(&ws, &["agent", "rm", "h"]);
    eventually("h's message is refused", 10, || {
        message(&ws, "for h")["state"] == "refused"
    });
    assert_eq!(message(&ws, "for h")["reason"], "agent h was removed");
    nox.quit();
}
