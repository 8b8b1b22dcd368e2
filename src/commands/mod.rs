//! What each subcommand does; returns the process exit code (SPEC §3:
//! 0 success, 1 work failed, 2 bad usage or config, 3 store/socket). The
//! dashboard is one face of the core ([`dashboard`]); the other
//! subcommands go through the running instance when there is one
//! ([`instance`]), else act on the files under their locks.

pub mod agent;
pub mod completions;
pub mod dashboard;
pub mod demo;
pub mod doctor;
pub mod events;
pub mod explain;
pub mod headless;
pub mod instance;
pub mod out;
pub mod run;
pub mod send;
pub mod stop_signals;
pub mod task;

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command};
use crate::config::workspace::default_agent_toml;
use crate::config::{Config, Workspace, load_config};

/// The tokio runtime a face runs its core on (two workers: this machine
/// class has two cores); `Err(1)` after saying why it could not be made.
pub fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("nox: {e}");
            1
        })
}

/// Exit code for bad usage or config.
pub const EXIT_USAGE: u8 = 2;

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> u8 {
    // nox's own files are private (0600/0700); agents get the user's umask back.
    crate::sys::private_umask();
    match &cli.command {
        None if cli.headless => headless::run(cli),
        None => dashboard::run(cli),
        Some(Command::Init { dir }) => init(dir.as_deref()),
        Some(Command::Demo) => demo::run(cli),
        Some(Command::Run(args)) => run::run(cli, args),
        Some(Command::Agent(a)) => match need_workspace(cli) {
            Ok(ws) => agent::run(&ws, a),
            Err(code) => code,
        },
        Some(Command::ModelStub { script, port }) => model_stub(script, *port),
        Some(Command::Task(t)) => match need_workspace(cli) {
            Ok(ws) => task::run(&ws, t),
            Err(code) => code,
        },
        Some(Command::Send { agent, text }) => match need_workspace(cli) {
            Ok(ws) => send::run(&ws, agent, text),
            Err(code) => code,
        },
        Some(Command::Events {
            since,
            follow,
            json,
        }) => match need_workspace(cli) {
            Ok(ws) => events::run(&ws, *since, *follow, *json),
            Err(code) => code,
        },
        Some(Command::Hook { event, agent }) => crate::hook::run(event, agent, agent_socket(cli)),
        Some(Command::Mcp { agent }) => crate::mcp::run(agent, agent_socket(cli)),
        Some(Command::Doctor { json }) => doctor::run(cli, *json),
        Some(Command::Completions { shell }) => completions::run(*shell),
    }
}

/// The control socket an agent's helpers (`nox hook`, `nox mcp`) use:
/// `NOX_SOCKET`, else the workspace's `.nox/nox.sock`.
fn agent_socket(cli: &Cli) -> Option<PathBuf> {
    std::env::var_os("NOX_SOCKET")
        .map(PathBuf::from)
        .or_else(|| find_workspace(cli).map(|ws| ws.dir().join("nox.sock")))
}

/// The current directory (`.` when it cannot be read).
pub fn cwd() -> PathBuf {
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
            crate::say!("created {}", ws.config_path().display());
            0
        }
        Ok(false) => {
            crate::say!(
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
            Ok(s) => crate::say!("{}", s.url()),
            Err(e) => {
                eprintln!("nox: {e}");
                return 1;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        0
    })
}
