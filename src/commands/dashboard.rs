//! `nox` with no subcommand: the dashboard face. Finds or creates the
//! workspace, loads the config, theme and keymap, starts the [`Core`],
//! runs the dashboard on a handle, and shuts the core down in order.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{EXIT_USAGE, find_workspace, load};
use crate::cli::Cli;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::config::workspace::default_agent_toml;
use crate::config::{UiConfig, Workspace, user_config_dir};
use crate::core::{Core, CoreOptions};
use crate::logging::{self, LogRing};
use crate::tui::run::{Ui, face, initial_layout};

fn user_ui() -> Result<UiConfig, u8> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct UserFile {
        #[serde(default)]
        ui: UiConfig,
    }
    let Some(path) = user_config_dir()
        .map(|d| d.join("config.toml"))
        .filter(|p| p.is_file())
    else {
        return Ok(UiConfig::default());
    };
    let src = std::fs::read_to_string(&path).map_err(|e| {
        eprintln!("nox: {}: {e}", path.display());
        EXIT_USAGE
    })?;
    let ui = toml::from_str::<UserFile>(&src)
        .map(|u| u.ui)
        .map_err(|e| {
            eprintln!(
                "nox: {}",
                crate::config::ConfigError::at(&path, &src, e.span(), e.message().trim_end())
            );
            EXIT_USAGE
        })?;
    ui.validate(&path, &src).map_err(|e| {
        eprintln!("nox: {e}");
        EXIT_USAGE
    })?;
    Ok(ui)
}

/// Opens the dashboard; returns the exit code.
pub fn run(cli: &Cli) -> u8 {
    let ws = match find_workspace(cli) {
        Some(ws) if ws.config_path().is_file() => ws,
        found => {
            let ws = found.unwrap_or_else(|| {
                Workspace::at(std::env::current_dir().unwrap_or_else(|_| ".".into()))
            });
            if let Err(e) = ws.init(&default_agent_toml()) {
                eprintln!("nox: cannot create {}: {e}", ws.dir().display());
                return EXIT_USAGE;
            }
            ws
        }
    };
    open(cli, ws)
}

/// Opens the dashboard on workspace `ws` (its nox.toml exists); returns
/// the exit code.
pub fn open(cli: &Cli, ws: Workspace) -> u8 {
    let cfg = match load(&ws) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let user = match user_ui() {
        Ok(u) => u,
        Err(code) => return code,
    };
    let pick = |a: &Option<String>, b: &Option<String>, c: &Option<String>| {
        a.clone()
            .or_else(|| b.clone())
            .or_else(|| c.clone())
            .unwrap_or_else(|| "default".into())
    };
    let theme_name = pick(&cli.theme, &cfg.ui.theme, &user.theme);
    let bell = cfg.ui.bell.or(user.bell).unwrap_or(true);
    let notify = cfg.ui.notify.or(user.notify).unwrap_or_default();
    let keymap_name = pick(&cli.keymap, &cfg.ui.keymap, &user.keymap);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let user_dir = user_config_dir();
    let theme = match Theme::load(&theme_name, user_dir.as_deref(), no_color) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("nox: {e}");
            return EXIT_USAGE;
        }
    };
    let keymap = match Keymap::load(&keymap_name, user_dir.as_deref()) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("nox: {e}");
            return EXIT_USAGE;
        }
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!("nox: the dashboard needs a terminal on stdin and stdout");
        return EXIT_USAGE;
    }
    let wake = Arc::new(Notify::new());
    let ring = LogRing::new(Arc::clone(&wake));
    let _guard = logging::init(&ws.logs_dir(), Arc::clone(&ring), cli.verbose);
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let scrollback = cfg
        .ui
        .scrollback_lines()
        .or(user.scrollback_lines())
        .unwrap_or(crate::config::parse::DEFAULT_SCROLLBACK);
    let lease = crate::core::lease_of(&cfg);
    let name = ws.root.file_name().map_or_else(
        || ws.root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    tracing::info!("nox {} in {}", env!("CARGO_PKG_VERSION"), ws.root.display());
    let size = initial_layout(cfg.agents.len()).terminal_size();
    let code = rt.block_on(async move {
        let opts = CoreOptions {
            workspace: ws,
            config: cfg,
            scrollback,
            size,
            wake: Arc::clone(&wake),
            nox_exe: std::env::current_exe().ok(),
            stop_grace: Duration::from_secs(5),
            lease,
        };
        let core = match Core::start(opts) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("nox: {e}");
                return e.exit_code();
            }
        };
        let ui = Ui {
            name,
            theme,
            keymap,
            ring,
            wake,
            bell,
            notify,
        };
        let result = face(&core.handle(), &ui).await;
        tracing::info!("shutting down: stopping agents");
        core.shutdown().await;
        match result {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("nox: {e}");
                1
            }
        }
    });
    rt.shutdown_timeout(Duration::from_millis(200));
    code
}
