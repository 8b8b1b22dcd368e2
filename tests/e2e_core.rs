//! End-to-end: the CLI goes through the running instance (SPEC §3) and the
//! event log is one typed vocabulary: agents added and removed live,
//! listings with live status and no secrets, concurrent edits never lost,
//! `nox task add` never written twice, `nox events` and SSE replay.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::support::{
    NoxPty, Ws, alive, eventually, kill, nox_bin, nox_cmd, nox_ok, tasks, wait_socket,
};

const SHELL: &str = r#"
[[agent]]
name = "sh"
command = "bash"
args = ["--norc", "--noprofile", "-i"]
env = { PS1 = "ready> ", SECRET_TOKEN = "hunter2-do-not-print" }
ready_pattern = 'ready>\s*$'
"#;

fn agents(ws: &Ws) -> serde_json::Value {
    serde_json::from_str(&nox_ok(ws, &["agent", "list", "--json"])).expect("json")
}

fn agent<'a>(list: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    list.as_array()?.iter().find(|a| a["name"] == name)
}

#[test]
fn agent_commands_act_through_the_running_instance() {
    let ws = Ws::new(SHELL);
    let nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    let list = nox_ok(&ws, &["agent", "list", "--json"]);
    assert!(!list.contains("hunter2"), "an env value leaked: {list}");
    let v: serde_json::Value = serde_json::from_str(&list).expect("json");
    let sh = agent(&v, "sh").expect("sh");
    assert_eq!(sh["status"], "idle");
    assert_eq!(sh["env_keys"], serde_json::json!(["PS1", "SECRET_TOKEN"]));
    assert!(
        sh["pid"].as_u64().is_some() && sh["uptime_secs"].as_u64().is_some(),
        "{sh}"
    );
    let human = nox_ok(&ws, &["agent", "list"]);
    assert!(
        human.contains("idle") && !human.contains("hunter2"),
        "{human}"
    );

    // Added: written to nox.toml and started at once, shown by the dashboard.
    nox_ok(
        &ws,
        &[
            "agent",
            "add",
            "web",
            "--",
            "sh",
            "-c",
            "echo $$ > web.pid; exec sleep 1000",
        ],
    );
    let pid = crate::support::read_pid(&ws.file("web.pid"), 15);
    nox.wait_text("Agents (2)", 10);
    let toml = std::fs::read_to_string(ws.file(".nox/nox.toml")).expect("toml");
    assert!(toml.contains("name = \"web\""), "{toml}");
    nox_ok(&ws, &["agent", "stop", "web"]);
    eventually("web stopped", 10, || !alive(pid));
    eventually("web shows stopped", 10, || {
        agent(&agents(&ws), "web").is_some_and(|a| a["status"] == "stopped")
    });
    std::fs::remove_file(ws.file("web.pid")).expect("rm pid");
    nox_ok(&ws, &["agent", "start", "web"]);
    let pid = crate::support::read_pid(&ws.file("web.pid"), 15);
    let out = nox_cmd(&ws, &["agent", "restart", "ghost"]);
    assert_eq!(out.status.code(), Some(2), "an unknown agent");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ghost"));

    // Removed: stopped, gone from the dashboard and from nox.toml.
    nox_ok(&ws, &["agent", "rm", "web"]);
    eventually("web's process ended", 10, || !alive(pid));
    nox.wait_text("Agents (1)", 10);
    let toml = std::fs::read_to_string(ws.file(".nox/nox.toml")).expect("toml");
    assert!(!toml.contains("\"web\""), "{toml}");
}

#[test]
fn concurrent_agent_adds_never_lose_one() {
    let ws = Ws::new(SHELL);
    let adds: Vec<_> = (0..30)
        .map(|i| {
            std::process::Command::new(nox_bin())
                .args(["agent", "add", &format!("a{i}"), "--", "true"])
                .current_dir(ws.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in adds {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cfg = nox::config::load_config(&ws.file(".nox/nox.toml"), ws.path()).expect("valid");
    assert_eq!(cfg.agents.len(), 31, "every add is in the file");
    let list = agents(&ws);
    assert_eq!(list.as_array().map(Vec::len), Some(31));
    assert!(
        list.as_array()
            .is_some_and(|a| a.iter().all(|x| x["status"] == "not running"))
    );
}

#[test]
fn a_task_add_the_instance_does_not_answer_is_reported_and_never_doubled() {
    let ws = Ws::new(SHELL);
    let nox = NoxPty::start(&ws, &[], 30, 120);
    wait_socket(ws.path(), 15);
    kill(nox.pid(), Signal::SIGSTOP);
    let out = std::process::Command::new(nox_bin())
        .args(["task", "add", "only once", "--idempotency-key", "k-1"])
        .current_dir(ws.path())
        .env("NOX_ANSWER_WITHIN_MS", "1500")
        .output()
        .expect("nox");
    kill(nox.pid(), Signal::SIGCONT);
    assert_eq!(
        out.status.code(),
        Some(3),
        "no answer: the store and socket code"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did not answer")
            && err.contains("nothing was done here")
            && err.contains("k-1"),
        "{err}"
    );
    // When it resumes the instance may carry the request out (the request
    // waited in the socket) or drop it (the client had gone before it was
    // read); either way the retry with the key leaves exactly one task.
    std::thread::sleep(Duration::from_millis(1500));
    let before = tasks(&ws).as_array().map_or(0, Vec::len);
    assert!(before <= 1, "never doubled: {}", tasks(&ws));
    let again = nox_ok(
        &ws,
        &["task", "add", "only once", "--idempotency-key", "k-1"],
    );
    if before == 1 {
        assert!(again.contains("already added"), "{again}");
    }
    for _ in 0..3 {
        nox_ok(
            &ws,
            &["task", "add", "only once", "--idempotency-key", "k-1"],
        );
    }
    assert_eq!(tasks(&ws).as_array().map(Vec::len), Some(1));
}

#[test]
fn a_thousand_concurrent_task_requests_are_each_acknowledged_or_refused() {
    let ws = Ws::new("[[agent]]\nname = \"off\"\ncommand = \"sh\"\nautostart = false\n");
    let _nox = NoxPty::start(&ws, &[], 30, 120);
    wait_socket(ws.path(), 15);
    let sock = ws.file(".nox/nox.sock");
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = (0..200)
        .map(|t| {
            let (sock, busy) = (sock.clone(), std::sync::Arc::clone(&busy));
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for i in 0..5 {
                    let body = format!(r#"{{"title":"t{t}-{i}"}}"#);
                    let key = format!("key-{t}-{i}");
                    // A 503 busy was refused before anything was read: send
                    // it again (with the same key, as the CLI does).
                    let answer = loop {
                        let a = nox::client::request(
                            &sock,
                            "POST",
                            "/api/tasks",
                            &[("Idempotency-Key", &key)],
                            Some(body.as_bytes()),
                            Duration::from_secs(20),
                        );
                        match a {
                            Ok((503, b)) if b.contains("\"busy\"") => {
                                busy.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            other => break other.map(|(s, _)| s).map_err(|e| e.to_string()),
                        }
                    };
                    out.push(answer);
                }
                out
            })
        })
        .collect();
    let answers: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let acked = answers.iter().filter(|a| matches!(a, Ok(201))).count();
    let other: Vec<_> = answers.iter().filter(|a| !matches!(a, Ok(201))).collect();
    assert!(other.is_empty(), "every request is acknowledged: {other:?}");
    let list = tasks(&ws);
    let titles: std::collections::BTreeSet<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(
        (acked, list.as_array().map_or(0, Vec::len), titles.len()),
        (1000, 1000, 1000)
    );
    eprintln!(
        "{} busy answers along the way",
        busy.load(std::sync::atomic::Ordering::Relaxed)
    );
}

#[test]
fn nox_events_prints_replays_and_follows_the_typed_log() {
    let ws = Ws::new(SHELL);
    let nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    nox_ok(
        &ws,
        &["task", "add", "greet", "--body", "echo hello-events"],
    );
    eventually("task done", 20, || tasks(&ws)[0]["status"] == "done");
    let lines = nox_ok(&ws, &["events", "--json"]);
    let events: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("one event per line"))
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    for k in [
        "agent.status",
        "task.created",
        "task.updated",
        "task.delivery",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(
        events
            .windows(2)
            .all(|w| w[0]["id"].as_u64() < w[1]["id"].as_u64())
    );
    let done = events
        .iter()
        .find(|e| e["kind"] == "task.updated" && e["data"]["task"]["status"] == "done")
        .expect("done event");
    assert!(
        done["data"]["result"]
            .as_str()
            .is_some_and(|r| r.contains("hello-events"))
    );
    let mid = events[events.len() / 2]["id"].as_u64().expect("id");
    let later = nox_ok(&ws, &["events", "--json", "--since", &mid.to_string()]);
    assert_eq!(later.lines().count(), events.len() - events.len() / 2 - 1);

    // SSE: Last-Event-ID replays exactly what follows it.
    let (status, body) = nox::client::request(
        &ws.file(".nox/nox.sock"),
        "GET",
        "/api/events?follow=false",
        &[("Last-Event-ID", &mid.to_string())],
        None,
        Duration::from_secs(10),
    )
    .expect("sse");
    assert_eq!(status, 200);
    let ids: Vec<u64> = body
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .filter_map(|i| i.trim().parse().ok())
        .collect();
    assert_eq!(ids.first(), Some(&(mid + 1)), "{body}");
    assert_eq!(ids.len(), events.len() - events.len() / 2 - 1);

    // --follow prints what happens next.
    let mut follow = std::process::Command::new(nox_bin())
        .args([
            "events",
            "--follow",
            "--since",
            &events.last().expect("one")["id"].to_string(),
        ])
        .current_dir(ws.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("follow");
    let stdout = follow.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    nox_ok(
        &ws,
        &["task", "add", "second", "--body", "echo second-task"],
    );
    let end = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("task 2") && l.contains("done"))
    {
        let left = end.saturating_duration_since(std::time::Instant::now());
        assert!(!left.is_zero(), "--follow showed: {seen:#?}");
        if let Ok(l) = rx.recv_timeout(left) {
            seen.push(l);
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let human = seen.join("\n");
    assert!(
        human.contains("task.created") && human.contains("task 2 created by cli"),
        "{human}"
    );
    assert!(
        !human.contains("Assign {") && !human.contains("ts_ms"),
        "words, not debug text: {human}"
    );
}

#[test]
fn events_without_an_instance_read_the_store() {
    let ws = Ws::new(SHELL);
    nox_ok(&ws, &["task", "add", "offline"]);
    let out = nox_ok(&ws, &["events"]);
    assert!(
        out.contains("task 1 created by cli (queued): offline"),
        "{out}"
    );
    let epoch = regex::Regex::new(r"\b1[0-9]{12}\b").expect("re");
    assert!(
        !epoch.is_match(&out),
        "local times, not epoch milliseconds: {out}"
    );
}
