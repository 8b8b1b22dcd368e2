//! Each agent's program, found as nox will find it when it starts the
//! agent (its `env`'s `PATH`, else nox's; [`resolve_program`]), and its
//! version. Whether Claude Code is logged in cannot be known offline and is
//! not checked.

use std::path::Path;
use std::process::Command;

use super::Check;
use super::probe::{self, Probe};
use crate::config::Config;
use crate::domain::{AgentKind, AgentSpec, Isolation};
use crate::sys::program::resolve_program;

/// How to install Claude Code (README, Install).
pub const INSTALL_CLAUDE: &str = "install Claude Code: `npm install -g @anthropic-ai/claude-code` \
     (without write access to npm's global directory: `npm install -g --prefix \
     ~/.local/claude-code @anthropic-ai/claude-code` and \
     `export PATH=\"$HOME/.local/claude-code/bin:$PATH\"` in your shell's profile), \
     then `claude --version`";

/// One check per agent, probed in parallel (each probe is bounded by
/// [`probe::WITHIN`]).
pub fn checks(config: &Config) -> Vec<Check> {
    std::thread::scope(|s| {
        let handles: Vec<_> = config
            .agents
            .iter()
            .map(|a| s.spawn(move || check(a)))
            .collect();
        handles
            .into_iter()
            .zip(&config.agents)
            .map(|(h, a)| {
                h.join().unwrap_or_else(|_| {
                    Check::warn(format!("agent:{}", a.name), "the check panicked")
                })
            })
            .collect()
    })
}

fn check(a: &AgentSpec) -> Check {
    let name = format!("agent:{}", a.name);
    if a.isolation == Isolation::None && !a.cwd.is_dir() {
        return Check::fail(
            name,
            format!("its cwd {} is not a directory", a.cwd.display()),
            format!(
                "`mkdir -p {}`, or change `cwd` of agent {} in .nox/nox.toml",
                a.cwd.display(),
                a.name
            ),
        );
    }
    let path = a.env.get("PATH").map(String::as_str);
    let program = match resolve_program(&a.command, &a.cwd, path) {
        Ok(p) => p,
        Err(e) => return missing(&name, a, &e),
    };
    // A generic agent's script may not know --version and do its work
    // instead: only programs proper are asked (Claude Code is a script
    // that knows it).
    let version = if a.kind == AgentKind::Generic && is_script(&program) {
        "a script; not run for its version".into()
    } else {
        version(&program, a)
    };
    Check::ok(name, format!("{} ({version})", program.display()))
}

/// The failure of a program that cannot be run.
fn missing(name: &str, a: &AgentSpec, e: &std::io::Error) -> Check {
    let on = if a.command.contains('/') {
        format!("in {}", a.cwd.display())
    } else if a.env.contains_key("PATH") {
        "on the PATH its env sets".into()
    } else {
        "on PATH".into()
    };
    if e.raw_os_error() == Some(libc::EACCES) {
        return Check::fail(
            name,
            format!("`{}` {on} is not executable", a.command),
            format!("`chmod +x` the file `{}` names", a.command),
        );
    }
    let fix = match a.kind {
        AgentKind::Claude if a.command == "claude" => INSTALL_CLAUDE.to_string(),
        AgentKind::Claude => format!(
            "point `command` of agent {} at the Claude Code CLI, or {INSTALL_CLAUDE}",
            a.name
        ),
        AgentKind::Generic => format!(
            "install `{}`, or change `command` of agent {} in .nox/nox.toml \
             (`nox agent rm {}` removes it)",
            a.command, a.name, a.name
        ),
    };
    let why = if e.raw_os_error() == Some(libc::ENOENT) {
        String::new()
    } else {
        format!(": {e}")
    };
    Check::fail(name, format!("`{}` is not found {on}{why}", a.command), fix)
}

/// Whether `program` starts with `#!`.
fn is_script(program: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 2];
    std::fs::File::open(program)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"#!")
}

/// `program --version`, in words, run as the agent would run (its cwd and env).
fn version(program: &Path, a: &AgentSpec) -> String {
    let mut cmd = Command::new(program);
    cmd.arg("--version").envs(&a.env);
    if a.cwd.is_dir() {
        cmd.current_dir(&a.cwd);
    }
    match probe::run(cmd, probe::WITHIN) {
        p @ Probe::Exited(..) => p.first_line().unwrap_or_else(|| match &p {
            Probe::Exited(st, _) => format!("version unknown: --version {st}"),
            _ => "version unknown".into(),
        }),
        Probe::TimedOut => format!(
            "version unknown: --version did not answer within {}s",
            probe::WITHIN.as_secs()
        ),
        Probe::Failed(e) => format!("version unknown: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;

    fn agent(kind: AgentKind, command: &str, cwd: &Path) -> AgentSpec {
        AgentSpec::new("a", kind, command, cwd.to_path_buf())
    }

    #[test]
    fn programs_are_found_or_named_with_a_fix() {
        let tmp = tempfile::tempdir().expect("tmp");
        let c = check(&agent(AgentKind::Generic, "sh", tmp.path()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        let c = check(&agent(
            AgentKind::Generic,
            "nox-no-such-program",
            tmp.path(),
        ));
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.is_some_and(|f| f.contains("nox-no-such-program")));
        let mut claude = agent(AgentKind::Claude, "claude", tmp.path());
        claude.env.insert("PATH".into(), "/nonexistent".into());
        let c = check(&claude);
        assert!(c.detail.contains("on the PATH its env sets"), "{c:?}");
        assert!(
            c.fix
                .is_some_and(|f| f.contains("@anthropic-ai/claude-code"))
        );
        let c = check(&agent(AgentKind::Generic, "sh", &tmp.path().join("gone")));
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.is_some_and(|f| f.contains("mkdir -p")));
    }

    #[test]
    fn scripts_are_not_run_and_programs_give_their_version() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let s = tmp.path().join("agent.sh");
        std::fs::write(&s, "#!/bin/sh\ntouch ran\n").expect("w");
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let c = check(&agent(AgentKind::Generic, "./agent.sh", tmp.path()));
        assert!(c.detail.contains("a script"), "{c:?}");
        assert!(!tmp.path().join("ran").exists());
        let c = check(&agent(AgentKind::Generic, "ls", tmp.path()));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(!c.detail.contains("unknown"), "{c:?}");
    }
}
