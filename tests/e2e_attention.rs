//! What needs the user, end to end with the real Claude Code CLI (2.1.328)
//! against the scripted endpoint: an agent `x` whose Bash call waits for
//! permission while another agent's pane is shown rings the outer
//! terminal's bell once (and sends one OSC 9), the status line says
//! `needs you: 1`, prefix `y` allows from the other pane; a turn that ends
//! off screen is `done · unseen` (one more bell); prefix `u` jumps to the
//! next request and prefix `N` denies it (the refusal shows in x's pane);
//! each decision is an `approval.decided` event by the user; prefix `m`
//! sends a message that the Messages pane shows delivered.

use std::time::Duration;

use serde_json::Value;

use crate::e2e_claude::claude_bin;
use crate::support::{NoxPty, Ws, eventually, nox_ok, socket_get, wait_status};

const SCRIPT: &str = r#"
[[turn]]
when = "touch approved"
[[turn.step]]
tool = "Bash"
input = { command = "touch approved.txt", description = "Touch approved" }
[[turn.step]]
text = "Ran the approved command."

[[turn]]
when = "touch denied"
[[turn.step]]
tool = "Bash"
input = { command = "touch denied.txt", description = "Touch denied" }
[[turn.step]]
text = "The command was refused."

[[turn]]
when = "Inbox ("
[[turn.step]]
text = "Read the message from the user."
"#;

fn ws() -> Ws {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"x\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"default\"\n\
         [[agent]]\nname = \"other\"\ncommand = \"sh\"\n",
        claude_bin().display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), SCRIPT).expect("script");
    ws
}

/// How many BEL bytes `raw` holds.
fn bel_count(raw: &[u8]) -> usize {
    raw.split(|b| *b == 0x07).count() - 1
}

/// BEL bytes and OSC 9 notifications nox has written so far.
fn alerts(nox: &NoxPty) -> (usize, Vec<String>) {
    let raw = nox.raw();
    let bells = bel_count(&raw);
    let text = String::from_utf8_lossy(&raw);
    let notes = text
        .split("\x1b]9;")
        .skip(1)
        .map(|s| s.split("\x1b\\").next().unwrap_or_default().to_string())
        .collect();
    (bells, notes)
}

/// Waits until x waits on a request for `what`.
fn wait_pending(ws: &Ws, what: &str) {
    eventually(&format!("x asks to run {what}"), 90, || {
        let a = socket_get(ws.path(), "/api/agents/x");
        a["status"] == "waiting" && a["approval"]["what"] == what
    });
}

/// The text of the left-column pane titled `title` (its rows joined).
fn pane(screen: &str, title: &str) -> String {
    screen
        .lines()
        .map(|l| l.chars().take(42).collect::<String>())
        .skip_while(|l| !l.contains(title))
        .skip(1)
        .take_while(|l| !l.starts_with('└') && !l.starts_with('┗'))
        .map(|l| l.trim_matches(['│', '┃', ' ']).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn decisions_by_user(ws: &Ws) -> Vec<(String, String)> {
    nox_ok(ws, &["events", "--json"])
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == "approval.decided" && e["data"]["by"] == "user")
        .map(|e| {
            let d = &e["data"];
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (s(&d["approval"]["what"]), s(&d["outcome"]))
        })
        .collect()
}

#[test]
fn the_dashboard_calls_the_user_once_and_answers_from_any_pane() {
    let ws = ws();
    let mut nox = NoxPty::start(&ws, &[], 40, 140);
    nox.wait_for("x idle", 90, |s| s.contains("x · idle"));
    wait_status(ws.path(), "x", "idle", 30);
    // Show the other agent's pane.
    nox.prefix(b"1");
    nox.wait_for("other's pane", 10, |s| s.contains("other · "));
    std::thread::sleep(Duration::from_millis(500));
    let (bells, notes) = alerts(&nox);

    // 1. A request while another pane is shown: one bell, one OSC 9.
    nox_ok(
        &ws,
        &["task", "add", "please touch approved", "--assign", "x"],
    );
    wait_pending(&ws, "touch approved.txt");
    let s = nox.wait_text("needs you: 1", 10);
    assert!(
        pane(&s, "Agents (2)").contains("waiting Bash: touc"),
        "the Agents pane names the request\n{s}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let (b, n) = alerts(&nox);
    assert_eq!(b - bells, 1, "one BEL for the transition into waiting");
    assert_eq!(n.len() - notes.len(), 1, "one OSC 9: {n:?}");
    assert!(n[notes.len()].starts_with("nox: x needs you"), "{n:?}");

    // 2. prefix y from the other pane allows it.
    nox.prefix(b"y");
    nox.wait_text("allowed Bash for x", 10);
    eventually("approved.txt exists", 30, || {
        ws.file("approved.txt").exists()
    });
    // The turn ends off screen: done · unseen, and one more bell.
    wait_status(ws.path(), "x", "idle", 60);
    let s = nox.wait_text("done · unseen", 10);
    assert!(!s.contains("needs you"), "{s}");
    std::thread::sleep(Duration::from_secs(2));
    let (b2, n2) = alerts(&nox);
    assert_eq!(b2 - b, 1, "one BEL for the unseen turn end");
    assert_eq!(n2.len() - n.len(), 1, "{n2:?}");
    assert_eq!(n2[n.len()], "nox: x finished its turn");

    // 3. The next request: prefix u jumps to x, whose title names it;
    //    prefix N denies it; the refusal shows in x's pane.
    nox_ok(
        &ws,
        &["task", "add", "please touch denied", "--assign", "x"],
    );
    wait_pending(&ws, "touch denied.txt");
    nox.wait_text("needs you: 1", 10);
    std::thread::sleep(Duration::from_secs(2));
    let (b3, _) = alerts(&nox);
    assert_eq!(b3 - b2, 1, "one BEL for the second request");
    nox.prefix(b"u");
    nox.wait_text("x · waiting · Bash: touch denied.txt", 10);
    nox.prefix(b"N");
    nox.wait_text("denied Bash for x", 10);
    nox.wait_text("denied from nox by the user", 30);
    nox.wait_text("The command was refused.", 30);
    wait_status(ws.path(), "x", "idle", 60);
    assert!(!ws.file("denied.txt").exists(), "the denied command ran");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(alerts(&nox).0, b3, "a turn that ends on screen is seen");
    assert!(!nox.screen().contains("done · unseen"));
    assert_eq!(
        decisions_by_user(&ws),
        [
            ("touch approved.txt".to_string(), "allow".to_string()),
            ("touch denied.txt".to_string(), "deny".to_string()),
        ]
    );

    // 4. prefix m: a message to the selected agent, shown and delivered.
    //    (The jump sent x a focus-in, which counts as typing: an inbox
    //    waits 3 s after it. Past that, the first try delivers; the core's
    //    later retries are not what this test is about.)
    std::thread::sleep(Duration::from_secs(4));
    nox.prefix(b"m");
    nox.wait_text("Message to x", 10);
    nox.type_str("hello from the user");
    nox.type_str("\r");
    nox.wait_for("the message in the Messages pane", 10, |s| {
        pane(s, "Messages (1)").contains("user → x: hello from the user")
    });
    nox.wait_text("Read the message from the user.", 60);
    let s = nox.wait_for("delivered", 30, |s| {
        pane(s, "Messages (1)").contains("· delivered")
    });
    let m = socket_get(ws.path(), "/api/messages?agent=x");
    assert_eq!(m[0]["state"], "delivered", "{m}\n{s}");
    nox.quit();
}

/// A generic agent `a` whose task ends while `other`'s pane is shown, with
/// `ui` as the `[ui]` table; returns what nox wrote.
fn unseen_turn(ui: &str) -> Vec<u8> {
    let ws = Ws::new(&format!(
        "[ui]\n{ui}\n\
         [[agent]]\nname = \"a\"\ncommand = \"bash\"\nargs = [\"--norc\", \"--noprofile\", \"-i\"]\n\
         env = {{ PS1 = \"ready> \" }}\nready_pattern = 'ready>\\s*$'\n\
         [[agent]]\nname = \"other\"\ncommand = \"sh\"\n"
    ));
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("a idle", 15, |s| s.contains("a · idle"));
    nox.prefix(b"1");
    nox.wait_for("other's pane", 10, |s| s.contains("other · "));
    wait_status(ws.path(), "a", "idle", 15);
    std::thread::sleep(Duration::from_millis(500));
    let before = nox.raw().len();
    nox_ok(
        &ws,
        &["task", "add", "sleep 1; echo done-a", "--assign", "a"],
    );
    nox.wait_text("done · unseen", 30);
    std::thread::sleep(Duration::from_secs(1));
    nox.quit();
    nox.raw().split_off(before)
}

#[test]
fn the_bell_and_the_notification_follow_the_ui_settings() {
    let raw = unseen_turn("notify = \"osc777\"");
    assert_eq!(bel_count(&raw), 1);
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(
        text.matches("\x1b]777;notify;nox;nox: a finished its turn\x1b\\")
            .count(),
        1,
        "{text:?}"
    );
    assert!(!text.contains("\x1b]9;"), "{text:?}");

    let raw = unseen_turn("bell = false\nnotify = \"off\"");
    assert!(!raw.contains(&0x07), "no bell");
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.contains("\x1b]9;") && !text.contains("\x1b]777;"),
        "{text:?}"
    );
}
