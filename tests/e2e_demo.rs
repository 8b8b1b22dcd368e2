//! `nox demo` driven through a PTY: with the real Claude Code (2.1.328) on
//! PATH it runs the planner → backend → tests flow against the scripted
//! endpoint, with one approval; without it, the same flow with scripted
//! generic agents. Either way every task ends `done`, the planner gets the
//! results as messages, and nothing is left behind: no files, no processes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{NoxPty, Ws, eventually};

/// The demo workspace nox made under `tmp`.
fn demo_dir(tmp: &Path) -> PathBuf {
    let find = || {
        std::fs::read_dir(tmp)
            .into_iter()
            .flatten()
            .flatten()
            .map(|d| d.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("nox-demo-"))
                    && p.join(".nox/nox.sock").exists()
            })
    };
    eventually("the demo workspace answers", 30, || find().is_some());
    find().expect("demo dir")
}

fn get(dir: &Path, path: &str) -> Value {
    crate::support::socket_get(dir, path)
}

/// Processes whose working directory is inside `dir`.
fn processes_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| std::fs::read_link(d.path().join("cwd")).is_ok_and(|c| c.starts_with(dir)))
        .map(|d| {
            let cmd = std::fs::read(d.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmd).replace('\0', " ")
        })
        .collect()
}

fn all_done(dir: &Path) -> bool {
    let tasks = get(dir, "/api/tasks");
    tasks
        .as_array()
        .is_some_and(|t| t.len() == 3 && t.iter().all(|x| x["status"] == "done"))
}

fn results_to_planner(dir: &Path) -> usize {
    get(dir, "/api/messages?agent=planner")
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["kind"] == "result" && m["to"] == "planner" && m["state"] == "delivered")
        .count()
}

fn finish(mut nox: NoxPty, tmp: &Path, dir: &Path) {
    nox.quit();
    eventually("the demo workspace is removed", 20, || !dir.exists());
    let left: Vec<_> = std::fs::read_dir(tmp)
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let procs = processes_in(dir);
    assert!(procs.is_empty(), "processes left: {procs:?}");
}

#[test]
fn the_demo_runs_with_claude_code_to_all_tasks_done_and_cleans_up() {
    let claude = crate::e2e_claude::claude_bin();
    let bin = claude.parent().expect("bin dir");
    let ws = Ws::new("");
    let tmp = tempfile::tempdir().expect("tmp");
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let mut nox = NoxPty::start_with_env(
        &ws,
        &["demo"],
        40,
        160,
        &[
            ("TMPDIR", &tmp.path().display().to_string()),
            ("PATH", &path),
        ],
    );
    let dir = demo_dir(tmp.path());
    // The tests agent's check waits for an approval.
    let mut pending = Value::Null;
    for _ in 0..900 {
        pending = get(&dir, "/api/agents/tests");
        if !pending["approval"].is_null() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        pending["approval"]["tool"],
        "Bash",
        "{pending}\n{}",
        nox.screen()
    );
    // The user sees who needs them and approves from where they are.
    nox.wait_text("needs you: 1", 10);
    nox.prefix(b"y");
    nox.wait_text("allowed Bash for tests", 10);
    eventually("every task is done", 60, || all_done(&dir));
    eventually("the planner got both results", 60, || {
        results_to_planner(&dir) == 2
    });
    let t3 = &get(&dir, "/api/tasks/3")["task"];
    assert_eq!(t3["created_by"], "planner", "{t3}");
    assert_eq!(t3["after"], json!([2]), "{t3}");
    assert!(dir.join("greeting.sh").is_file());
    finish(nox, tmp.path(), &dir);
}

#[test]
fn without_claude_the_demo_says_how_to_install_it_and_runs_generic_agents() {
    let ws = Ws::new("");
    let tmp = tempfile::tempdir().expect("tmp");
    let nox = NoxPty::start_with_env(
        &ws,
        &["demo"],
        40,
        160,
        &[
            ("TMPDIR", &tmp.path().display().to_string()),
            ("PATH", "/usr/bin:/bin"),
        ],
    );
    nox.wait_text("npm install -g @anthropic-ai/claude-code", 10);
    let dir = demo_dir(tmp.path());
    eventually("every task is done", 90, || all_done(&dir));
    eventually("the planner got both results", 60, || {
        results_to_planner(&dir) == 2
    });
    let t2 = &get(&dir, "/api/tasks/2")["task"];
    assert_eq!(t2["created_by"], "planner", "{t2}");
    assert!(
        t2["result"]
            .as_str()
            .is_some_and(|r| r.contains("greeting.sh")),
        "{t2}"
    );
    finish(nox, tmp.path(), &dir);
}
