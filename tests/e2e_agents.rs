//! End-to-end: the real nox binary in a PTY with bash agents.

use crate::support::{NoxPty, Ws};

const BASH: &str = r#"
[[agent]]
name = "sh"
command = "bash"
args = ["--norc", "--noprofile", "-i"]
env = { PS1 = "nox$ ", HISTFILE = "/dev/null" }
"#;

#[test]
fn bash_prompt_and_a_typed_command() {
    let ws = Ws::new(BASH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    nox.type_str("echo result=$((6*7))\r");
    nox.wait_text("result=42", 10);
    let s = nox.wait_text("idle", 10);
    assert!(s.contains("Agents (1)"), "{s}");
}

#[test]
fn alternate_screen_program_draws_takes_keys_and_returns() {
    let ws = Ws::new(BASH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    nox.type_str("seq 1 500 | less\r");
    nox.wait_for("less showing the first lines", 10, |s| {
        s.contains("┃1 ") && s.contains("┃2 ")
    });
    nox.type_str("G");
    nox.wait_for("less at the end", 10, |s| {
        s.contains("┃500 ") && s.contains("(END)")
    });
    nox.type_str("q");
    let s = nox.wait_for("back to the shell", 10, |s| {
        !s.contains("(END)") && !s.contains("┃500 ")
    });
    assert!(
        s.contains("┃nox$ seq 1 500 | less"),
        "the normal screen is back: {s}"
    );
}

#[test]
fn outer_resize_reaches_the_agent() {
    let ws = Ws::new(BASH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    nox.resize(34, 130);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let layout = nox::tui::layout::Layout::compute(
        ratatui::layout::Rect::new(0, 0, 130, 34),
        1,
        nox::tui::layout::Pane::Terminal,
        false,
    );
    let (rows, cols) = layout.terminal_size();
    nox.type_str("stty size\r");
    nox.wait_text(&format!("{rows} {cols}"), 10);
}

#[test]
fn keys_are_encoded_for_the_agent() {
    let ws = Ws::new(BASH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    // od shows exactly what reached the agent: Up arrow, F5, Ctrl-a, a bracketed paste.
    nox.type_str("od -c\r");
    std::thread::sleep(std::time::Duration::from_millis(300));
    nox.send(b"\x1b[A");
    nox.send(b"\x1b[15~");
    nox.send(b"x\r\x04");
    let s = nox.wait_text("033   [   A 033   [   1   5   ~   x  \\n", 10);
    assert!(!s.contains("panicked"), "{s}");
}

#[test]
fn prefix_keys_switch_agents_and_zoom() {
    let ws = Ws::new(&format!(
        "{BASH}\n[[agent]]\nname = \"two\"\ncommand = \"bash\"\nargs = [\"--norc\", \"-i\"]\nenv = {{ PS1 = \"two$ \" }}\n"
    ));
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    nox.prefix(b"n");
    nox.wait_text("two$", 10);
    nox.type_str("echo in-two\r");
    nox.wait_text("in-two", 10);
    nox.prefix(b"0");
    nox.wait_for("agent 0 shown", 10, |s| {
        s.contains("nox$") && !s.contains("in-two")
    });
    nox.prefix(b"z");
    nox.wait_for("zoomed terminal", 10, |s| !s.contains("Agents (2)"));
    nox.prefix(b"z");
    nox.wait_text("Agents (2)", 10);
    nox.prefix(b"?");
    nox.wait_text("select_agent_0", 10);
    nox.type_str("q");
    nox.wait_for("help closed", 10, |s| !s.contains("select_agent_0"));
}

#[test]
fn config_error_exits_2_naming_file_line_and_column() {
    let ws = Ws::new("[[agent]]\nname = \"ok\"\nkind = \"robot\"\ncommand = \"sh\"\n");
    let out = std::process::Command::new(crate::support::nox_bin())
        .current_dir(ws.path())
        .env("HOME", ws.file("home"))
        .output()
        .expect("run nox");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nox.toml:3:8"), "{err}");
    assert!(err.contains("expected") && err.contains("claude"), "{err}");
}

#[test]
fn agent_cli_adds_lists_and_removes() {
    let ws = Ws::new(BASH);
    let run = |args: &[&str]| {
        std::process::Command::new(crate::support::nox_bin())
            .args(args)
            .current_dir(ws.path())
            .output()
            .expect("nox")
    };
    let out = run(&[
        "agent",
        "add",
        "web",
        "--cap",
        "js",
        "--",
        "node",
        "server.js",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["agent", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(list[1]["name"], "web");
    assert_eq!(list[1]["args"][0], "server.js");
    assert_eq!(list[1]["capabilities"][0], "js");
    let out = run(&["agent", "add", "Bad!", "--", "sh"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["agent", "rm", "web"]);
    assert!(out.status.success());
    let out = run(&["agent", "list"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("web"));
}
