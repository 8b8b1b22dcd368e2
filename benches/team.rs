//! Team latencies on a real nox instance, each beside a baseline measured
//! in the same run: `cargo bench --bench team [-- send | approval]`.
//!
//! - send: `nox send` → the first byte of the inbox prompt in an idle
//!   receiver's PTY (goal p95 ≤ 2 ms), from `POST /api/messages` on the
//!   control socket and from spawning `nox send probe TEXT` (process start
//!   included); baseline `tmux send-keys -l TEXT` into a pane running the
//!   same probe (skipped, with a message, without tmux).
//! - approval: a pending PermissionRequest hook (`nox hook
//!   PermissionRequest`, the process Claude Code runs) → the dashboard's
//!   approve key (prefix `y`) typed on the outer terminal → the hook's
//!   reply on its stdout; baselines the same hook answered by `POST
//!   /api/agents/x/approve` (no keypress, no dashboard), and a `nox hook
//!   Stop` answered at once (the fixed cost of a hook process).
//!
//! The receiving program is this binary re-executed as a probe
//! (`benches/common/probe.rs`): raw mode, `ready> `, and a `CLOCK_MONOTONIC`
//! stamp of each input's first byte, so the bench and the probe time on one
//! clock. Prints p50/p95/p99/max and ratios; asserts no timing.
//! `NOX_BENCH_BIN=/path/to/nox` measures another nox build. Results and
//! method: docs/benchmarks.md.

#[allow(dead_code)]
#[path = "common/outer.rs"]
mod outer;
#[path = "common/probe.rs"]
mod probe;
#[path = "common/rig.rs"]
mod rig;
#[path = "common/samples.rs"]
mod samples;

use std::path::Path;
use std::time::{Duration, Instant};

use probe::{Report, mono_ns};
use rig::{Hook, Nox, Tmux, toml_str};
use samples::{Samples, header, load_average, ms_between};
use serde_json::{Value, json};

/// Measured samples per path.
const SAMPLES: usize = 30;
/// Unmeasured samples per path first.
const WARMUP: usize = 2;
/// Least time between two deliveries to the nox probe: nox calls an agent
/// idle after 1 s of quiet.
const SEND_GAP: Duration = Duration::from_millis(1500);
/// Least quiet (no request from the bench) before a message is sent.
const SEND_QUIET: Duration = Duration::from_millis(200);
/// Time for the dashboard to learn of a pending request before the key.
const APPROVAL_SETTLE: Duration = Duration::from_millis(300);
/// Between the prefix key and `y`, as a person types them.
const PREFIX_GAP: Duration = Duration::from_millis(60);
/// How long one sample may take before it counts as lost.
const LIMIT: Duration = Duration::from_secs(10);
/// A fixed, valid session id for hook payloads.
const SESSION: &str = "0b5f0e4e-2a7c-4d1e-9c59-6f2f4e8d1a3b";

fn main() {
    if let Some(report) = std::env::var_os(probe::ENV) {
        probe::run(Path::new(&report));
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("team benchmark: run it with `cargo bench --bench team [-- send|approval]`");
        return;
    }
    let picked: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let want = |name: &str| picked.is_empty() || picked.contains(&name);
    println!("team: nox binary {}", Path::new(&rig::nox_bin()).display());
    println!("  load average at start: {}", load_average());
    if want("send") {
        send();
    }
    if want("approval") {
        approval();
    }
    println!("  load average at end: {}", load_average());
}

// ---------------------------------------------------------------- send

fn send() {
    println!(
        "send: message → first byte in the idle receiver's PTY, {SAMPLES} samples per path, interleaved"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("bench binary");
    let exe = exe.to_str().expect("UTF-8 bench path");
    let nox_report = Report::new(dir.path().join("probe-nox.log"));
    let toml = format!(
        "[[agent]]\nname = \"probe\"\ncommand = {}\nenv = {{ {} = {} }}\nready_pattern = 'ready>\\s*$'\n",
        toml_str(exe),
        probe::ENV,
        toml_str(&nox_report.path().to_string_lossy()),
    );
    let nox = Nox::start(dir.path(), &toml);
    if let Err(e) = nox.wait_agent("probe", Duration::from_secs(30), is_idle) {
        panic!(
            "the probe agent never became idle: {e}\n{}",
            nox.outer.contents()
        );
    }
    let tmux_report = Report::new(dir.path().join("probe-tmux.log"));
    let env_arg = format!("{}={}", probe::ENV, tmux_report.path().display());
    let tmux = Tmux::start(&["env", &env_arg, exe]);
    match &tmux {
        Some(t) => {
            assert!(
                t.client()
                    .wait_ready("ready>", Duration::from_millis(300), LIMIT),
                "the tmux probe did not start:\n{}",
                t.client().contents()
            );
        }
        None => println!("  tmux not found: no baseline (apt-get install tmux)"),
    }
    let mut api = Samples::new("nox: POST /api/messages (socket)");
    let mut answered = Samples::new("  (its HTTP answer, for comparison)");
    let mut floor = Samples::new("  (GET /health round trip: the socket's floor)");
    let mut cli = Samples::new("nox: `nox send probe TEXT` (process start incl.)");
    let mut base = Samples::new(&format!(
        "{}: `tmux send-keys -l TEXT`",
        tmux.as_ref().map_or("tmux", |t| t.version.as_str())
    ));
    let mut last = Instant::now();
    for i in 0..WARMUP + SAMPLES {
        let keep = i >= WARMUP;
        for via in [Via::Api, Via::Cli] {
            let r = nox_delivery(&nox, &nox_report, via, i, &mut last);
            match via {
                Via::Api => {
                    answered.record(keep, r.clone().map(|(_, answer)| answer));
                    api.record(keep, r.map(|(first, _)| first));
                }
                Via::Cli => cli.record(keep, r.map(|(first, _)| first)),
            }
        }
        floor.record(keep, health(&nox));
        if let Some(t) = &tmux {
            base.record(keep, tmux_delivery(t, &tmux_report, i));
        }
        if api.errors.len() + cli.errors.len() >= 5 {
            println!("  too many lost deliveries; stopping");
            break;
        }
    }
    header();
    api.print();
    answered.print();
    floor.print();
    cli.print();
    if tmux.is_some() {
        base.print();
        let b95 = base.pct(0.95);
        println!(
            "  p95 ratio socket / tmux: {:.2}x; CLI / tmux: {:.2}x",
            api.pct(0.95) / b95,
            cli.pct(0.95) / b95
        );
    }
    for s in [&api, &cli] {
        let p95 = s.pct(0.95);
        println!(
            "  goal p95 <= 2 ms, {}: {p95:.2} ms, {}",
            s.name,
            if p95 <= 2.0 { "met" } else { "not met" }
        );
    }
    drop(tmux);
    drop(nox);
}

#[derive(Clone, Copy)]
enum Via {
    Api,
    Cli,
}

fn is_idle(a: &Value) -> bool {
    a["status"] == "idle" && a["delivery"].is_null() && a["inbox"] == 0
}

/// One message to the idle nox probe: ms from the send to its first byte
/// in the probe's PTY, and to the sender's answer (the HTTP answer, or the
/// CLI's exit); the message must end up `delivered`.
fn nox_delivery(
    nox: &Nox,
    report: &Report,
    via: Via,
    i: usize,
    last: &mut Instant,
) -> Result<(f64, f64), String> {
    nox.wait_agent("probe", Duration::from_secs(30), is_idle)?;
    let rest = SEND_GAP.saturating_sub(last.elapsed());
    std::thread::sleep(rest.max(SEND_QUIET));
    *last = Instant::now();
    let text = match via {
        Via::Api => format!("bench message {i} over the socket"),
        Via::Cli => format!("bench message {i} from the CLI"),
    };
    let t0 = mono_ns();
    let answer = match via {
        Via::Api => {
            let body = json!({"from": "user", "to": "probe", "text": text});
            let (status, answer) = nox.request("POST", "/api/messages", Some(&body));
            if status != 201 {
                return Err(format!("POST /api/messages: HTTP {status} {answer}"));
            }
            mono_ns()
        }
        Via::Cli => {
            let out = nox
                .cli()
                .args(["send", "probe", &text])
                .output()
                .map_err(|e| format!("nox send: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "nox send: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            mono_ns()
        }
    };
    let first = report.wait_begun(t0, LIMIT).ok_or_else(|| {
        format!(
            "no byte of {text:?} reached the probe; {}",
            nox.diagnosis("probe")
        )
    })?;
    if report.wait_completed(first, LIMIT).is_none() {
        return Err(format!("the probe never got the Enter after {text:?}"));
    }
    wait_delivered(nox, &text)?;
    Ok((ms_between(t0, first), ms_between(t0, answer)))
}

/// One `GET /health` on the control socket, in ms: what any request costs.
fn health(nox: &Nox) -> Result<f64, String> {
    std::thread::sleep(Duration::from_millis(50));
    let t0 = mono_ns();
    let (status, _) = nox.request("GET", "/health", None);
    let t1 = mono_ns();
    if status == 200 {
        Ok(ms_between(t0, t1))
    } else {
        Err(format!("GET /health: HTTP {status}"))
    }
}

/// Waits until the message with `text` is `delivered` (GET /api/messages).
fn wait_delivered(nox: &Nox, text: &str) -> Result<(), String> {
    let end = Instant::now() + LIMIT;
    loop {
        let list = nox.get("/api/messages?agent=probe&limit=20");
        let m = list
            .as_array()
            .and_then(|l| l.iter().find(|m| m["text"] == text).cloned());
        match m {
            Some(m) if m["state"] == "delivered" => return Ok(()),
            Some(m) if m["state"] == "refused" => return Err(format!("refused: {m}")),
            m if Instant::now() >= end => {
                return Err(format!("not delivered within {LIMIT:?}: {m:?}"));
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// The baseline: `tmux send-keys -l TEXT` → its first byte in the pane's
/// probe, then Enter to complete the input.
fn tmux_delivery(tmux: &Tmux, report: &Report, i: usize) -> Result<f64, String> {
    std::thread::sleep(Duration::from_millis(100));
    let text = format!("bench message {i} through tmux");
    let t0 = mono_ns();
    let out = tmux.run(&["send-keys", "-t", "bench", "-l", &text]);
    if !out.status.success() {
        return Err(format!(
            "tmux send-keys: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let first = report.wait_begun(t0, LIMIT);
    let _ = tmux.run(&["send-keys", "-t", "bench", "Enter"]);
    let first = first.ok_or_else(|| format!("no byte of {text:?} reached the tmux probe"))?;
    if report.wait_completed(first, LIMIT).is_none() {
        return Err("the tmux probe never got the Enter".into());
    }
    Ok(ms_between(t0, first))
}

// ------------------------------------------------------------ approval

fn approval() {
    println!(
        "approval: pending PermissionRequest hook → answer → the hook's reply on its stdout, \
         {SAMPLES} samples per path, interleaved"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("bench binary");
    let report = Report::new(dir.path().join("probe-claude.log"));
    let toml = format!(
        "[[agent]]\nname = \"x\"\nkind = \"claude\"\ncommand = {}\nenv = {{ {} = {} }}\n",
        toml_str(exe.to_str().expect("UTF-8 bench path")),
        probe::ENV,
        toml_str(&report.path().to_string_lossy()),
    );
    let mut nox = Nox::start(dir.path(), &toml);
    let running = nox.wait_agent("x", Duration::from_secs(30), |a| !a["pid"].is_null());
    if let Err(e) = running {
        panic!("agent x did not start: {e}\n{}", nox.outer.contents());
    }
    assert!(
        nox.outer.wait_ready(
            "ready>",
            Duration::from_millis(500),
            Duration::from_secs(30)
        ),
        "the claude-kind probe did not come up:\n{}",
        nox.outer.contents()
    );
    let mut key = Samples::new("nox: prefix y on the dashboard → hook reply");
    let mut api = Samples::new("nox: POST /api/agents/x/approve → hook reply");
    let mut stop = Samples::new("nox hook Stop: spawn → exit (answered at once)");
    let mut key_works = true;
    for i in 0..WARMUP + SAMPLES {
        let keep = i >= WARMUP;
        if key_works {
            let r = approve_once(&mut nox, Answer::Key);
            if r.is_err() && key.ms.is_empty() && i == 0 {
                key_works = false;
                println!(
                    "  the dashboard's approve key (prefix y) answered nothing: measuring the API path only; screen:\n{}",
                    nox.outer.contents()
                );
            }
            key.record(keep, r);
        }
        api.record(keep, approve_once(&mut nox, Answer::Api));
        stop.record(keep, stop_once(&nox));
        if key.errors.len() + api.errors.len() + stop.errors.len() >= 5 {
            println!("  too many lost samples; stopping");
            break;
        }
    }
    println!(
        "  approvals decided, by whom (events): {}",
        decided_by(&nox)
    );
    header();
    if key_works {
        key.print();
    }
    api.print();
    stop.print();
    if key_works {
        println!(
            "  p95 ratio key / API answer: {:.2}x",
            key.pct(0.95) / api.pct(0.95)
        );
    }
    drop(nox);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Key,
    Api,
}

/// One PermissionRequest hook: waits until it is pending, answers it
/// (`by`), and returns ms from the answer to the first byte of the hook's
/// reply, which must allow.
fn approve_once(nox: &mut Nox, by: Answer) -> Result<f64, String> {
    let payload = json!({
        "session_id": SESSION,
        "hook_event_name": "PermissionRequest",
        "tool_name": "Bash",
        "tool_input": {"command": "true"},
    });
    let mut hook = Hook::spawn(nox, "PermissionRequest", "x", &payload);
    nox.wait_agent("x", Duration::from_secs(5), |a| !a["approval"].is_null())?;
    std::thread::sleep(APPROVAL_SETTLE);
    let t0 = match by {
        Answer::Key => {
            nox.outer.send(b"\x02");
            std::thread::sleep(PREFIX_GAP);
            let t0 = mono_ns();
            nox.outer.send(b"y");
            t0
        }
        Answer::Api => {
            let t0 = mono_ns();
            let (status, body) = nox.request(
                "POST",
                "/api/agents/x/approve",
                Some(&json!({"allow": true})),
            );
            if status != 200 {
                return Err(format!("approve: HTTP {status} {body}"));
            }
            t0
        }
    };
    let Some(out) = hook.output(Duration::from_secs(3)) else {
        // Free the hook so the next sample starts clean.
        let _ = nox.request(
            "POST",
            "/api/agents/x/approve",
            Some(&json!({"allow": false})),
        );
        return Err("no reply from the hook within 3 s".into());
    };
    let reply = String::from_utf8_lossy(&out.out);
    let first = out
        .first_ns
        .ok_or_else(|| "the hook printed nothing".to_string())?;
    if !reply.contains("\"behavior\":\"allow\"") {
        return Err(format!("the hook's reply does not allow: {reply}"));
    }
    Ok(ms_between(t0, first))
}

/// A `nox hook Stop` (answered at once): ms from spawning it to its exit.
fn stop_once(nox: &Nox) -> Result<f64, String> {
    std::thread::sleep(Duration::from_millis(50));
    let payload = json!({
        "session_id": SESSION,
        "hook_event_name": "Stop",
        "stop_hook_active": false,
        "last_assistant_message": "done",
    });
    let t0 = mono_ns();
    let mut hook = Hook::spawn(nox, "Stop", "x", &payload);
    let out = hook
        .output(LIMIT)
        .ok_or_else(|| "the Stop hook did not end".to_string())?;
    Ok(ms_between(t0, out.eof_ns))
}

/// Who decided the permission requests (the `by` of `approval.decided`
/// events): the key's must say `user` (the dashboard), the API's `api`.
fn decided_by(nox: &Nox) -> String {
    let mut by = std::collections::BTreeMap::<String, usize>::new();
    let _ = nox::client::events(&nox.socket(), 0, false, |data| {
        if let Ok(ev) = serde_json::from_str::<Value>(data)
            && ev["kind"] == "approval.decided"
        {
            let who = ev["data"]["by"].as_str().unwrap_or("?").to_owned();
            *by.entry(who).or_default() += 1;
        }
        true
    });
    by.iter()
        .map(|(who, n)| format!("{who} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
