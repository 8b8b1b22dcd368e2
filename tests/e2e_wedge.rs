//! End-to-end: tasks never wedge. Leases are compared with the clock; a
//! turn that ends without `Stop` fails its task and the agent takes the
//! next; a generic agent's delivery needs evidence; a silent foreground job
//! is `busy`; nothing is typed over the user's typing or draft; unknown
//! assignees are refused everywhere; failed spawns follow the restart policy.

use std::time::{Duration, Instant};

use crate::e2e_claude::claude_bin;
use crate::support::{NoxPty, Ws, eventually, nox_cmd, nox_ok, socket_call, tasks, wait_socket};

const SHELL: &str = crate::support::BASH_SH;

fn show(ws: &Ws, id: u64) -> serde_json::Value {
    serde_json::from_str(&nox_ok(ws, &["task", "show", &id.to_string(), "--json"])).expect("json")
}

fn causes(ws: &Ws, id: u64) -> Vec<String> {
    show(ws, id)["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "task.updated")
        .filter_map(|e| e["data"]["cause"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_lease_that_lapses_puts_the_task_back_in_the_queue() {
    // An agent that takes a prompt, says so, then hangs: no output, no job
    // in the foreground, no hook — no progress, so its lease lapses.
    let ws = Ws::new(
        "[[agent]]\nname = \"sh\"\ncommand = \"sh\"\nargs = [\"-c\", \"printf 'ready> '; while read l; do echo working; sleep 1000; done\"]\nready_pattern = 'ready>\\s*$'\n\n[routing]\nlease_secs = 2\n",
    );
    let nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    nox_ok(&ws, &["task", "add", "hang", "--body", "please hang"]);
    eventually("the task runs", 15, || tasks(&ws)[0]["status"] == "running");
    eventually("the lease lapsed and the task is queued again", 15, || {
        let t = &tasks(&ws)[0];
        t["status"] == "queued" && t["detail"].as_str().is_some_and(|d| d.contains("lease"))
    });
    let t = &tasks(&ws)[0];
    assert_eq!(t["attempts"], 1, "{t}");
    assert!(t["retry_at"].as_u64().is_some(), "the retry backs off: {t}");
    assert!(
        causes(&ws, 1).iter().any(|c| c.contains("lapsed")),
        "{:?}",
        causes(&ws, 1)
    );
    // The agent was told to drop it: it holds no task.
    let agents = socket_call(ws.path(), "GET", "/api/agents", None).1;
    assert_eq!(
        agents[0]["current_task"],
        serde_json::Value::Null,
        "{agents}"
    );
}

#[test]
fn a_long_silent_job_keeps_its_lease_and_a_lost_task_goes_to_another_agent() {
    let agent = |name: &str| {
        format!(
            "[[agent]]\nname = \"{name}\"\ncommand = \"bash\"\nargs = [\"--norc\", \"--noprofile\", \"-i\"]\n\
             env = {{ PS1 = \"ready> \" }}\nready_pattern = 'ready>\\s*$'\n"
        )
    };
    let ws = Ws::new(&format!(
        "{}{}\n[routing]\nlease_secs = 2\n",
        agent("a"),
        agent("b")
    ));
    let nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agents idle", 15, |s| s.contains("2 idle"));
    // A silent job in the foreground is work: the lease holds past 2 s.
    nox_ok(
        &ws,
        &["task", "add", "build", "--body", "sleep 4; echo built"],
    );
    eventually("task done", 20, || tasks(&ws)[0]["status"] == "done");
    assert_eq!(tasks(&ws)[0]["attempts"], 1, "{}", tasks(&ws)[0]);
    // Its agent is stopped mid-task: the task goes to the other one.
    nox_ok(
        &ws,
        &[
            "task",
            "add",
            "second",
            "--body",
            "sleep 3; echo second-done",
        ],
    );
    eventually("task 2 runs", 15, || {
        show(&ws, 2)["task"]["status"] == "running"
    });
    let first = show(&ws, 2)["task"]["assignee"]
        .as_str()
        .expect("holder")
        .to_string();
    nox_ok(&ws, &["agent", "stop", &first]);
    eventually("task 2 done by the other agent", 30, || {
        show(&ws, 2)["task"]["status"] == "done"
    });
    let t = &show(&ws, 2)["task"];
    assert_ne!(t["assignee"].as_str(), Some(first.as_str()), "{t}");
    assert_eq!(
        (t["attempts"].as_u64(), t["result"].as_str()),
        (Some(2), Some("second-done")),
        "{t}"
    );
}

#[test]
fn a_generic_agent_that_shows_no_evidence_stalls_instead_of_finishing() {
    let ws = Ws::new(
        "[[agent]]\nname = \"sink\"\ncommand = \"sh\"\nargs = [\"-c\", \"exec cat > /dev/null\"]\n",
    );
    let nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sink · idle"));
    nox_ok(&ws, &["task", "add", "ignored", "--body", "please do it"]);
    std::thread::sleep(Duration::from_secs(3));
    assert_ne!(tasks(&ws)[0]["status"], "done", "the echo is no evidence");
    eventually("the delivery stalled", 20, || {
        tasks(&ws)[0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("stalled"))
    });
    let t = &tasks(&ws)[0];
    assert_eq!(t["status"], "queued");
    assert!(t["result"].is_null(), "{t}");
}

#[test]
fn a_silent_foreground_job_is_busy_and_quit_asks_first() {
    let ws = Ws::new(SHELL);
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    nox.type_str("sleep 15\r");
    let s = nox.wait_for("busy while sleep runs", 10, |s| s.contains("sh · busy"));
    assert!(s.contains("running sleep"), "{s}");
    nox.prefix(b"d");
    nox.wait_text("Quit anyway", 5);
    nox.type_str("n");
    // Ctrl-C ends the job: the shell is back in the foreground, idle.
    nox.type_str("\x03");
    nox.wait_for("idle again", 10, |s| s.contains("sh · idle"));
}

#[test]
fn a_shell_task_result_holds_only_its_own_output() {
    let ws = Ws::new(SHELL);
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    nox.type_str("echo earlier-output\r");
    nox.wait_text("earlier-output", 5);
    std::thread::sleep(Duration::from_millis(3200));
    nox_ok(
        &ws,
        &[
            "task",
            "add",
            "two lines",
            "--body",
            "echo one; sleep 1; echo two",
        ],
    );
    eventually("task done", 20, || tasks(&ws)[0]["status"] == "done");
    assert_eq!(tasks(&ws)[0]["result"], "one\ntwo");
}

#[test]
fn no_prompt_is_typed_while_the_user_types() {
    let ws = Ws::new(SHELL);
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    // A space keeps the prompt line ready (idle), but it is typing.
    nox.type_str(" ");
    nox_ok(
        &ws,
        &["task", "add", "later", "--body", "echo from-the-task"],
    );
    eventually("the task waits and says why", 5, || {
        let t = &tasks(&ws)[0];
        t["status"] == "queued"
            && t["detail"]
                .as_str()
                .is_some_and(|d| d.contains("typing into sh"))
    });
    nox.wait_text("↳ waiting", 5);
    eventually("delivered once the user stopped typing", 15, || {
        tasks(&ws)[0]["status"] == "done"
    });
    assert_eq!(tasks(&ws)[0]["result"], "from-the-task");
}

#[test]
fn an_unknown_assignee_is_refused_on_every_path() {
    let ws = Ws::new(SHELL);
    let out = nox_cmd(&ws, &["task", "add", "x", "--assign", "ghost"]);
    assert_eq!(out.status.code(), Some(2), "without an instance");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ghost"));
    let nox = NoxPty::start(&ws, &[], 30, 120);
    wait_socket(ws.path(), 15);
    let out = nox_cmd(&ws, &["task", "add", "x", "--assign", "ghost"]);
    assert_eq!(out.status.code(), Some(2), "through the instance");
    let (status, body) = socket_call(
        ws.path(),
        "POST",
        "/api/tasks",
        Some(&serde_json::json!({"title": "x", "assign": "ghost"})),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ghost"))
    );
    let file = ws.file(".nox/tasks/ghost.md");
    let text = "+++\nassign = \"ghost\"\n+++\n# For nobody\n";
    std::fs::write(&file, text).expect("task file");
    eventually("the file is refused, in the log", 10, || {
        nox.log_tail().contains("ghost.md: refused")
    });
    assert_eq!(
        std::fs::read_to_string(&file).expect("file"),
        text,
        "left untouched"
    );
    assert_eq!(tasks(&ws).as_array().map(Vec::len), Some(0));
}

#[test]
fn a_spawn_failure_follows_the_restart_policy() {
    let ws = Ws::new(
        "[[agent]]\nname = \"denied\"\ncommand = \"./not-executable\"\nrestart = \"always\"\nmax_restarts = 2\nrestart_window_secs = 60\n",
    );
    std::fs::write(ws.file("not-executable"), "#!/bin/sh\n").expect("file");
    let nox = NoxPty::start(&ws, &[], 30, 140);
    nox.wait_text("restarting", 10);
    let s = nox.wait_text("failed", 20);
    assert!(
        s.contains("Permission denied") || s.contains("giving up"),
        "{s}"
    );
    let list = nox_ok(&ws, &["agent", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(v[0]["status"], "failed");
    assert_eq!(v[0]["restarts"], 2, "{v}");
}

fn claude_ws(script: &str) -> Ws {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"acceptEdits\"\n",
        claude_bin().display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), script).expect("script");
    ws
}

#[test]
fn claude_interrupted_with_esc_fails_its_task_and_takes_the_next() {
    // An interrupted prompt leaves the conversation: turns match by text.
    let ws = claude_ws(
        "[[turn]]\nwhen = \"take your time\"\n[[turn.step]]\ntext = \"Too late.\"\ndelay_ms = 30000\n\
         [[turn]]\nwhen = \"second task\"\n[[turn.step]]\ntext = \"Second task done.\"\n",
    );
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    nox.wait_for("agent idle", 90, |s| s.contains("claude · idle"));
    nox_ok(
        &ws,
        &["task", "add", "A", "--body", "please take your time"],
    );
    nox_ok(&ws, &["task", "add", "B", "--body", "now the second task"]);
    eventually("A runs", 30, || tasks(&ws)[0]["status"] == "running");
    std::thread::sleep(Duration::from_millis(800));
    nox.type_str("\x1b");
    let esc = Instant::now();
    eventually("A failed: interrupted", 10, || {
        let a = &show(&ws, 1)["task"];
        a["status"] == "failed" && a["detail"] == "interrupted"
    });
    assert!(
        esc.elapsed() < Duration::from_secs(6),
        "within 5 s: {:?}",
        esc.elapsed()
    );
    eventually("B done", 60, || show(&ws, 2)["task"]["status"] == "done");
    assert_eq!(show(&ws, 2)["task"]["result"], "Second task done.");
}

#[test]
fn claude_input_box_with_a_draft_holds_the_task_back() {
    let ws = claude_ws("[[turn]]\n[[turn.step]]\ntext = \"Task answered.\"\n");
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    nox.wait_for("agent idle", 90, |s| s.contains("claude · idle"));
    nox.type_str("half-typed draft");
    nox.wait_text("half-typed draft", 10);
    nox_ok(&ws, &["task", "add", "T", "--body", "TASK BODY HERE"]);
    std::thread::sleep(Duration::from_secs(5));
    let t = &tasks(&ws)[0];
    assert_eq!(t["status"], "queued", "{t}");
    assert!(
        t["detail"]
            .as_str()
            .is_some_and(|d| d.contains("input box")),
        "{t}"
    );
    assert!(
        !nox.screen().contains("TASK BODY HERE"),
        "nothing typed over the draft"
    );
    // The user clears the draft: the task goes.
    nox.type_str("\x03");
    eventually("the task ran", 60, || tasks(&ws)[0]["status"] == "done");
    assert_eq!(tasks(&ws)[0]["result"], "Task answered.");
    crate::e2e_claude::wait_for_transcript(&ws, "claude", "TASK BODY HERE");
    let sent = crate::e2e_claude::transcript_text(&ws, "claude");
    assert!(
        sent.contains("TASK BODY HERE") && !sent.contains("draftTASK"),
        "the prompt went alone: {sent}"
    );
}
