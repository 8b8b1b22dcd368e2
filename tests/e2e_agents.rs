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

#[test]
fn mouse_paste_and_focus_reach_an_agent_that_asked_for_them() {
    let ws = Ws::new(BASH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    // The agent turns on SGR mouse, bracketed paste and focus events, then
    // shows every byte it receives.
    nox.type_str("stty -echo; printf '\\033[?1000h\\033[?1006h\\033[?2004h\\033[?1004h'; cat -v\r");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let term = nox::tui::layout::Layout::compute(
        ratatui::layout::Rect::new(0, 0, 110, 30),
        1,
        nox::tui::layout::Pane::Terminal,
        false,
    )
    .terminal
    .expect("terminal pane");
    // A wheel-up at pane cell (col 4, row 2), in the outer terminal's SGR encoding.
    let (x, y) = (term.x + 1 + 4 + 1, term.y + 1 + 2 + 1);
    nox.send(format!("\x1b[<64;{x};{y}M").as_bytes());
    nox.send(b"\x1b[200~pasted\x1b[201~");
    nox.send(b"\x1b[O\x1b[I");
    nox.send(b"\r");
    // Wheel at pane cell (4, 2) is column 5, row 3 in SGR; then the paste
    // in brackets, then focus out and in.
    nox.wait_text("^[[<64;5;3M^[[200~pasted^[[201~^[[O^[[I", 10);
}

#[test]
fn new_agent_dialog_adds_a_running_agent_to_the_config() {
    let ws = Ws::new(BASH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    nox.prefix(b"c");
    nox.wait_text("New agent", 10);
    nox.type_str("helper");
    nox.type_str("\t");
    nox.type_str("bash --norc -i");
    nox.type_str("\r");
    nox.wait_text("Agents (2)", 10);
    nox.wait_for("the new agent's terminal", 10, |s| s.contains("helper ·"));
    let cfg = std::fs::read_to_string(ws.file(".nox/nox.toml")).expect("config");
    assert!(
        cfg.contains("name = \"helper\"") && cfg.contains("command = \"bash\""),
        "{cfg}"
    );
    nox.type_str("echo from-helper\r");
    nox.wait_text("from-helper", 10);
}

#[test]
fn scrollback_mode_scrolls_and_searches() {
    let ws = Ws::new(BASH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox$", 15);
    nox.type_str("for i in $(seq 1 300); do echo row-$i; done\r");
    nox.wait_text("row-300", 10);
    nox.prefix(b"[");
    nox.wait_text("scrollback", 10);
    nox.type_str("g");
    nox.wait_text("┃row-1 ", 10);
    nox.type_str("/row-150\r");
    nox.wait_for("search hit", 10, |s| {
        s.contains("┃row-150 ") && !s.contains("row-300")
    });
    nox.type_str("q");
    nox.wait_text("row-300", 10);
}

#[test]
fn a_flooding_agent_never_stalls_the_others_or_the_ui() {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"flood\"\ncommand = \"yes\"\nargs = [\"nox flood\"]\n{BASH}"
    ));
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    nox.wait_text("nox flood", 15);
    nox.prefix(b"1");
    nox.wait_text("nox$", 15);
    for i in 0..5 {
        nox.type_str(&format!("echo still-responsive-{i}\r"));
        nox.wait_text(&format!("still-responsive-{i}"), 10);
    }
    nox.prefix(b"0");
    nox.wait_text("nox flood", 10);
}

#[test]
fn first_run_creates_a_workspace_with_one_agent() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join("home")).expect("home");
    let ws = Ws { dir };
    std::fs::remove_dir_all(ws.file(".nox")).ok();
    // A PATH without Claude Code: the agent is $SHELL (/bin/sh here).
    let nox = NoxPty::start_with_env(&ws, &[], 30, 110, &[("PATH", "/usr/bin:/bin")]);
    nox.wait_text("Agents (1)", 15);
    let cfg = std::fs::read_to_string(ws.file(".nox/nox.toml")).expect("created");
    assert!(
        cfg.contains("name = \"shell\"") && cfg.contains("command = \"/bin/sh\""),
        "{cfg}"
    );
    assert!(
        cfg.contains("# name = \"backend\""),
        "the reference comments are there: {cfg}"
    );
    assert!(ws.file(".nox/.gitignore").is_file());
}

#[test]
fn keymap_and_theme_flags_and_user_overrides() {
    let ws = Ws::new(BASH);
    // A user keymap named like a built-in replaces it.
    let dir = ws.file("home/.config/nox/keymaps");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("mine.toml"),
        "extends = \"vim\"\n[prefix]\nq = \"help\"\n",
    )
    .expect("keymap");
    let mut nox = NoxPty::start(&ws, &["--keymap", "mine", "--theme", "light"], 30, 110);
    nox.wait_text("nox$", 15);
    nox.prefix(b"h");
    nox.wait_for("Agents focused (thick border)", 10, |s| {
        s.starts_with("┏ Agents")
    });
    nox.prefix(b"q");
    nox.wait_text("keymap mine", 10);
    let bad = NoxPty::start(&ws, &["--theme", "nope"], 30, 110);
    bad.wait_text("unknown theme \"nope\"", 10);
}
