//! End-to-end: supervision (crash, backoff, restart intensity) and that no
//! agent process outlives nox, however nox ends.

use nix::sys::signal::Signal;

use crate::support::{NoxPty, Ws, alive, eventually, kill, read_pid};

#[test]
fn killed_agent_crashes_restarts_with_backoff_then_fails() {
    let ws = Ws::new(
        r#"
[[agent]]
name = "victim"
command = "sh"
args = ["-c", "echo $$ > victim.pid; echo started; exec sleep 1000"]
max_restarts = 2
restart_window_secs = 60
"#,
    );
    let pidfile = ws.file("victim.pid");
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    let mut last = 0;
    for round in 0..3 {
        let pid = read_pid(&pidfile, 15);
        assert_ne!(pid, last, "round {round}: a new process must have started");
        let _ = std::fs::remove_file(&pidfile);
        kill(pid, Signal::SIGKILL);
        last = pid;
        if round < 2 {
            nox.wait_for("restart count", 15, |s| {
                s.contains(&format!("↻{}", round + 1))
            });
        }
    }
    let s = nox.wait_text("failed", 15);
    assert!(s.contains("crashed"), "the Logs pane names the crash: {s}");
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(!pidfile.exists(), "no restart after failed");
    nox.prefix(b"d");
}

#[test]
fn missing_command_shows_crashed_with_the_os_error() {
    let ws = Ws::new(
        "[[agent]]\nname = \"ghost\"\ncommand = \"no-such-program-nox\"\n[[agent]]\nname = \"ok\"\ncommand = \"sh\"\n",
    );
    let nox = NoxPty::start(&ws, &[], 30, 140);
    let s = nox.wait_text("crashed", 15);
    assert!(s.contains("ghost"), "{s}");
    // The Logs pane wraps at words: read its column with the rows joined.
    nox.wait_for("the OS error in the Logs pane", 10, |s| {
        let left: Vec<&str> = s
            .lines()
            .filter_map(|l| l.split(['│', '┃']).nth(1))
            .collect();
        let words = left.join(" ");
        let words: Vec<&str> = words.split_whitespace().collect();
        words.join(" ").contains("No such file or directory")
    });
}

const SESSIONS: &str = r#"
[[agent]]
name = "sleeper"
command = "sh"
args = ["-c", "echo $$ > sleeper.pid; exec sleep 1000"]

[[agent]]
name = "shell"
command = "bash"
args = ["--norc", "--noprofile", "-i"]
env = { PS1 = "nox$ " }
"#;

/// Starts nox with a sleeper agent and a shell running a foreground child;
/// returns nox and the agent pids (sleeper, shell, shell's child).
fn start_with_children(ws: &Ws) -> (NoxPty, Vec<i32>) {
    let mut nox = NoxPty::start(ws, &[], 30, 120);
    let sleeper = read_pid(&ws.file("sleeper.pid"), 15);
    nox.prefix(b"1");
    nox.wait_text("nox$", 15);
    nox.type_str("echo $$ > shell.pid; sleep 1001 & echo $! > bg.pid; sh -c 'echo $$ > fg.pid; exec sleep 1002'\r");
    let shell = read_pid(&ws.file("shell.pid"), 10);
    let bg = read_pid(&ws.file("bg.pid"), 10);
    let fg = read_pid(&ws.file("fg.pid"), 10);
    for p in [sleeper, shell, bg, fg] {
        assert!(alive(p), "{p} should be running");
    }
    (nox, vec![sleeper, shell, fg, bg])
}

fn assert_all_gone(pids: &[i32]) {
    for &p in pids {
        eventually(&format!("agent process {p} gone"), 10, || !alive(p));
    }
}

#[test]
fn no_agent_survives_quit() {
    let ws = Ws::new(SESSIONS);
    let (mut nox, pids) = start_with_children(&ws);
    nox.prefix(b"d");
    std::thread::sleep(std::time::Duration::from_millis(300));
    if nox.screen().contains("Quit anyway") {
        nox.type_str("y");
    }
    assert_eq!(nox.wait_exit(15), 0);
    nox.assert_terminal_restored();
    assert_all_gone(&pids);
}

#[test]
fn no_agent_survives_sigterm() {
    let ws = Ws::new(SESSIONS);
    let (mut nox, pids) = start_with_children(&ws);
    kill(nox.pid(), Signal::SIGTERM);
    nox.wait_exit(15);
    nox.assert_terminal_restored();
    assert_all_gone(&pids);
}

#[test]
fn no_agent_survives_sighup() {
    let ws = Ws::new(SESSIONS);
    let (mut nox, pids) = start_with_children(&ws);
    kill(nox.pid(), Signal::SIGHUP);
    nox.wait_exit(15);
    nox.assert_terminal_restored();
    assert_all_gone(&pids);
}

#[test]
fn no_agent_survives_sigkill() {
    let ws = Ws::new(SESSIONS);
    let (mut nox, pids) = start_with_children(&ws);
    kill(nox.pid(), Signal::SIGKILL);
    nox.wait_exit(15);
    // The agents and their foreground children; a background job that left
    // the terminal's foreground group is checked in the graceful cases.
    assert_all_gone(&pids[..3]);
}

#[test]
fn a_panic_restores_the_terminal_and_leaves_no_agent() {
    let ws = Ws::new(SESSIONS);
    let mut nox = NoxPty::start_with_env(
        &ws,
        &[],
        30,
        120,
        &[
            ("NOX_DEBUG_PANIC_AFTER_MS", "2500"),
            ("RUST_BACKTRACE", "0"),
        ],
    );
    let sleeper = read_pid(&ws.file("sleeper.pid"), 15);
    nox.wait_text("sleeper", 10);
    assert_ne!(nox.wait_exit(20), 0, "a panic is a failure exit");
    nox.assert_terminal_restored();
    nox.wait_text("deliberate panic", 5);
    assert_all_gone(&[sleeper]);
}

#[test]
fn a_second_instance_for_the_same_workspace_is_refused() {
    let ws = Ws::new("[[agent]]\nname = \"a\"\ncommand = \"sh\"\n");
    let first = NoxPty::start(&ws, &[], 30, 100);
    first.wait_text("Agents (1)", 15);
    let mut second = NoxPty::start(&ws, &[], 30, 100);
    assert_eq!(
        second.wait_exit(15),
        3,
        "exit code 3: the socket could not be opened"
    );
    second.wait_text("another nox instance is running", 5);
    first.wait_text("Agents (1)", 5);
}
