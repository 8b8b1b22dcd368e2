//! End-to-end hardening: half-open socket connections under a small file
//! limit, hooks only for claude agents, task files that are links, pipes,
//! binary or too big, size limits, agents reaped as a tree, private file
//! modes, a closed stdout, words instead of debug text, clean `--help`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::support::{
    NoxPty, Ws, alive, eventually, nox_bin, nox_cmd, nox_ok, read_pid, socket_call, tasks,
    wait_socket,
};

const SHELL: &str = crate::support::BASH_SH;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn half_open_connections_under_a_small_file_limit_stop_nothing() {
    let ws = Ws::new(SHELL);
    let nox = NoxPty::start_program(
        &ws,
        Path::new("/bin/sh"),
        &[
            "-c",
            "ulimit -n 128 && exec \"$0\"",
            nox_bin().to_str().expect("utf8"),
        ],
        30,
        120,
        &[],
    );
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    let before = crate::support::agent_pid(ws.path(), "sh");
    let sock = ws.file(".nox/nox.sock");
    let idle: Vec<_> = (0..200)
        .map(|_| std::os::unix::net::UnixStream::connect(&sock).expect("connect"))
        .collect();
    // /health answers (busy at first, then once the idle ones time out).
    let t0 = std::time::Instant::now();
    eventually("/health answers 200", 15, || {
        nox::client::request(&sock, "GET", "/health", &[], None, Duration::from_secs(2))
            .is_ok_and(|(s, _)| s == 200)
    });
    eprintln!("/health answered after {:?}", t0.elapsed());
    // A respawn still finds file descriptors.
    nox_ok(&ws, &["agent", "restart", "sh"]);
    eventually("sh restarted", 15, || {
        crate::support::socket_get(ws.path(), "/api/agents")[0]["pid"]
            .as_i64()
            .is_some_and(|p| p as i32 != before)
    });
    nox.wait_for("agent idle again", 15, |s| s.contains("sh · idle"));
    drop(idle);
    assert!(alive(nox.pid()));
}

#[test]
fn hooks_are_for_claude_agents_only() {
    let ws = Ws::new(SHELL);
    let _nox = NoxPty::start(&ws, &[], 30, 120);
    wait_socket(ws.path(), 15);
    let payload = serde_json::json!({"session_id": "0b5f0e4e-2a7c-4d1e-9c59-6f2f4e8d1a3b", "last_assistant_message": "x"});
    let (status, body) = socket_call(ws.path(), "POST", "/hook/Stop?agent=sh", Some(&payload));
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("generic")),
        "{body}"
    );
    let bad =
        serde_json::json!({"session_id": "--dangerously-skip-permissions", "source": "startup"});
    let (status, body) = socket_call(ws.path(), "POST", "/hook/SessionStart?agent=sh", Some(&bad));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("UUID")),
        "{body}"
    );
}

#[test]
fn task_files_that_are_links_pipes_binary_or_too_big_are_refused() {
    let ws = Ws::new(SHELL);
    let tasks_dir = ws.file(".nox/tasks");
    std::fs::create_dir_all(&tasks_dir).expect("dir");
    let outside = ws.file("outside.md");
    let outside_text = "# Outside the workspace\n\nsecret plans\n";
    std::fs::write(&outside, outside_text).expect("outside");
    std::os::unix::fs::symlink(&outside, tasks_dir.join("link.md")).expect("symlink");
    nix::unistd::mkfifo(&tasks_dir.join("pipe.md"), nix::sys::stat::Mode::S_IRWXU).expect("fifo");
    std::fs::write(tasks_dir.join("binary.md"), b"# Title\n\x00\x01\x02\xff").expect("binary");
    let big = format!("# Big\n\n{}", "x".repeat(2 * 1024 * 1024));
    std::fs::write(tasks_dir.join("big.md"), &big).expect("big");
    let nox = NoxPty::start(&ws, &[], 30, 120);
    wait_socket(ws.path(), 15);
    eventually("every refusal is logged", 10, || {
        let log = nox.log_tail();
        [
            "link.md: is a symbolic link",
            "pipe.md: is not a regular file",
            "binary.md: is not UTF-8",
            "big.md: is ",
        ]
        .iter()
        .all(|w| log.contains(w))
    });
    // Dropped in while nox runs: refused too.
    std::os::unix::fs::symlink(&outside, tasks_dir.join("later.md")).expect("symlink");
    eventually("the new link is refused", 10, || {
        nox.log_tail().contains("later.md: is a symbolic link")
    });
    assert_eq!(
        std::fs::read_to_string(&outside).expect("outside"),
        outside_text,
        "never written through a link"
    );
    assert_eq!(tasks(&ws).as_array().map(Vec::len), Some(0));
}

#[test]
fn size_limits_are_enforced_on_every_path() {
    let ws = Ws::new("[[agent]]\nname = \"off\"\ncommand = \"sh\"\nautostart = false\n");
    let big = ws.file("big.txt");
    std::fs::write(&big, "x".repeat(1024 * 1024 + 1)).expect("big");
    let out = nox_cmd(
        &ws,
        &[
            "task",
            "add",
            "big",
            "--body-file",
            big.to_str().expect("utf8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "without an instance");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 MiB"));
    let _nox = NoxPty::start(&ws, &[], 30, 120);
    wait_socket(ws.path(), 15);
    let out = nox_cmd(
        &ws,
        &[
            "task",
            "add",
            "big",
            "--body-file",
            big.to_str().expect("utf8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "with an instance");
    let body = serde_json::json!({"title": "big", "body": "y".repeat(1024 * 1024 + 10)});
    let (status, v) = socket_call(ws.path(), "POST", "/api/tasks", Some(&body));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (413, Some("too_large")),
        "{v}"
    );
    let huge = serde_json::json!({"title": "huge", "body": "z".repeat(3 * 1024 * 1024)});
    let (status, _) = socket_call(ws.path(), "POST", "/api/tasks", Some(&huge));
    assert_eq!(status, 413);
    assert_eq!(tasks(&ws).as_array().map(Vec::len), Some(0));
    let ws2 = Ws::new("[ui]\nscrollback = 100000000\n");
    let out = nox_cmd(&ws2, &["agent", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nox.toml:2:14"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn what_an_agent_leaves_behind_ends_with_it() {
    let ws = Ws::new(
        r#"
[[agent]]
name = "daemonizer"
command = "sh"
args = ["-c", "setsid sleep 1000 & echo $! > setsid.pid; nohup sleep 1000 >/dev/null 2>&1 & echo $! > nohup.pid; exec sleep 1000"]

[[agent]]
name = "quitter"
command = "sh"
args = ["-c", "setsid sleep 1000 & echo $! > quitter.pid; exit 0"]
restart = "never"
"#,
    );
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    let (setsid, nohup) = (
        read_pid(&ws.file("setsid.pid"), 15),
        read_pid(&ws.file("nohup.pid"), 15),
    );
    let left = read_pid(&ws.file("quitter.pid"), 15);
    eventually("the quitter's daemon ended with it", 10, || !alive(left));
    assert!(alive(setsid) && alive(nohup));
    nox_ok(&ws, &["agent", "stop", "daemonizer"]);
    eventually("stop ends the whole tree", 10, || {
        !alive(setsid) && !alive(nohup)
    });
    std::fs::remove_file(ws.file("setsid.pid")).expect("rm");
    nox_ok(&ws, &["agent", "start", "daemonizer"]);
    let again = read_pid(&ws.file("setsid.pid"), 15);
    assert!(alive(again));
    nox.wait_for("idle", 10, |s| s.contains("daemonizer · idle"));
    nox.quit();
    eventually("quitting nox ends them too", 10, || !alive(again));
}

#[test]
fn the_workspace_and_its_files_are_private() {
    let ws = Ws::new(&format!(
        "{SHELL}\n[[agent]]\nname = \"cc\"\nkind = \"claude\"\ncommand = \"sh\"\nrestart = \"never\"\n"
    ));
    std::fs::set_permissions(ws.file(".nox"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    nox_ok(&ws, &["task", "add", "x", "--body", "echo private"]);
    eventually("task done", 20, || tasks(&ws)[0]["status"] == "done");
    assert_eq!(mode(&ws.file(".nox")), 0o700);
    for f in [
        ".nox/nox.db",
        ".nox/nox.db-wal",
        ".nox/logs/agents/sh.log",
        ".nox/run/cc/settings.json",
        ".nox/nox.sock",
    ] {
        assert_eq!(mode(&ws.file(f)), 0o600, "{f}");
    }
    let logs: Vec<_> = std::fs::read_dir(ws.file(".nox/logs"))
        .expect("logs")
        .flatten()
        .filter(|e| e.path().is_file())
        .collect();
    assert!(!logs.is_empty());
    for l in logs {
        assert_eq!(mode(&l.path()), 0o600, "{}", l.path().display());
    }
    nox.quit();
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let ws = Ws::new(SHELL);
    for args in [
        &["agent", "list", "--json"][..],
        &["task", "list"],
        &["--help"],
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(nox_bin())
            .args(args)
            .current_dir(ws.path())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("nox");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
}

#[test]
fn people_read_words_and_local_times() {
    let ws = Ws::new(SHELL);
    let mut nox = NoxPty::start(&ws, &[], 30, 120);
    nox.wait_for("agent idle", 15, |s| s.contains("sh · idle"));
    nox_ok(&ws, &["task", "add", "hello", "--body", "echo hi"]);
    eventually("task done", 20, || tasks(&ws)[0]["status"] == "done");
    let show = nox_ok(&ws, &["task", "show", "1"]);
    for bad in ["Assign {", "Completed {", "ts_ms", "lease_until"] {
        assert!(!show.contains(bad), "{bad} in {show}");
    }
    assert!(
        show.contains("assigned to sh") && show.contains("task 1 running → done: completed"),
        "{show}"
    );
    let epoch = regex::Regex::new(r"\b1[0-9]{12}\b").expect("re");
    assert!(!epoch.is_match(&show), "{show}");
    let clock = regex::Regex::new(r"\b\d\d:\d\d:\d\d\b").expect("re");
    assert!(clock.is_match(&show), "{show}");
    nox.quit();
}

#[test]
fn help_lists_the_global_flags_once_without_stray_backticks() {
    for args in [
        &["--help"][..],
        &["task", "add", "--help"],
        &["agent", "--help"],
    ] {
        let out = std::process::Command::new(nox_bin())
            .args(args)
            .output()
            .expect("nox");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        assert!(!text.contains('`'), "{args:?}:\n{text}");
        for flag in ["--workspace", "--theme", "--keymap", "--verbose"] {
            assert_eq!(text.matches(flag).count(), 1, "{flag} in {args:?}:\n{text}");
        }
    }
}

#[test]
fn a_daemon_that_outlived_a_killed_nox_ends_at_its_next_start() {
    let probe = format!("nox-probe-{}", std::process::id());
    let Some(cg) = nox::sys::cgroup::Cgroups::open(&probe) else {
        eprintln!(
            "no writable cgroup v2 here: a SIGKILL of nox leaves such a daemon running (documented)"
        );
        return;
    };
    cg.remove();
    let ws = Ws::new(
        "[[agent]]\nname = \"d\"\ncommand = \"sh\"\nargs = [\"-c\", \"setsid sleep 1000 & echo $! > daemon.pid; exec sleep 1000\"]\n",
    );
    let nox = NoxPty::start(&ws, &[], 30, 120);
    let daemon = read_pid(&ws.file("daemon.pid"), 15);
    crate::support::kill(nox.pid(), nix::sys::signal::Signal::SIGKILL);
    drop(nox);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        alive(daemon),
        "the agent's daemon survives a SIGKILL of nox"
    );
    let _again = NoxPty::start(&ws, &[], 30, 120);
    eventually("the next start ends it", 10, || !alive(daemon));
}
