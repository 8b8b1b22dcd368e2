//! Agents working as a team with the real Claude Code CLI (2.1.328) against
//! the scripted endpoint: delegation through `mcp__nox__delegate_task`
//! closes the loop (the delegator gets the result as a message, through its
//! Stop hook when busy or as a prompt when idle), and a ping-pong between
//! two agents stops at the per-pair rate limit.

use serde_json::Value;

use crate::e2e_claude::{claude_bin, transcript_text, wait_for_transcript};
use crate::support::{NoxPty, Ws, eventually, nox_ok, socket_get, wait_socket, wait_status};

const A: &str = r#"
[[turn]]
when = "Stop hook feedback"
[[turn.step]]
text = "a got the result via the stop hook."

[[turn]]
when = "Inbox ("
[[turn.step]]
text = "a got the result via a prompt."

[[turn]]
when = "plan busy"
[[turn.step]]
tool = "mcp__nox__delegate_task"
input = { title = "write b.txt", body = "please write the file b.txt", to = "b" }
[[turn.step]]
text = "Delegated; still busy."
delay_ms = 15000

[[turn]]
when = "plan idle"
[[turn.step]]
tool = "mcp__nox__delegate_task"
input = { title = "write c.txt", body = "please write the file c.txt", to = "b" }
[[turn.step]]
text = "Delegated; done for now."
"#;

const B: &str = r#"
[[turn]]
when = "the file b.txt"
[[turn.step]]
tool = "Write"
input = { file_path = "{cwd}/b.txt", content = "from b\n" }
[[turn.step]]
text = "Wrote b.txt."

[[turn]]
when = "the file c.txt"
[[turn.step]]
tool = "Write"
input = { file_path = "{cwd}/c.txt", content = "from b\n" }
delay_ms = 6000
[[turn.step]]
text = "Wrote c.txt."
"#;

fn claude_agent(name: &str, script: &str, mode: &str) -> String {
    format!(
        "[[agent]]\nname = \"{name}\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"{script}\"\npermission_mode = \"{mode}\"\n",
        claude_bin().display().to_string()
    )
}

fn messages(ws: &Ws) -> Vec<Value> {
    socket_get(ws.path(), "/api/messages")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn task(ws: &Ws, id: u64) -> Value {
    socket_get(ws.path(), &format!("/api/tasks/{id}"))["task"].clone()
}

#[test]
fn delegation_returns_the_result_to_a_busy_or_idle_delegator() {
    let ws = Ws::new(&format!(
        "{}{}",
        claude_agent("a", "a.toml", "acceptEdits"),
        claude_agent("b", "b.toml", "acceptEdits")
    ));
    std::fs::write(ws.file("a.toml"), A).expect("a");
    std::fs::write(ws.file("b.toml"), B).expect("b");
    let mut nox = NoxPty::start(&ws, &[], 40, 160);
    wait_socket(ws.path(), 30);
    wait_status(ws.path(), "a", "idle", 90);
    wait_status(ws.path(), "b", "idle", 90);

    // Busy delegator: the result arrives as Stop-hook feedback.
    nox_ok(&ws, &["task", "add", "plan busy", "--assign", "a"]);
    eventually("task 2 is delegated", 40, || task(&ws, 2)["id"] == 2);
    let t2 = task(&ws, 2);
    assert_eq!(t2["created_by"], "a", "{t2}");
    assert_eq!(t2["assignee"], "b", "{t2}");
    assert_eq!(t2["parent"], 1, "{t2}");
    eventually("b wrote b.txt", 40, || ws.file("b.txt").exists());
    eventually("task 2 done", 30, || task(&ws, 2)["status"] == "done");
    wait_for_transcript(&ws, "a", "a got the result via the stop hook.");
    let a_log = transcript_text(&ws, "a");
    assert!(a_log.contains("Stop hook feedback"), "{a_log}");
    assert!(
        a_log.contains("Task 2 \\\"write b.txt\\\" is done"),
        "{a_log}"
    );
    let m = messages(&ws);
    let delegation = m
        .iter()
        .find(|x| x["kind"] == "delegation" && x["task"] == 2)
        .unwrap_or_else(|| panic!("no delegation: {m:?}"));
    assert_eq!(
        (delegation["from"].as_str(), delegation["to"].as_str()),
        (Some("a"), Some("b"))
    );
    let result = m
        .iter()
        .find(|x| x["kind"] == "result" && x["task"] == 2)
        .unwrap_or_else(|| panic!("no result: {m:?}"));
    assert_eq!(result["to"], "a");
    assert_eq!(result["state"], "delivered");
    assert_eq!(result["reason"], "stop hook");
    // The Messages pane shows both, as such.
    nox.wait_text("⇢ a → b delegated task 2: write b.txt", 10);
    nox.wait_text("⇠ b → a result of task 2", 10);

    // Idle delegator: the result is typed as a new prompt.
    wait_status(ws.path(), "a", "idle", 40);
    nox_ok(&ws, &["task", "add", "plan idle", "--assign", "a"]);
    eventually("task 4 is delegated", 40, || task(&ws, 4)["id"] == 4);
    eventually("b wrote c.txt", 40, || ws.file("c.txt").exists());
    wait_for_transcript(&ws, "a", "a got the result via a prompt.");
    let m = messages(&ws);
    let result = m
        .iter()
        .find(|x| x["kind"] == "result" && x["task"] == 4)
        .unwrap_or_else(|| panic!("no result: {m:?}"));
    assert_eq!(result["reason"], "prompt", "{result}");
    nox.quit();
}

const PING: &str = r#"
[[turn]]
when = "Inbox ("
[[turn.step]]
tool = "mcp__nox__send_message"
input = { to = "q", text = "ping" }
[[turn.step]]
text = "sent ping"
"#;

const PONG: &str = r#"
[[turn]]
when = "Inbox ("
[[turn.step]]
tool = "mcp__nox__send_message"
input = { to = "p", text = "pong" }
[[turn.step]]
text = "sent pong"
"#;

#[test]
fn a_ping_pong_between_two_agents_stops_at_the_rate_limit() {
    let ws = Ws::new(&format!(
        "{}{}[routing]\nmessage_limit = 3\nmessage_window_secs = 600\n",
        claude_agent("p", "p.toml", "default"),
        claude_agent("q", "q.toml", "default")
    ));
    std::fs::write(ws.file("p.toml"), PING).expect("p");
    std::fs::write(ws.file("q.toml"), PONG).expect("q");
    let mut nox = NoxPty::start(&ws, &[], 40, 160);
    wait_socket(ws.path(), 30);
    wait_status(ws.path(), "p", "idle", 90);
    wait_status(ws.path(), "q", "idle", 90);
    nox_ok(&ws, &["send", "p", "start the game"]);
    eventually("a message is refused", 120, || {
        messages(&ws).iter().any(|m| m["state"] == "refused")
    });
    let m = messages(&ws);
    let refused: Vec<&Value> = m.iter().filter(|x| x["state"] == "refused").collect();
    assert_eq!(refused.len(), 1, "{m:?}");
    assert!(
        refused[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("rate limited")),
        "{m:?}"
    );
    let from = refused[0]["from"].as_str().unwrap_or_default().to_string();
    // Both directions count together: ping, pong, ping, and the fourth
    // is refused.
    let between: Vec<&Value> = m
        .iter()
        .filter(|x| x["kind"] == "message" && x["from"] != "user")
        .collect();
    assert_eq!(between.len(), 4, "three sent, the fourth refused: {m:?}");
    assert_eq!(between[3]["state"], "refused", "{m:?}");
    // The sender's model was told why.
    wait_for_transcript(&ws, &from, "rate limited");
    // And the loop has stopped: nothing new for a few seconds.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let before = messages(&ws).len();
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(messages(&ws).len(), before, "the loop went on");
    nox.quit();
}
