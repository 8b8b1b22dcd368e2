//! End-to-end with the real Claude Code CLI (2.1.328, installed by the test
//! command) in a nox pane, against nox's scripted model endpoint.

use std::path::PathBuf;

use crate::support::{NoxPty, Ws};

/// The pinned Claude Code binary: `NOX_CLAUDE_BIN`, else the test cache.
pub fn claude_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("NOX_CLAUDE_BIN") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let p = home.join(".cache/nox-test/claude-2.1.328/node_modules/.bin/claude");
    assert!(
        p.exists(),
        "Claude Code 2.1.328 is not installed at {}: run scripts/test.sh, which installs it",
        p.display()
    );
    p
}

const SCRIPT: &str = r#"
[[turn]]
[[turn.step]]
text = "I will write the file now."
tool = "Write"
input = { file_path = "{cwd}/hello.txt", content = "hello from the scripted model\n" }
[[turn.step]]
text = "Wrote hello.txt for you."
"#;

#[test]
fn claude_code_runs_in_a_pane_against_the_scripted_endpoint() {
    let bin = claude_bin();
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"acceptEdits\"\n",
        bin.display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), SCRIPT).expect("script");
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    let s = nox.wait_text("Claude Code", 60);
    assert!(s.contains("claude"), "{s}");
    nox.wait_text("❯", 60);
    nox.type_str("please write hello.txt");
    std::thread::sleep(std::time::Duration::from_millis(500));
    nox.type_str("\r");
    nox.wait_text("Wrote hello.txt for you.", 90);
    let written = std::fs::read_to_string(ws.file("hello.txt")).expect("Write created the file");
    assert_eq!(written, "hello from the scripted model\n");
    // The agent's private HOME got the offline setup of CLAUDE_CODE.md.
    let cj = std::fs::read_to_string(ws.file(".nox/run/claude/home/.claude.json"))
        .expect(".claude.json");
    assert!(cj.contains("hasTrustDialogAccepted"), "{cj}");
    nox.quit();
}

const HOOKS_SCRIPT: &str = r#"
[[turn]]
[[turn.step]]
text = "Thought about it for a while."
delay_ms = 3000
[[turn]]
[[turn.step]]
text = "Making the build directory."
tool = "Bash"
input = { command = "mkdir -p build && echo made > build/marker", description = "Make build" }
[[turn.step]]
text = "Made the build directory."
"#;

#[test]
fn hooks_drive_busy_idle_and_waiting_with_the_tool_and_command() {
    let bin = claude_bin();
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"default\"\n",
        bin.display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), HOOKS_SCRIPT).expect("script");
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    nox.wait_text("❯", 60);
    nox.wait_for("idle before the prompt", 30, |s| {
        s.contains("claude · idle")
    });
    nox.type_str("think about it");
    std::thread::sleep(std::time::Duration::from_millis(400));
    nox.type_str("\r");
    // The endpoint holds the reply for 3 s: UserPromptSubmit made it busy.
    nox.wait_for("busy from the hook", 10, |s| {
        s.contains("claude · busy") && s.contains("hook UserPromptSubmit")
    });
    nox.wait_text("Thought about it for a while.", 30);
    nox.wait_for("idle from the Stop hook", 15, |s| {
        s.contains("claude · idle") && s.contains("hook Stop")
    });
    nox.type_str("make the build dir");
    std::thread::sleep(std::time::Duration::from_millis(400));
    nox.type_str("\r");
    let s = nox.wait_for("waiting on the permission prompt", 30, |s| {
        s.contains("claude · waiting")
    });
    assert!(
        s.contains("permission: Bash mkdir -p build"),
        "the tool and command are shown: {s}"
    );
    nox.wait_text("Esc to cancel", 10);
    std::thread::sleep(std::time::Duration::from_millis(800));
    nox.type_str("1");
    nox.wait_text("Made the build directory.", 30);
    nox.wait_for("idle again", 15, |s| s.contains("claude · idle"));
    assert!(
        ws.file("build/marker").is_file(),
        "the approved command ran"
    );
}

#[test]
fn hook_without_an_instance_exits_zero_quickly_and_logs_the_miss() {
    let ws = Ws::new("[[agent]]\nname = \"a\"\ncommand = \"sh\"\n");
    let t0 = std::time::Instant::now();
    let mut child = std::process::Command::new(crate::support::nox_bin())
        .args(["hook", "Stop", "--agent", "a"])
        .current_dir(ws.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("nox hook");
    std::io::Write::write_all(
        child.stdin.as_mut().expect("stdin"),
        b"{\"session_id\":\"s\"}",
    )
    .expect("write");
    drop(child.stdin.take());
    let st = child.wait().expect("wait");
    assert!(st.success());
    assert!(t0.elapsed() < std::time::Duration::from_secs(2));
    let log = std::fs::read_to_string(ws.file(".nox/logs/hooks.log")).expect("miss logged");
    assert!(log.contains("Stop for a: no nox instance"), "{log}");
}

const RESUME_SCRIPT: &str = r#"
[[turn]]
[[turn.step]]
text = "First answer: alpha."
[[turn]]
[[turn.step]]
text = "Second answer: I remember the first turn."
"#;

fn resume_ws() -> Ws {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"acceptEdits\"\n",
        claude_bin().display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), RESUME_SCRIPT).expect("script");
    ws
}

/// Every transcript of a scripted agent, concatenated.
pub fn transcript_text(ws: &Ws, agent: &str) -> String {
    let dir = ws.file(&format!(".nox/run/{agent}/home/.claude/projects"));
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
        .collect()
}

/// Claude Code writes its transcript asynchronously: wait until `text` is in it.
pub fn wait_for_transcript(ws: &Ws, agent: &str, text: &str) {
    crate::support::eventually("the transcript holds the turn", 30, || {
        transcript_text(ws, agent).contains(text)
    });
}

fn prompt(nox: &mut NoxPty, text: &str) {
    nox.wait_for("idle input", 60, |s| s.contains("claude · idle"));
    nox.type_str(text);
    std::thread::sleep(std::time::Duration::from_millis(400));
    nox.type_str("\r");
}

#[test]
fn a_killed_claude_agent_resumes_its_session() {
    let ws = resume_ws();
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    prompt(&mut nox, "first question");
    nox.wait_text("First answer: alpha.", 60);
    nox.wait_for("idle after the turn", 20, |s| s.contains("claude · idle"));
    let pid = crate::support::agent_pid(ws.path(), "claude");
    wait_for_transcript(&ws, "claude", "First answer: alpha.");
    crate::support::kill(pid, nix::sys::signal::Signal::SIGKILL);
    nox.wait_text("↻1", 20);
    // The endpoint answers turn 2 only if the request carries turn 1.
    prompt(&mut nox, "second question");
    nox.wait_text("Second answer: I remember the first turn.", 60);
}

#[test]
fn sessions_and_the_store_survive_a_sigkill_of_nox() {
    let ws = resume_ws();
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    prompt(&mut nox, "first question");
    nox.wait_text("First answer: alpha.", 60);
    nox.wait_for("idle after the turn", 20, |s| s.contains("claude · idle"));
    wait_for_transcript(&ws, "claude", "First answer: alpha.");
    // An acknowledged task (no agent has its capability, so it waits).
    let out = std::process::Command::new(crate::support::nox_bin())
        .args(["task", "add", "kept", "--needs", "nothing-has-this"])
        .current_dir(ws.path())
        .output()
        .expect("task add");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("task 1 added"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events_before: i64 = rusqlite::Connection::open(ws.file(".nox/nox.db"))
        .expect("db")
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count");
    crate::support::kill(nox.pid(), nix::sys::signal::Signal::SIGKILL);
    nox.wait_exit(10);
    drop(nox);
    let db = rusqlite::Connection::open(ws.file(".nox/nox.db")).expect("db");
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(ok, "ok");
    let idle_events: i64 = db
        .query_row("SELECT count(*) FROM events WHERE kind = 'agent.status' AND data LIKE '%\"to\":\"idle\"%'", [], |r| r.get(0))
        .expect("events");
    assert!(
        idle_events >= 1,
        "the status changes before the kill are in the event log"
    );
    let events_after: i64 = db
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count");
    assert!(events_after >= events_before, "no acknowledged event lost");
    let kept: String = db
        .query_row("SELECT status FROM tasks WHERE title = 'kept'", [], |r| {
            r.get(0)
        })
        .expect("task kept");
    assert_eq!(kept, "queued");
    drop(db);
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    prompt(&mut nox, "second question");
    nox.wait_text("Second answer: I remember the first turn.", 60);
}

#[test]
fn screen_rules_catch_what_hooks_miss() {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"acceptEdits\"\n",
        claude_bin().display().to_string()
    ));
    std::fs::write(
        ws.file("script.toml"),
        "[[turn]]\n[[turn.step]]\ntext = \"Too late.\"\ndelay_ms = 30000\n",
    )
    .expect("script");
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    prompt(&mut nox, "take your time");
    nox.wait_for("busy from the hook", 15, |s| s.contains("claude · busy"));
    std::thread::sleep(std::time::Duration::from_millis(800));
    // Esc interrupts the turn; no hook says so: the idle input box does.
    nox.type_str("\x1b");
    nox.wait_for("idle from the screen", 15, |s| {
        s.contains("claude · idle") && s.contains("screen: idle input box")
    });
}

#[test]
fn a_startup_dialog_shows_waiting_with_the_reason() {
    // A HOME whose .claude.json has onboarding done and the folder trusted,
    // but not the API key approved: Claude Code asks and waits.
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\nenv = {{ HOME = \"fresh-home\" }}\n",
        claude_bin().display().to_string()
    ));
    std::fs::create_dir_all(ws.file("fresh-home")).expect("home");
    let cfg = serde_json::json!({
        "hasCompletedOnboarding": true, "theme": "dark",
        "projects": {ws.path().to_string_lossy(): {"hasTrustDialogAccepted": true, "allowedTools": []}}
    });
    std::fs::write(ws.file("fresh-home/.claude.json"), cfg.to_string()).expect("claude.json");
    std::fs::write(
        ws.file("script.toml"),
        "[[turn]]\n[[turn.step]]\ntext = \"hi\"\n",
    )
    .expect("script");
    let nox = NoxPty::start(&ws, &[], 40, 130);
    let s = nox.wait_for("waiting on a startup dialog", 60, |s| {
        s.contains("claude · waiting")
    });
    assert!(
        s.contains("startup: API key approval"),
        "the reason is shown: {s}"
    );
}

#[test]
fn a_claude_that_cannot_log_in_waits_for_the_user_instead_of_crash_looping() {
    let home = tempfile::tempdir().expect("home");
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"c\"\nkind = \"claude\"\ncommand = {:?}\n\
         env = {{ HOME = {:?}, DISABLE_AUTOUPDATER = \"1\", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = \"1\", ANTHROPIC_BASE_URL = \"http://127.0.0.1:9\" }}\n",
        claude_bin().display().to_string(),
        home.path().display().to_string()
    ));
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    crate::support::wait_socket(ws.path(), 30);
    let mut last = serde_json::Value::Null;
    for _ in 0..300 {
        last = crate::support::socket_get(ws.path(), "/api/agents/c");
        if last["status"] == "waiting"
            && last["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not logged in"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        last["status"],
        "waiting",
        "c waits for a login: {last}\n{}",
        nox.screen()
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    let a = crate::support::socket_get(ws.path(), "/api/agents/c");
    assert_eq!(a["status"], "waiting", "{a}");
    assert_eq!(a["restarts"], 0, "no crash loop: {a}");
    assert!(
        a["detail"]
            .as_str()
            .is_some_and(|d| d.contains("run `claude` once")),
        "{a}"
    );
    nox.quit();
}
