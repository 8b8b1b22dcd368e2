//! What each subcommand does; returns the process exit code (SPEC §3:
//! 0 success, 1 work failed, 2 bad usage or config, 3 store/socket).

use std::path::{Path, PathBuf};

use crate::cli::{AgentCommand, Cli, Command};
use crate::config::edit::{EditError, NewAgent, add_agent, remove_agent};
use crate::config::workspace::default_agent_toml;
use crate::config::{Config, Workspace, load_config};
use crate::domain::{AgentKind, RestartPolicy};

/// Exit code for bad usage or config.
pub const EXIT_USAGE: u8 = 2;

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> u8 {
    match &cli.command {
        None => crate::tui::run::dashboard(cli),
        Some(Command::Init { dir }) => init(dir.as_deref()),
        Some(Command::Agent(a)) => agent(cli, a),
        Some(Command::ModelStub { script, port }) => model_stub(script, *port),
        Some(Command::Task(t)) => match need_workspace(cli) {
            Ok(ws) => crate::task_cli::run(&ws, t),
            Err(code) => code,
        },
        Some(Command::Hook { event, agent }) => {
            let socket = std::env::var_os("NOX_SOCKET")
                .map(PathBuf::from)
                .or_else(|| find_workspace(cli).map(|ws| ws.dir().join("nox.sock")));
            crate::hook::run(event, agent, socket)
        }
    }
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// The workspace: `--workspace`, else the nearest `.nox/` above the cwd.
pub fn find_workspace(cli: &Cli) -> Option<Workspace> {
    match &cli.workspace {
        Some(d) => Some(Workspace::at(d)),
        None => Workspace::find(&cwd()),
    }
}

/// Loads the workspace config, printing a located error on failure.
pub fn load(ws: &Workspace) -> Result<Config, u8> {
    load_config(&ws.config_path(), &ws.root).map_err(|e| {
        eprintln!("nox: {e}");
        EXIT_USAGE
    })
}

fn init(dir: Option<&Path>) -> u8 {
    let ws = Workspace::at(dir.map_or_else(cwd, Path::to_path_buf));
    match ws.init(&default_agent_toml()) {
        Ok(true) => {
            println!("created {}", ws.config_path().display());
            0
        }
        Ok(false) => {
            println!(
                "{} already exists; left it unchanged",
                ws.config_path().display()
            );
            0
        }
        Err(e) => {
            eprintln!("nox: cannot create {}: {e}", ws.dir().display());
            EXIT_USAGE
        }
    }
}

fn need_workspace(cli: &Cli) -> Result<Workspace, u8> {
    find_workspace(cli).filter(|ws| ws.config_path().is_file()).ok_or_else(|| {
        eprintln!("nox: no workspace here (no .nox/nox.toml in this directory or above); run `nox init`");
        EXIT_USAGE
    })
}

fn agent(cli: &Cli, cmd: &AgentCommand) -> u8 {
    let ws = match need_workspace(cli) {
        Ok(ws) => ws,
        Err(code) => return code,
    };
    let edited = |r: Result<Config, EditError>| match r {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("nox: {e}");
            EXIT_USAGE
        }
    };
    match cmd {
        AgentCommand::Add(a) => {
            let kind = match a.kind.as_str() {
                "claude" => AgentKind::Claude,
                "generic" => AgentKind::Generic,
                other => {
                    eprintln!("nox: unknown kind {other:?}: expected claude or generic");
                    return EXIT_USAGE;
                }
            };
            let restart = match a.restart.as_deref() {
                None => None,
                Some("never") => Some(RestartPolicy::Never),
                Some("on-failure") => Some(RestartPolicy::OnFailure),
                Some("always") => Some(RestartPolicy::Always),
                Some(other) => {
                    eprintln!(
                        "nox: unknown restart policy {other:?}: expected never, on-failure or always"
                    );
                    return EXIT_USAGE;
                }
            };
            let worktree = match a.isolation.as_deref() {
                None | Some("none") => false,
                Some("worktree") => true,
                Some(other) => {
                    eprintln!("nox: unknown isolation {other:?}: expected none or worktree");
                    return EXIT_USAGE;
                }
            };
            let new = NewAgent {
                name: a.name.clone(),
                kind,
                argv: a.command.clone(),
                capabilities: a.caps.clone(),
                worktree,
                restart,
            };
            let code = edited(add_agent(&ws.config_path(), &ws.root, &new));
            if code == 0 {
                println!("added agent {}", a.name);
            }
            code
        }
        AgentCommand::Rm { name } => {
            let code = edited(remove_agent(&ws.config_path(), &ws.root, name));
            if code == 0 {
                println!("removed agent {name}");
            }
            code
        }
        AgentCommand::List { json } => {
            let cfg = match load(&ws) {
                Ok(c) => c,
                Err(code) => return code,
            };
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&cfg.agents).unwrap_or_else(|_| "[]".into())
                );
            } else {
                println!(
                    "{:<3} {:<16} {:<8} {:<11} COMMAND",
                    "#", "NAME", "KIND", "RESTART"
                );
                for (i, a) in cfg.agents.iter().enumerate() {
                    let cmd = shell_words::join(std::iter::once(&a.command).chain(&a.args));
                    println!(
                        "{i:<3} {:<16} {:<8} {:<11} {cmd}",
                        a.name,
                        a.kind.to_string(),
                        a.restart.to_string()
                    );
                }
            }
            0
        }
    }
}

fn model_stub(script: &Path, port: u16) -> u8 {
    let parsed = match crate::model_stub::Script::load(script) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("nox: {e}");
            return EXIT_USAGE;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nox: {e}");
            return 1;
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("nox: cannot listen on 127.0.0.1:{port}: {e}");
                return EXIT_USAGE;
            }
        };
        match crate::model_stub::serve(listener, parsed) {
            Ok(s) => println!("{}", s.url()),
            Err(e) => {
                eprintln!("nox: {e}");
                return 1;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        0
    })
}
