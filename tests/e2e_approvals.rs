//! Approvals with the real Claude Code CLI (2.1.328) against the scripted
//! endpoint: nox's PermissionRequest hook waits for an answer from the API,
//! the dashboard, a `[[policy]]` rule or the pane itself; each decision is
//! an `approval.decided` event naming who decided.

use std::time::Duration;

use serde_json::{Value, json};

use crate::e2e_claude::claude_bin;
use crate::support::{NoxPty, Ws, eventually, nox_ok, socket_call, socket_get};

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
when = "touch inpane"
[[turn.step]]
tool = "Bash"
input = { command = "sleep 5; touch inpane.txt", description = "Touch in pane" }
[[turn.step]]
text = "Ran the command answered in the pane."

[[turn]]
when = "touch policy"
[[turn.step]]
tool = "Bash"
input = { command = "touch policy.txt", description = "Touch policy" }
[[turn.step]]
text = "Ran the command the policy allowed."
"#;

fn ws() -> Ws {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"x\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"default\"\n\
         [[agent]]\nname = \"other\"\ncommand = \"sh\"\n\
         [[policy]]\nagent = \"x*\"\ntool = \"Bash\"\npattern = \"^touch policy\"\ndecision = \"allow\"\n\
         [[policy]]\ntool = \"Bash\"\ndecision = \"ask\"\n",
        claude_bin().display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), SCRIPT).expect("script");
    ws
}

fn agent(ws: &Ws) -> Value {
    socket_get(ws.path(), "/api/agents/x")
}

fn wait_pending(ws: &Ws, what: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        last = agent(ws);
        if last["approval"]["what"] == what && last["status"] == "waiting" {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no pending approval for {what}: {last}");
}

fn decisions(ws: &Ws) -> Vec<(String, String, String)> {
    let out = nox_ok(ws, &["events", "--json"]);
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == "approval.decided")
        .map(|e| {
            let d = &e["data"];
            (
                d["approval"]["what"].as_str().unwrap_or("").to_string(),
                d["outcome"].as_str().unwrap_or("").to_string(),
                d["by"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// `nox hook PermissionRequest` processes of this workspace's agents.
fn hooks_waiting(ws: &Ws) -> usize {
    let socket = format!("NOX_SOCKET={}", ws.file(".nox/nox.sock").display());
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| {
            let read = |f: &str| std::fs::read(d.path().join(f)).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&read("cmdline")).into_owned();
            let environ = String::from_utf8_lossy(&read("environ")).into_owned();
            cmdline.contains("hook\0PermissionRequest") && environ.split('\0').any(|v| v == socket)
        })
        .count()
}

#[test]
fn permission_requests_are_answered_by_the_api_the_pane_and_policy_rules() {
    let ws = ws();
    let mut nox = NoxPty::start(&ws, &[], 40, 140);
    nox.wait_for("x idle", 90, |s| s.contains("x · idle"));

    // 1. Allowed through the API: the hook's answer runs the tool, and the
    //    agent is busy at once.
    nox_ok(
        &ws,
        &["task", "add", "please touch approved", "--assign", "x"],
    );
    let a = wait_pending(&ws, "touch approved.txt");
    assert_eq!(a["approval"]["tool"], "Bash", "{a}");
    let (st, body) = socket_call(
        ws.path(),
        "POST",
        "/api/agents/x/approve",
        Some(&json!({"allow": true})),
    );
    assert_eq!(st, 200, "{body}");
    assert_ne!(
        agent(&ws)["status"],
        "waiting",
        "busy at once after the answer"
    );
    eventually("approved.txt exists", 30, || {
        ws.file("approved.txt").exists()
    });
    nox.wait_text("Ran the approved command.", 30);
    // No second answer: nothing is pending.
    let (st, body) = socket_call(
        ws.path(),
        "POST",
        "/api/agents/x/approve",
        Some(&json!({"allow": true})),
    );
    assert_eq!(st, 409, "{body}");

    // 2. Denied through the API: no file, and the refusal is in the pane.
    nox.wait_for("x idle", 30, |s| s.contains("x · idle"));
    nox_ok(
        &ws,
        &["task", "add", "please touch denied", "--assign", "x"],
    );
    wait_pending(&ws, "touch denied.txt");
    let (st, body) = socket_call(
        ws.path(),
        "POST",
        "/api/agents/x/approve",
        Some(&json!({"allow": false})),
    );
    assert_eq!(st, 200, "{body}");
    nox.wait_text("The command was refused.", 30);
    nox.wait_text("denied from nox by the api", 10);
    assert!(!ws.file("denied.txt").exists(), "the denied command ran");

    // 3. Answered in the pane: `1` runs the tool, the agent is busy at
    //    once, and the waiting hook is released.
    nox.wait_for("x idle", 30, |s| s.contains("x · idle"));
    nox_ok(
        &ws,
        &["task", "add", "please touch inpane", "--assign", "x"],
    );
    wait_pending(&ws, "sleep 5; touch inpane.txt");
    nox.wait_text("Do you want to proceed?", 20);
    assert_eq!(hooks_waiting(&ws), 1, "one PermissionRequest hook waits");
    std::thread::sleep(Duration::from_millis(500));
    nox.type_str("1");
    // Busy at once, not when the approved command ends 5 s later.
    eventually("busy soon after the answer", 2, || {
        agent(&ws)["status"] == "busy"
    });
    assert!(!ws.file("inpane.txt").exists(), "the command ended already");
    eventually("inpane.txt exists", 30, || ws.file("inpane.txt").exists());
    eventually("the waiting hook is released", 10, || {
        hooks_waiting(&ws) == 0
    });
    eventually("the request is resolved", 10, || {
        agent(&ws)["approval"].is_null()
    });
    nox.wait_text("Ran the command answered in the pane.", 30);

    // 4. A policy rule allows it with no key pressed.
    nox.wait_for("x idle", 30, |s| s.contains("x · idle"));
    nox_ok(
        &ws,
        &["task", "add", "please touch policy", "--assign", "x"],
    );
    eventually("policy.txt exists", 30, || ws.file("policy.txt").exists());
    nox.wait_text("Ran the command the policy allowed.", 30);

    let d = decisions(&ws);
    let expect = [
        ("touch approved.txt", "allow", "api"),
        ("touch denied.txt", "deny", "api"),
        ("sleep 5; touch inpane.txt", "in_pane", "pane"),
        ("touch policy.txt", "allow", "policy rule 1"),
    ];
    for (what, outcome, by) in expect {
        assert!(
            d.iter()
                .any(|(w, o, b)| w == what && o == outcome && b == by),
            "no decision ({what}, {outcome}, {by}) in {d:?}"
        );
    }
    assert_eq!(d.len(), 4, "one decision per request: {d:?}");
    nox.quit();
}
