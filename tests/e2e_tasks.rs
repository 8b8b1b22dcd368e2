//! Tasks end to end: the task CLI on the store and through a running
//! instance, dispatch to idle agents, dependencies, completion.

use crate::support::{NoxPty, Ws, eventually, nox_bin, nox_cmd as nox, tasks as tasks_json};

fn show(ws: &Ws, id: &str) -> serde_json::Value {
    serde_json::from_slice(&nox(ws, &["task", "show", id, "--json"]).stdout).expect("json")
}

/// When a task's events say it moved to `to` (ms since the epoch).
fn moved_to(v: &serde_json::Value, to: &str) -> Option<u64> {
    v["events"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .find(|e| e["kind"] == "task.updated" && e["data"]["task"]["status"] == to)
        })
        .and_then(|e| e["ts_ms"].as_u64())
}

#[test]
fn task_cli_works_on_the_store_without_an_instance() {
    let ws = Ws::new("[[agent]]\nname = \"a\"\ncommand = \"sh\"\n");
    let out = nox(
        &ws,
        &[
            "task",
            "add",
            "first",
            "--body",
            "do the first thing",
            "--priority",
            "2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "task 1 added (queued): first"
    );
    let out = nox(&ws, &["task", "add", "second", "--after", "1"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("task 2 added (blocked)"));
    let out = nox(&ws, &["task", "add", "orphan", "--after", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("task 9"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = tasks_json(&ws);
    assert_eq!(list[0]["status"], "queued");
    assert_eq!(list[1]["after"][0], 1);
    let out = nox(&ws, &["task", "cancel", "2"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("task 2 cancelled"));
    let out = nox(&ws, &["task", "show", "2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("status:   cancelled") && text.contains("task.created"),
        "{text}"
    );
}

#[test]
fn a_generic_bash_agent_with_a_ready_pattern_completes_a_task() {
    let ws = Ws::new(
        r#"
[[agent]]
name = "sh"
command = "bash"
args = ["--norc", "--noprofile", "-i"]
env = { PS1 = "ready> " }
ready_pattern = 'ready>\s*$'
"#,
    );
    let term = NoxPty::start(&ws, &[], 30, 110);
    term.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    let out = nox(
        &ws,
        &["task", "add", "compute", "--body", "echo result-$((6*7))"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually("task done", 20, || tasks_json(&ws)[0]["status"] == "done");
    let t = &tasks_json(&ws)[0];
    assert_eq!(t["assignee"], "sh");
    assert!(
        t["result"]
            .as_str()
            .is_some_and(|r| r.contains("result-42")),
        "{t}"
    );
    term.wait_text("result-42", 5);
}

#[test]
fn two_claude_agents_run_dependent_tasks_in_order() {
    let bin = crate::e2e_claude::claude_bin();
    let script =
        |reply: &str| format!("[[turn]]\n[[turn.step]]\ntext = \"{reply}\"\ndelay_ms = 500\n");
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"one\"\nkind = \"claude\"\ncommand = {b:?}\nmodel_script = \"one.toml\"\n\
         [[agent]]\nname = \"two\"\nkind = \"claude\"\ncommand = {b:?}\nmodel_script = \"two.toml\"\n",
        b = bin.display().to_string()
    ));
    std::fs::write(ws.file("one.toml"), script("Result from agent one.")).expect("script");
    std::fs::write(ws.file("two.toml"), script("Result from agent two.")).expect("script");
    let term = NoxPty::start(&ws, &[], 40, 140);
    term.wait_for("both agents idle", 90, |s| s.contains("2 idle"));
    let out = nox(
        &ws,
        &[
            "task",
            "add",
            "A",
            "--body",
            "please do task A",
            "--assign",
            "one",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = nox(
        &ws,
        &[
            "task",
            "add",
            "B",
            "--body",
            "please do task B",
            "--after",
            "1",
            "--assign",
            "two",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(blocked)"));
    eventually("both tasks done", 90, || {
        let l = tasks_json(&ws);
        l[0]["status"] == "done" && l[1]["status"] == "done"
    });
    let l = tasks_json(&ws);
    assert_eq!(l[0]["result"], "Result from agent one.");
    assert_eq!(l[1]["result"], "Result from agent two.");
    // B was assigned only after A was done.
    let (a, b) = (show(&ws, "1"), show(&ws, "2"));
    assert!(
        moved_to(&b, "assigned") >= moved_to(&a, "done"),
        "A done before B assigned:\n{a}\n{b}"
    );
}

#[test]
fn tasks_written_in_the_dialog_run_in_dependency_order() {
    let agent = |name: &str| {
        format!(
            "[[agent]]\nname = \"{name}\"\ncommand = \"bash\"\nargs = [\"--norc\", \"--noprofile\", \"-i\"]\n\
             env = {{ PS1 = \"ready> \" }}\nready_pattern = 'ready>\\s*$'\n"
        )
    };
    let ws = Ws::new(&format!("{}{}", agent("left"), agent("right")));
    let mut term = NoxPty::start(&ws, &[], 40, 140);
    term.wait_for("agents idle", 15, |s| s.contains("2 idle"));
    for (title, body, after) in [
        ("first", "sleep 1; echo done-first", ""),
        ("second", "echo done-second", "1"),
        ("third", "echo done-third", ""),
    ] {
        term.prefix(b"t");
        term.wait_text("New task", 10);
        term.type_str(title);
        term.type_str("\t");
        term.type_str(body);
        term.type_str("\t\t\t");
        term.type_str(after);
        term.type_str("\r");
        term.wait_for("dialog closed", 10, |s| !s.contains("New task"));
    }
    eventually("all three done", 30, || {
        let l = tasks_json(&ws);
        l.as_array()
            .is_some_and(|a| a.len() == 3 && a.iter().all(|t| t["status"] == "done"))
    });
    let l = tasks_json(&ws);
    let result = |id: u64| {
        l.as_array()
            .and_then(|a| a.iter().find(|t| t["id"] == id))
            .map(|t| t["result"].to_string())
    };
    assert!(result(1).is_some_and(|r| r.contains("done-first")));
    assert!(result(2).is_some_and(|r| r.contains("done-second")));
    let (first, second) = (show(&ws, "1"), show(&ws, "2"));
    assert!(
        moved_to(&second, "assigned") >= moved_to(&first, "done"),
        "second ran after first:\n{first}\n{second}"
    );
    term.wait_text("DONE", 5);
    // The results are still there after a restart of nox.
    term.prefix(b"d");
    term.wait_exit(15);
    drop(term);
    let again = NoxPty::start(&ws, &[], 40, 140);
    again.wait_for("the board after a restart", 15, |s| {
        s.contains("Tasks (0 open, 3 in all)") && s.contains("DONE")
    });
    assert!(result(3).is_some_and(|r| r.contains("done-third")));
}

#[test]
fn a_task_whose_agent_is_killed_is_redelivered_to_the_resumed_session() {
    let bin = crate::e2e_claude::claude_bin();
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"one\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"one.toml\"\n",
        bin.display().to_string()
    ));
    std::fs::write(
        ws.file("one.toml"),
        "[[turn]]\n[[turn.step]]\ntext = \"First attempt.\"\ndelay_ms = 20000\n\
         [[turn]]\n[[turn.step]]\ntext = \"Second attempt, after the first prompt.\"\n",
    )
    .expect("script");
    let term = NoxPty::start(&ws, &[], 40, 130);
    term.wait_for("agent idle", 90, |s| s.contains("one · idle"));
    let out = nox(&ws, &["task", "add", "A", "--body", "please do task A"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually("task running", 30, || {
        tasks_json(&ws)[0]["status"] == "running"
    });
    // Claude Code writes its transcript asynchronously: kill once the prompt is in it.
    crate::e2e_claude::wait_for_transcript(&ws, "one", "please do task A");
    let pid = crate::support::agent_pid(ws.path(), "one");
    crate::support::kill(pid, nix::sys::signal::Signal::SIGKILL);
    eventually("task requeued and done", 90, || {
        tasks_json(&ws)[0]["status"] == "done"
    });
    let t = &tasks_json(&ws)[0];
    assert_eq!(t["attempts"], 2, "{t}");
    // The endpoint answered turn 2: the resumed session carried the first prompt.
    assert_eq!(t["result"], "Second attempt, after the first prompt.");
    let task = show(&ws, "1");
    let lost = task["events"].as_array().and_then(|e| {
        e.iter()
            .find(|e| e["data"]["task"]["status"] == "queued" && e["data"]["from"] == "running")
    });
    assert!(
        lost.is_some(),
        "the crash put the task back in the queue: {task}"
    );
}

#[test]
fn task_files_become_tasks_and_malformed_ones_are_reported_untouched() {
    let ws = Ws::new(
        "[[agent]]\nname = \"sh\"\ncommand = \"bash\"\nargs = [\"--norc\", \"--noprofile\", \"-i\"]\n\
         env = { PS1 = \"ready> \" }\nready_pattern = 'ready>\\s*$'\n",
    );
    let term = NoxPty::start(&ws, &[], 40, 140);
    term.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    let good = ws.file(".nox/tasks/greet.md");
    std::fs::write(
        &good,
        "+++\npriority = 3 # urgent\n+++\n# Greet the team\n\necho hello-from-a-task-file\n",
    )
    .expect("write");
    let bad = ws.file(".nox/tasks/broken.md");
    let bad_text = "+++\npriority = \"high\"\n+++\n# Broken\n";
    std::fs::write(&bad, bad_text).expect("write");
    eventually("the file's task is done", 30, || {
        tasks_json(&ws)
            .as_array()
            .is_some_and(|a| a.len() == 1 && a[0]["status"] == "done")
    });
    let t = &tasks_json(&ws)[0];
    assert_eq!(
        (t["title"].as_str(), t["priority"].as_i64()),
        (Some("Greet the team"), Some(3))
    );
    assert!(
        t["result"]
            .as_str()
            .is_some_and(|r| r.contains("hello-from-a-task-file")),
        "{t}"
    );
    eventually("id and status written back", 10, || {
        std::fs::read_to_string(&good)
            .is_ok_and(|s| s.contains("id = 1") && s.contains("status = \"done\""))
    });
    let text = std::fs::read_to_string(&good).expect("read");
    assert!(
        text.contains("priority = 3 # urgent") && text.contains("# Greet the team"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&bad).expect("bad"),
        bad_text,
        "a malformed file is left untouched"
    );
    term.wait_text("broken.md:2", 10);
}

#[test]
fn an_unconfirmed_delivery_is_retried_then_stalled() {
    // A "claude" agent that shows Claude Code's idle input box but never
    // runs hooks: nothing ever confirms a delivery.
    let ws =
        Ws::new("[[agent]]\nname = \"mute\"\nkind = \"claude\"\ncommand = \"./fake-claude\"\n");
    let rule = "─".repeat(40);
    std::fs::write(
        ws.file("fake-claude"),
        format!("#!/bin/sh\nprintf '{rule}\\r\\n❯ \\r\\n{rule}\\r\\n'\nexec cat > /dev/null\n"),
    )
    .expect("script");
    std::process::Command::new("chmod")
        .args(["+x", "fake-claude"])
        .current_dir(ws.path())
        .status()
        .expect("chmod");
    let term = NoxPty::start(&ws, &[], 30, 110);
    term.wait_for("idle from the screen rule", 15, |s| {
        s.contains("mute · idle") && s.contains("idle input box")
    });
    let out = nox(&ws, &["task", "add", "never confirmed"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually(
        "delivery stalled and the task back in the queue",
        20,
        || {
            let t = &tasks_json(&ws)[0];
            t["detail"].as_str().is_some_and(|d| d.contains("stalled"))
                && t["attempts"].as_u64() >= Some(1)
        },
    );
    let task = show(&ws, "1");
    let deliveries: Vec<&serde_json::Value> = task["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "task.delivery")
        .collect();
    assert!(
        deliveries.len() >= 3,
        "delivered, retried once, then stalled: {task}"
    );
    assert!(
        deliveries
            .iter()
            .any(|e| e["data"]["outcome"]["outcome"] == "stalled"),
        "{task}"
    );
}

#[test]
fn bad_hook_payloads_get_errors_and_never_block() {
    let ws = Ws::new("[[agent]]\nname = \"a\"\ncommand = \"sh\"\n");
    let term = NoxPty::start(&ws, &[], 30, 110);
    term.wait_text("Agents (1)", 15);
    let sock = ws.file(".nox/nox.sock");
    eventually("socket up", 10, || sock.exists());
    let (status, body) = nox::client::request(
        &sock,
        "POST",
        "/hook/Stop?agent=a",
        &[],
        Some(b"not json"),
        std::time::Duration::from_secs(5),
    )
    .expect("answer");
    assert_eq!(status, 400, "{body}");
    assert!(
        nox::client::error_message(&body).contains("not JSON"),
        "{body}"
    );
    let (status, body) = nox::client::request(
        &sock,
        "POST",
        "/hook/Stop?agent=ghost",
        &[],
        Some(b"{}"),
        std::time::Duration::from_secs(5),
    )
    .expect("answer");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("\"code\":\"not_found\""), "{body}");
    let (status, _) = nox::client::request(
        &sock,
        "POST",
        "/hook/Bogus?agent=a",
        &[],
        Some(b"{}"),
        std::time::Duration::from_secs(5),
    )
    .expect("answer");
    assert_eq!(status, 400);
    // `nox hook` itself exits 0 and fast even when the instance refuses.
    let t0 = std::time::Instant::now();
    let mut child = std::process::Command::new(nox_bin())
        .args(["hook", "Stop", "--agent", "ghost"])
        .current_dir(ws.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("hook");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), b"garbage").expect("write");
    drop(child.stdin.take());
    assert!(child.wait().expect("wait").success());
    assert!(t0.elapsed() < std::time::Duration::from_secs(2));
    let log = std::fs::read_to_string(ws.file(".nox/logs/hooks.log")).expect("miss logged");
    assert!(log.contains("HTTP 400"), "{log}");
}
