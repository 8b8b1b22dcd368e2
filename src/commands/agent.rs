//! `nox agent add|rm|start|stop|restart|list` (SPEC §3): through the
//! running instance (an added agent starts at once, a removed one is
//! stopped; the dashboard shows it), or without one on nox.toml under its
//! lock, so concurrent adds never lose one. Listings show live status, pid,
//! restarts, uptime and current task, and the keys of `env`, never its
//! values.

use serde_json::{Value, json};

use super::instance::{EXIT_STORE, Failure, Route, answer, call};
use super::out::duration;
use crate::cli::{AgentAdd, AgentCommand};
use crate::config::Workspace;
use crate::config::edit::{NewAgent, add_agent, remove_agent};
use crate::domain::{AgentKind, RestartPolicy};
use crate::say;

/// Runs an agent subcommand; returns the exit code.
pub fn run(ws: &Workspace, cmd: &AgentCommand) -> u8 {
    match go(ws, cmd) {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("nox: {msg}");
            code
        }
    }
}

fn new_agent(a: &AgentAdd) -> Result<NewAgent, Failure> {
    let kind = match a.kind.as_str() {
        "claude" => AgentKind::Claude,
        "generic" => AgentKind::Generic,
        other => {
            return Err((
                2,
                format!("unknown kind {other:?}: expected claude or generic"),
            ));
        }
    };
    let restart = match a.restart.as_deref() {
        None => None,
        Some("never") => Some(RestartPolicy::Never),
        Some("on-failure") => Some(RestartPolicy::OnFailure),
        Some("always") => Some(RestartPolicy::Always),
        Some(other) => {
            return Err((
                2,
                format!("unknown restart policy {other:?}: expected never, on-failure or always"),
            ));
        }
    };
    let worktree = match a.isolation.as_deref() {
        None | Some("none") => false,
        Some("worktree") => true,
        Some(other) => {
            return Err((
                2,
                format!("unknown isolation {other:?}: expected none or worktree"),
            ));
        }
    };
    Ok(NewAgent {
        name: a.name.clone(),
        kind,
        argv: a.command.clone(),
        capabilities: a.caps.clone(),
        worktree,
        restart,
    })
}

fn request(new: &NewAgent) -> Value {
    let (command, args) = new
        .argv
        .split_first()
        .map_or((None, &[][..]), |(c, a)| (Some(c), a));
    json!({
        "name": new.name, "kind": new.kind, "command": command, "args": args,
        "capabilities": new.capabilities,
        "isolation": if new.worktree { "worktree" } else { "none" },
        "restart": new.restart,
    })
}

fn go(ws: &Workspace, cmd: &AgentCommand) -> Result<(), Failure> {
    let edit_err = |e: crate::config::edit::EditError| (2, e.to_string());
    match cmd {
        AgentCommand::Add(a) => {
            let new = new_agent(a)?;
            match call(ws, "POST", "/api/agents", Some(&request(&new)), &[])? {
                Route::Instance(status, body) => {
                    let v = answer(status, &body)?;
                    say!(
                        "added agent {} ({})",
                        a.name,
                        v["status"].as_str().unwrap_or("?")
                    );
                }
                Route::Files => {
                    add_agent(&ws.config_path(), &ws.root, &new).map_err(edit_err)?;
                    say!("added agent {} to {}", a.name, ws.config_path().display());
                }
            }
        }
        AgentCommand::Rm { name } => {
            match call(ws, "DELETE", &format!("/api/agents/{name}"), None, &[])? {
                Route::Instance(status, body) => {
                    answer(status, &body)?;
                    say!("stopped and removed agent {name}");
                }
                Route::Files => {
                    remove_agent(&ws.config_path(), &ws.root, name).map_err(edit_err)?;
                    say!("removed agent {name}");
                }
            }
        }
        AgentCommand::Start { name } => control(ws, name, "start", "starting")?,
        AgentCommand::Stop { name } => control(ws, name, "stop", "stopping")?,
        AgentCommand::Restart { name } => control(ws, name, "restart", "restarting")?,
        AgentCommand::List { json } => list(ws, *json)?,
        AgentCommand::Explain { name, json } => super::explain::go(ws, name, *json)?,
    }
    Ok(())
}

fn control(ws: &Workspace, name: &str, verb: &str, doing: &str) -> Result<(), Failure> {
    match call(ws, "POST", &format!("/api/agents/{name}/{verb}"), None, &[])? {
        Route::Instance(status, body) => {
            answer(status, &body)?;
            say!("{doing} agent {name}");
            Ok(())
        }
        Route::Files => Err((
            EXIT_STORE,
            format!(
                "no nox instance runs for {}: start one with `nox` (the dashboard) first",
                ws.root.display()
            ),
        )),
    }
}

/// The agents of nox.toml as the API shows them, with the last status the
/// store knows (no process runs).
fn offline(ws: &Workspace) -> Result<Vec<Value>, Failure> {
    let cfg =
        crate::config::load_config(&ws.config_path(), &ws.root).map_err(|e| (2, e.to_string()))?;
    let db = ws.dir().join("nox.db");
    let known: Vec<(String, String)> = if db.exists() {
        crate::store::Store::open(&db)
            .and_then(|s| s.read(crate::store::agents::statuses))
            .map_err(|e| {
                (
                    EXIT_STORE,
                    format!("cannot read the store {}: {e}", db.display()),
                )
            })?
    } else {
        Vec::new()
    };
    Ok(cfg
        .agents
        .into_iter()
        .map(|spec| {
            let last = known
                .iter()
                .find(|(n, _)| *n == spec.name)
                .map(|(_, s)| s.clone());
            let mut info = crate::runtime::AgentInfo::new(spec);
            info.detail = "no nox instance runs".into();
            let mut v = crate::server::agents::agent_json(&info);
            v["status"] = json!("not running");
            v["last_status"] = json!(last);
            v
        })
        .collect())
}

fn list(ws: &Workspace, as_json: bool) -> Result<(), Failure> {
    let agents: Vec<Value> = match call(ws, "GET", "/api/agents", None, &[])? {
        Route::Instance(status, body) => match answer(status, &body)? {
            Value::Array(a) => a,
            other => return Err((1, format!("bad answer from nox: {other}"))),
        },
        Route::Files => offline(ws)?,
    };
    if as_json {
        say!(
            "{}",
            serde_json::to_string_pretty(&agents).unwrap_or_else(|_| "[]".into())
        );
        return Ok(());
    }
    say!(
        "{:<3} {:<16} {:<8} {:<12} {:>7} {:>8} {:>6} {:<6} COMMAND",
        "#",
        "NAME",
        "KIND",
        "STATUS",
        "PID",
        "RESTARTS",
        "UPTIME",
        "TASK"
    );
    for (i, a) in agents.iter().enumerate() {
        let s = |k: &str| a[k].as_str().unwrap_or("").to_string();
        let args: Vec<String> = a["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect();
        let cmd = shell_words::join(std::iter::once(s("command")).chain(args));
        say!(
            "{i:<3} {:<16} {:<8} {:<12} {:>7} {:>8} {:>6} {:<6} {cmd}",
            s("name"),
            s("kind"),
            s("status"),
            a["pid"].as_u64().map_or("-".into(), |p| p.to_string()),
            a["restarts"].as_u64().unwrap_or(0),
            a["uptime_secs"].as_u64().map_or("-".into(), duration),
            a["current_task"]
                .as_u64()
                .map_or("-".into(), |t| format!("#{t}")),
        );
    }
    Ok(())
}
