//! Messages with the real Claude Code CLI (2.1.328) against the scripted
//! endpoint (SPEC §7): a busy agent gets its inbox when its turn ends,
//! through its Stop hook, all queued messages in one model request and
//! nothing typed into its PTY; an agent waiting on a permission prompt gets
//! nothing; an idle agent is woken with a typed prompt.

use std::time::Duration;

use serde_json::{Value, json};

use crate::e2e_claude::{claude_bin, transcript_text, wait_for_transcript};
use crate::support::{NoxPty, Ws, eventually, nox_ok, socket_call, socket_get};

const SCRIPT: &str = r#"
[[turn]]
when = "Stop hook feedback"
[[turn.step]]
text = "Read my inbox via the stop hook."

[[turn]]
when = "long job"
[[turn.step]]
text = "Working on the long job."
delay_ms = 7000

[[turn]]
when = "needs approval"
[[turn.step]]
tool = "Bash"
input = { command = "touch waited.txt", description = "Touch waited" }
[[turn.step]]
text = "Done after the approval."

[[turn]]
when = "Inbox ("
[[turn.step]]
text = "Read my inbox via a prompt."
"#;

fn messages(ws: &Ws) -> Vec<Value> {
    socket_get(ws.path(), "/api/messages?agent=b")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn state_of(ws: &Ws, text: &str) -> (String, String) {
    let all = messages(ws);
    let Some(m) = all.iter().find(|m| m["text"] == text) else {
        panic!("no message {text:?}: {all:?}");
    };
    (
        m["state"].as_str().unwrap_or("").to_string(),
        m["reason"].as_str().unwrap_or("").to_string(),
    )
}

fn screen_of(ws: &Ws, agent: &str) -> String {
    let s = socket_get(ws.path(), &format!("/api/agents/{agent}/screen"));
    s["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many user messages of `agent`'s transcript contain `text`.
fn user_messages_with(ws: &Ws, agent: &str, text: &str) -> usize {
    transcript_text(ws, agent)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "user" && v["message"].to_string().contains(text))
        .count()
}

#[test]
fn the_inbox_waits_for_the_turn_end_and_never_reaches_a_waiting_agent() {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"b\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"default\"\n",
        claude_bin().display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), SCRIPT).expect("script");
    let mut nox = NoxPty::start(&ws, &[], 40, 140);
    nox.wait_for("b idle", 90, |s| s.contains("b · idle"));

    // 1. Busy: two messages wait, nothing is typed, then both arrive in
    //    one Stop-hook feedback when the turn ends.
    nox_ok(&ws, &["task", "add", "the long job", "--assign", "b"]);
    nox.wait_for("b busy", 30, |s| {
        s.contains("Working on") || s.contains("b · busy")
    });
    let out = nox_ok(&ws, &["send", "b", "first note"]);
    assert!(out.contains("queued"), "{out}");
    nox_ok(&ws, &["send", "b", "second note"]);
    assert_eq!(state_of(&ws, "first note").0, "queued");
    for _ in 0..20 {
        let s = screen_of(&ws, "b");
        assert!(!s.contains("first note"), "typed into a busy agent: {s}");
        if s.contains("Working on the long job.") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    nox.wait_text("Read my inbox via the stop hook.", 40);
    wait_for_transcript(&ws, "b", "second note");
    assert_eq!(
        user_messages_with(&ws, "b", "Stop hook feedback"),
        1,
        "one Stop-hook feedback"
    );
    let both = transcript_text(&ws, "b")
        .lines()
        .filter(|l| l.contains("first note") && l.contains("second note") && l.contains("\"user\""))
        .count();
    assert!(both >= 1, "both messages in one request");
    assert_eq!(
        state_of(&ws, "first note"),
        ("delivered".into(), "stop hook".into())
    );
    let tasks = crate::support::tasks(&ws);
    assert_eq!(tasks[0]["status"], "done", "{tasks}");
    assert!(
        tasks[0]["result"]
            .as_str()
            .is_some_and(|r| r.contains("Working on the long job.")),
        "the task's result is its own turn's: {tasks}"
    );

    // 2. Waiting on a permission prompt: the message stays queued until
    //    the request is answered and the turn ends.
    nox.wait_for("b idle", 30, |s| s.contains("b · idle"));
    // Typed by the user, so no task holds the agent: only its status
    // keeps the message out.
    nox.type_str("this needs approval");
    std::thread::sleep(Duration::from_millis(400));
    nox.type_str("\r");
    eventually("b waits on its permission prompt", 30, || {
        socket_get(ws.path(), "/api/agents/b")["status"] == "waiting"
    });
    nox_ok(&ws, &["send", "b", "while waiting"]);
    // Past the typing guard (3 s after the user's last key).
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(state_of(&ws, "while waiting").0, "queued");
    assert!(!screen_of(&ws, "b").contains("while waiting"));
    let explain = nox_ok(&ws, &["agent", "explain", "b"]);
    assert!(
        explain.contains("pending approval: Bash touch waited.txt"),
        "{explain}"
    );
    assert!(explain.contains("inbox: 1 message queued"), "{explain}");
    let (st, body) = socket_call(
        ws.path(),
        "POST",
        "/api/agents/b/approve",
        Some(&json!({"allow": true})),
    );
    assert_eq!(st, 200, "{body}");
    eventually("delivered after the turn", 40, || {
        state_of(&ws, "while waiting").0 == "delivered"
    });
    assert!(ws.file("waited.txt").exists());

    // 3. Idle: woken with a typed prompt.
    nox.wait_for("b idle", 40, |s| s.contains("b · idle"));
    nox_ok(&ws, &["send", "b", "wake up"]);
    eventually("delivered as a prompt", 40, || {
        state_of(&ws, "wake up") == ("delivered".into(), "prompt".into())
    });
    nox.wait_text("Read my inbox via a prompt.", 40);
    nox.quit();
}
