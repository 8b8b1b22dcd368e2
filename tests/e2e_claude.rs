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
    nox.prefix(b"d");
    if nox
        .wait_for("quit or confirm", 10, |s| {
            s.contains("Quit anyway") || !s.contains("Agents (1)")
        })
        .contains("Quit anyway")
    {
        nox.type_str("y");
    }
    nox.wait_exit(20);
}
