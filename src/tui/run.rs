//! `nox` with no subcommand: find or create the workspace, load config,
//! theme and keymap, start the runtime and run the event loop. The loop
//! draws only when something visible changed, at most ~60 frames a second
//! during floods, at once after quiet; it has no timer while nothing moves
//! (the spinner ticks only while an agent is busy).

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event as TermEvent;
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use super::app::{App, Effect};
use super::layout::Layout;
use super::panes::{self, Ctx};
use super::terminal::{self, Tui};
use crate::cli::Cli;
use crate::commands::{EXIT_USAGE, find_workspace, load};
use crate::config::edit::add_agent;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::config::workspace::default_agent_toml;
use crate::config::{UiConfig, Workspace, user_config_dir};
use crate::domain::AgentStatus;
use crate::logging::{self, LogRing};
use crate::runtime::pty::NativePty;
use crate::runtime::{self, Event, RuntimeHandle, RuntimeOptions};

/// Minimum time between frames during output floods (~60 frames/s).
pub const FRAME: Duration = Duration::from_millis(16);
/// Spinner period while an agent is busy.
pub const SPINNER: Duration = Duration::from_millis(120);

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
    toml::from_str::<UserFile>(&src).map(|u| u.ui).map_err(|e| {
        eprintln!(
            "nox: {}",
            crate::config::ConfigError::at(&path, &src, e.span(), e.message().trim_end())
        );
        EXIT_USAGE
    })
}

/// Opens the dashboard; returns the exit code.
pub fn dashboard(cli: &Cli) -> u8 {
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
    let helper = std::env::current_exe().ok();
    let backend = match NativePty::new(helper) {
        Ok(b) => Arc::new(b),
        Err(e) => {
            eprintln!("nox: cannot start the PTY spawner: {e}");
            return 1;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nox: {e}");
            return 1;
        }
    };
    let scrollback = cfg
        .ui
        .scrollback
        .or(user.scrollback)
        .unwrap_or(crate::config::parse::DEFAULT_SCROLLBACK);
    tracing::info!("nox {} in {}", env!("CARGO_PKG_VERSION"), ws.root.display());
    let code = rt.block_on(async move {
        let store = match crate::store::Store::open(&ws.dir().join("nox.db")) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "nox: cannot open the store {}: {e}",
                    ws.dir().join("nox.db").display()
                );
                return 3;
            }
        };
        let sock_path = ws.dir().join("nox.sock");
        let listener = match crate::server::bind(&sock_path) {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "nox: cannot open the control socket {}: {e}",
                    sock_path.display()
                );
                return 3;
            }
        };
        let mut tui = match terminal::enter() {
            Ok(t) => t,
            Err(e) => {
                terminal::restore();
                eprintln!("nox: cannot set up the terminal: {e}");
                return 1;
            }
        };
        let area = tui
            .size()
            .map(|s| ratatui::layout::Rect::new(0, 0, s.width, s.height))
            .unwrap_or_default();
        let layout = Layout::compute(area, cfg.agents.len(), super::layout::Pane::Terminal, false);
        let opts = RuntimeOptions {
            workspace: ws.clone(),
            scrollback,
            backend,
            wake: Arc::clone(&wake),
            size: layout.terminal_size(),
            stop_grace: Duration::from_secs(5),
            nox_exe: std::env::current_exe().ok(),
            store: Some(store.clone()),
        };
        let handle = runtime::start(opts, cfg.agents);
        crate::server::spawn(listener, sock_path.clone(), handle.clone());
        if let Err(e) = crate::runtime::taskfiles::spawn(handle.clone(), ws.dir().join("tasks")) {
            tracing::error!("cannot watch {}: {e}", ws.dir().join("tasks").display());
        }
        // Subscribe before the snapshot, so no change falls between them.
        let events = handle.subscribe();
        let name = ws.root.file_name().map_or_else(
            || ws.root.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut app = App::new(name, keymap, handle.agents());
        for t in handle.tasks().await.unwrap_or_default() {
            app.on_task(t);
        }
        app.layout = layout;
        let result = event_loop(&mut tui, &mut app, &handle, events, (&theme, &ring, &wake)).await;
        terminal::restore();
        tracing::info!("shutting down: stopping agents");
        let _ = tokio::time::timeout(Duration::from_secs(8), handle.shutdown()).await;
        let _ = std::fs::remove_file(&sock_path);
        if let Err(e) = store.flush() {
            eprintln!("nox: the store could not save the last events: {e}");
        }
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

fn relayout(tui: &Tui, app: &mut App, handle: &RuntimeHandle) {
    let area = tui
        .size()
        .map(|s| ratatui::layout::Rect::new(0, 0, s.width, s.height))
        .unwrap_or_default();
    app.layout = Layout::compute(area, app.agents.len(), app.focus, app.zoom);
    let (rows, cols) = app.layout.terminal_size();
    handle.resize_all(rows, cols);
}

async fn apply(effects: Vec<Effect>, tui: &Tui, app: &mut App, handle: &RuntimeHandle) {
    for e in effects {
        match e {
            Effect::Write(term, bytes) => {
                term.write(&bytes);
            }
            Effect::Start(n) => handle.start_agent(&n).await,
            Effect::Stop(n) => handle.stop_agent(&n).await,
            Effect::Restart(n) => handle.restart_agent(&n).await,
            Effect::Relayout => relayout(tui, app, handle),
            Effect::AddTask(new) => {
                let r = handle.add_task(new).await;
                app.on_task_added(r);
            }
            Effect::AssignTask(id, agent) => match handle.assign_task(id, agent).await {
                Ok(t) => {
                    app.toast = Some(match &t.assignee {
                        Some(a) => format!("task {} assigned to {a}", t.id),
                        None => format!("task {} left to routing", t.id),
                    });
                    app.on_task(t);
                }
                Err(e) => app.toast = Some(e),
            },
            Effect::OpenTask(id) => match handle.task(id).await {
                Ok(Some((task, events))) => {
                    app.overlay =
                        super::app::Overlay::TaskDetail(Box::new(super::app::TaskDetail {
                            task,
                            events,
                            scroll: 0,
                        }));
                }
                Ok(None) => app.toast = Some(format!("no task {id}")),
                Err(e) => app.toast = Some(e),
            },
            Effect::AddAgent(new) => {
                let ws = &handle.workspace;
                let result = match add_agent(&ws.config_path(), &ws.root, &new) {
                    Err(e) => Err(e.to_string()),
                    Ok(cfg) => match cfg.agents.into_iter().find(|a| a.name == new.name) {
                        Some(spec) => handle.add_agent(spec).await.map(|()| new.name.clone()),
                        None => Err("the new agent is missing from nox.toml".into()),
                    },
                };
                if let Err(e) = &result {
                    tracing::warn!("new agent refused: {e}");
                } else {
                    tracing::info!("added agent {} to {}", new.name, ws.config_path().display());
                }
                app.on_agent_added(result);
                relayout(tui, app, handle);
            }
        }
    }
}

async fn event_loop(
    tui: &mut Tui,
    app: &mut App,
    handle: &RuntimeHandle,
    mut events: tokio::sync::broadcast::Receiver<Event>,
    (theme, ring, wake): (&Theme, &Arc<LogRing>, &Arc<Notify>),
) -> std::io::Result<()> {
    let mut input = crossterm::event::EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let mut drawn_logs = u64::MAX;
    let mut tick = 0usize;
    let mut next_tick = Instant::now() + SPINNER;
    // A deliberate crash for the tests of the panic path (terminal restored,
    // no agent left behind); never set in normal use.
    let panic_at = std::env::var("NOX_DEBUG_PANIC_AFTER_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    relayout(tui, app, handle);
    loop {
        if app.quit {
            return Ok(());
        }
        if dirty && Instant::now() >= last_draw + FRAME {
            let ctx = Ctx {
                theme,
                logs: ring,
                tick,
            };
            drawn_logs = ring.seq();
            crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::BeginSynchronizedUpdate
            )?;
            tui.draw(|f| panes::draw(f, app, &ctx))?;
            crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::EndSynchronizedUpdate
            )?;
            last_draw = Instant::now();
            dirty = false;
        }
        let frame_due = dirty.then_some(last_draw + FRAME);
        let spinning =
            app.layout.agents.is_some() && app.agents.iter().any(|a| a.status == AgentStatus::Busy);
        let far = Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            ev = input.next() => {
                let Some(ev) = ev else { return Ok(()) };
                let effects = match ev? {
                    TermEvent::Key(k) => app.on_key(k),
                    TermEvent::Paste(s) => app.on_paste(&s),
                    TermEvent::Mouse(m) => app.on_mouse(m),
                    TermEvent::Resize(..) => {
                        tui.autoresize()?;
                        relayout(tui, app, handle);
                        Vec::new()
                    }
                    TermEvent::FocusGained => app.on_outer_focus(true),
                    TermEvent::FocusLost => app.on_outer_focus(false),
                };
                apply(effects, tui, app, handle).await;
                dirty = true;
            }
            ev = events.recv() => {
                match ev {
                    Ok(Event::Agent(view)) => {
                        let n = app.agents.len();
                        app.on_agent(*view);
                        if app.agents.len() != n {
                            relayout(tui, app, handle);
                        }
                    }
                    Ok(Event::AgentRemoved(name)) => app.on_agent_removed(&name),
                    Ok(Event::Task(t)) => app.on_task(*t),
                    Ok(Event::Hook(..)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => app.agents = handle.agents(),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                }
                dirty = true;
            }
            () = wake.notified() => {
                let visible_term = app.layout.terminal.is_some() && app.current().is_some_and(|a| a.term.take_dirty());
                let logs = app.layout.logs.is_some() && ring.seq() != drawn_logs;
                dirty |= visible_term || logs;
            }
            () = sleep_until(frame_due.unwrap_or(far)), if frame_due.is_some() => {}
            () = sleep_until(panic_at.unwrap_or(far)), if panic_at.is_some() => {
                panic!("NOX_DEBUG_PANIC_AFTER_MS: deliberate panic");
            }
            () = sleep_until(next_tick), if spinning => {
                tick = tick.wrapping_add(1);
                next_tick = Instant::now() + SPINNER;
                dirty = true;
            }
            _ = sigterm.recv() => { tracing::info!("SIGTERM"); return Ok(()) }
            _ = sighup.recv() => { tracing::info!("SIGHUP"); return Ok(()) }
            _ = sigint.recv() => { tracing::info!("SIGINT"); return Ok(()) }
        }
    }
}
