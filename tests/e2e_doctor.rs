//! End-to-end: `nox doctor` on real workspaces (healthy, a missing program,
//! a readable token, a corrupt store, a running instance, a left-over
//! socket, none at all) and `nox completions` for each shell.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{NoxPty, Ws, nox_bin, nox_cmd, nox_ok, wait_socket};

const SH: &str = r#"
[[agent]]
name = "sh"
command = "sh"
"#;

/// `nox doctor --json` in `ws`: exit code and the checks by name.
fn doctor(ws: &Ws) -> (i32, Vec<Value>) {
    let out = nox_cmd(ws, &["doctor", "--json"]);
    let checks: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), checks)
}

fn find<'a>(checks: &'a [Value], name: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks:#?}"))
}

#[test]
fn a_healthy_workspace_passes_with_every_check() {
    let ws = Ws::new(SH);
    // A real store, written the way nox writes it.
    nox_ok(&ws, &["task", "add", "a task"]);
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 0, "{checks:#?}");
    for name in [
        "term",
        "colours",
        "size",
        "ssh",
        "tmux",
        "git",
        "repository",
        "workspace",
        "config",
        "agent:sh",
        "store",
        "socket",
        "token",
    ] {
        let c = find(&checks, name);
        assert!(
            ["ok", "warn"].contains(&c["status"].as_str().unwrap_or_default()),
            "{c}"
        );
        assert!(c["detail"].as_str().is_some_and(|d| !d.is_empty()), "{c}");
        assert!(c.get("fix").is_some(), "{c}");
    }
    for name in ["config", "agent:sh", "store", "socket", "token"] {
        assert_eq!(find(&checks, name)["status"], "ok", "{checks:#?}");
    }
    let store = find(&checks, "store")["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(store.contains("integrity ok, schema version"), "{store}");
    // The plain report: a mark per check, then the total.
    let out = nox_ok(&ws, &["doctor"]);
    assert!(out.lines().any(|l| l.starts_with("✓ agent:sh")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("✓ store")), "{out}");
    let total = out.lines().last().unwrap_or_default();
    assert!(
        total == "all checks passed" || total.starts_with("no failures, "),
        "{out}"
    );
}

#[test]
fn a_missing_program_fails_with_a_fix_naming_it() {
    let ws = Ws::new(&format!(
        "{SH}\n[[agent]]\nname = \"gone\"\ncommand = \"nox-no-such-agent-program\"\n\n\
         [[agent]]\nname = \"cc\"\nkind = \"claude\"\ncommand = \"claude\"\nenv = {{ PATH = \"/nonexistent\" }}\n"
    ));
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 1, "{checks:#?}");
    let gone = find(&checks, "agent:gone");
    assert_eq!(gone["status"], "fail");
    assert!(
        gone["fix"]
            .as_str()
            .is_some_and(|f| f.contains("nox-no-such-agent-program")),
        "{gone}"
    );
    let cc = find(&checks, "agent:cc");
    assert_eq!(cc["status"], "fail");
    assert!(
        cc["fix"]
            .as_str()
            .is_some_and(|f| f.contains("npm install -g @anthropic-ai/claude-code")),
        "{cc}"
    );
    assert_eq!(find(&checks, "agent:sh")["status"], "ok");
    // The plain report ends with the fixes.
    let out = nox_cmd(&ws, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✗ agent:gone"), "{text}");
    assert!(
        text.contains("To fix:\n")
            && text.contains("✗ agent:gone: install `nox-no-such-agent-program`"),
        "{text}"
    );
    let total = text.lines().last().unwrap_or_default();
    assert!(total.starts_with("2 failed, "), "{text}");
}

#[test]
fn a_token_readable_by_others_fails_with_chmod() {
    let ws = Ws::new(SH);
    let token = ws.file(".nox/api-token");
    std::fs::write(&token, "0123456789abcdef").expect("token");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 1, "{checks:#?}");
    let t = find(&checks, "token");
    assert_eq!(t["status"], "fail", "{t}");
    assert!(
        t["detail"].as_str().is_some_and(|d| d.contains("0644")),
        "{t}"
    );
    assert!(
        t["fix"].as_str().is_some_and(|f| f.contains("chmod 600")),
        "{t}"
    );
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 0, "{checks:#?}");
    assert_eq!(find(&checks, "token")["status"], "ok");
}

#[test]
fn a_corrupt_store_fails_the_store_check() {
    let ws = Ws::new(SH);
    std::fs::write(ws.file(".nox/nox.db"), vec![0x5a_u8; 8192]).expect("garbage");
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 1, "{checks:#?}");
    let s = find(&checks, "store");
    assert_eq!(s["status"], "fail", "{s}");
    assert!(s["fix"].as_str().is_some_and(|f| f.contains("mv ")), "{s}");
}

#[test]
fn a_bad_config_fails_with_its_location() {
    let ws = Ws::new("[[agent]]\nname = \"x\"\ncommand = 3\n");
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 1, "{checks:#?}");
    let c = find(&checks, "config");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("nox.toml:3")),
        "{c}"
    );
    // The rest is still checked.
    assert_eq!(find(&checks, "token")["status"], "ok");
}

#[test]
fn a_running_instance_answers_and_a_stale_socket_warns() {
    let ws = Ws::new(SH);
    let mut nox = NoxPty::start(&ws, &[], 30, 110);
    wait_socket(ws.path(), 20);
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 0, "{checks:#?}");
    let s = find(&checks, "socket");
    assert_eq!(s["status"], "ok", "{s}");
    assert!(
        s["detail"]
            .as_str()
            .is_some_and(|d| d.contains("answers /health")),
        "{s}"
    );
    assert_eq!(nox.quit(), 0);
    // A socket file with no instance behind it.
    let _left = std::os::unix::net::UnixListener::bind(ws.file(".nox/nox.sock")).expect("bind");
    let (code, checks) = doctor(&ws);
    assert_eq!(code, 0, "{checks:#?}");
    let s = find(&checks, "socket");
    assert_eq!(s["status"], "warn", "{s}");
    assert!(s["fix"].as_str().is_some_and(|f| f.contains("rm ")), "{s}");
}

#[test]
fn without_a_workspace_the_terminal_and_git_are_still_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = Command::new(nox_bin())
        .args(["doctor", "--json"])
        .current_dir(dir.path())
        .output()
        .expect("nox");
    assert_eq!(out.status.code(), Some(0));
    let checks: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(find(&checks, "workspace")["status"], "warn");
    find(&checks, "term");
    find(&checks, "git");
    assert!(checks.iter().all(|c| c["check"] != "store"), "{checks:#?}");
}

fn completions(shell: &str) -> Output {
    Command::new(nox_bin())
        .args(["completions", shell])
        .output()
        .expect("nox")
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = completions(shell);
        assert!(out.status.success(), "{shell}: {out:?}");
        let s = String::from_utf8_lossy(&out.stdout);
        for sub in ["agent", "task", "demo", "send", "doctor"] {
            assert!(s.contains(sub), "{shell} names no {sub}");
        }
    }
    let bad = completions("tcsh");
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    // bash accepts its script (syntax only), where bash exists.
    if Command::new("bash").arg("--version").output().is_ok() {
        let dir = tempfile::tempdir().expect("tmp");
        let f = dir.path().join("nox.bash");
        std::fs::write(&f, completions("bash").stdout).expect("write");
        let check = Command::new("bash")
            .arg("-n")
            .arg(&f)
            .output()
            .expect("bash");
        assert!(check.status.success(), "bash -n: {check:?}");
    }
}
