//! The dashboard's event loop, a face of the core: it holds a
//! [`RuntimeHandle`] and nothing else of the runtime. It draws only when
//! something visible changed, at most ~60 frames a second during floods,
//! and at once for the user's own input and its echo; it has no timer while
//! nothing moves (the spinner ticks only while an agent is busy). Every
//! frame is laid out for the size of the buffer it draws into. The bell and
//! desktop notifications of [`super::attention`] are written between frames.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event as TermEvent;
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Notify, broadcast};
use tokio::time::{Instant, sleep_until};

use super::app::{App, Effect, Overlay};
use super::attention::alert_bytes;
use super::effects::{apply, on_event, resync};
use super::layout::Layout;
use super::panes::{self, Ctx};
use super::terminal::{self, Tui};
use super::{event_log, messages};
use crate::config::keymap::Keymap;
use crate::config::parse::Notify as NotifyEscape;
use crate::config::theme::Theme;
use crate::domain::{AgentStatus, Event, TaskSummary};
use crate::logging::LogRing;
use crate::runtime::RuntimeHandle;

/// Minimum time between frames during output floods (~60 frames/s).
pub const FRAME: Duration = Duration::from_millis(16);
/// Spinner period while an agent is busy.
pub const SPINNER: Duration = Duration::from_millis(120);

/// What the dashboard shows besides the runtime's state.
pub struct Ui {
    /// Workspace name for the status line.
    pub name: String,
    /// Styles.
    pub theme: Theme,
    /// Key bindings.
    pub keymap: Keymap,
    /// nox's log lines (the Logs pane).
    pub ring: Arc<LogRing>,
    /// Woken when a screen, an agent or the log changed.
    pub wake: Arc<Notify>,
    /// Ring the outer terminal's bell when an agent needs the user (`[ui] bell`).
    pub bell: bool,
    /// The desktop notification sent with it (`[ui] notify`).
    pub notify: NotifyEscape,
}

/// Runs the dashboard on `tui` until the user quits or a signal ends it.
pub async fn run(tui: &mut Tui, handle: &RuntimeHandle, ui: &Ui) -> std::io::Result<()> {
    // Subscribe before reading the state, so no change falls between them.
    let events = handle.subscribe();
    let mut app = App::new(ui.name.clone(), ui.keymap.clone(), handle.agents());
    for t in handle.tasks().await.unwrap_or_default() {
        app.on_task(TaskSummary::from(&t));
    }
    for ev in event_log::backfill(handle, event_log::BACKFILL).await {
        app.events.push(ev);
    }
    app.messages.load(
        handle
            .messages(None, messages::BACKFILL)
            .await
            .unwrap_or_default(),
    );
    event_loop(tui, &mut app, handle, events, ui).await
}

/// The layout for the outer terminal's current size.
pub fn initial_layout(agents: usize) -> Layout {
    let (w, h) = crossterm::terminal::size().unwrap_or((80, 24));
    Layout::compute(
        ratatui::layout::Rect::new(0, 0, w, h),
        agents,
        super::layout::Pane::Terminal,
        false,
    )
}

pub(crate) fn relayout(tui: &Tui, app: &mut App, handle: &RuntimeHandle) {
    let area = tui
        .size()
        .map(|s| ratatui::layout::Rect::new(0, 0, s.width, s.height))
        .unwrap_or_default();
    app.layout = app.layout_for(area);
    let (rows, cols) = app.layout.terminal_size();
    handle.resize_all(rows, cols);
}

/// Copies the selected agent's screen, at the viewer's scrollback offset.
fn refresh_screen(app: &mut App, handle: &RuntimeHandle) {
    let Some(name) = app.current().map(|a| a.spec.name.clone()) else {
        app.screen = None;
        return;
    };
    handle.take_dirty(&name);
    let offset = app.scroll.as_ref().map_or(0, |s| s.offset);
    app.screen = handle.screen(&name, offset);
    if let Some(s) = &app.screen {
        app.modes.insert(name, s.modes);
    }
}

/// Brings input modes up to date before input is encoded: the selected
/// agent's always; every agent's only when this input may switch agents
/// (after the prefix, outside the Terminal pane, an overlay, the mouse).
/// Typing into the pane locks one emulator, not all of them.
fn refresh_modes(app: &mut App, handle: &RuntimeHandle, mouse: bool) {
    let all = mouse
        || app.prefix_armed
        || app.focus != super::layout::Pane::Terminal
        || !matches!(app.overlay, Overlay::None);
    let names: Vec<String> = if all {
        app.agents.iter().map(|a| a.spec.name.clone()).collect()
    } else {
        app.current()
            .map(|a| a.spec.name.clone())
            .into_iter()
            .collect()
    };
    for name in names {
        if let Some(m) = handle.modes(&name) {
            app.modes.insert(name, m);
        }
    }
}

/// Frames that may skip the frame-rate cap because they answer the user's
/// own input: the frame of the key and the echo the agent sends back. The
/// cap (≤ ~60 frames/s) is for floods of output, never for a keystroke's echo.
#[derive(Debug, Default)]
struct EchoCredit {
    frames: u8,
    until: Option<Instant>,
}

/// Immediate frames granted per key, and how long after it they stay valid.
const ECHO_FRAMES: u8 = 3;
const ECHO_WINDOW: Duration = Duration::from_millis(150);

impl EchoCredit {
    fn arm(&mut self, now: Instant) {
        self.frames = ECHO_FRAMES;
        self.until = Some(now + ECHO_WINDOW);
    }

    /// Whether an immediate frame is left and still valid at `now`.
    fn available(&self, now: Instant) -> bool {
        self.frames > 0 && self.until.is_some_and(|t| now < t)
    }

    fn spend(&mut self) {
        self.frames = self.frames.saturating_sub(1);
    }
}

async fn event_loop(
    tui: &mut Tui,
    app: &mut App,
    handle: &RuntimeHandle,
    mut events: broadcast::Receiver<Event>,
    ui: &Ui,
) -> std::io::Result<()> {
    let mut input = crossterm::event::EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let mut drawn_logs = u64::MAX;
    let mut tick = 0usize;
    let mut echo = EchoCredit::default();
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
        // Between frames: the bell and notifications of what needs the user.
        app.see();
        alert(app, ui)?;
        let now = Instant::now();
        if dirty && (now >= last_draw + FRAME || echo.available(now)) {
            if now < last_draw + FRAME {
                echo.spend();
            }
            let ctx = Ctx {
                theme: &ui.theme,
                logs: &ui.ring,
                tick,
            };
            drawn_logs = ui.ring.seq();
            refresh_screen(app, handle);
            crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::BeginSynchronizedUpdate
            )?;
            let mut used = app.layout;
            tui.draw(|f| used = panes::draw(f, app, &ctx))?;
            crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::EndSynchronizedUpdate
            )?;
            last_draw = Instant::now();
            dirty = false;
            if used != app.layout {
                // The outer terminal changed size since the last resize
                // event: this frame was laid out for the real size; now
                // the PTYs follow it.
                relayout(tui, app, handle);
            }
        }
        let frame_due = dirty.then_some(last_draw + FRAME);
        let spinning =
            app.layout.agents.is_some() && app.agents.iter().any(|a| a.status == AgentStatus::Busy);
        let far = Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            ev = input.next() => {
                let Some(ev) = ev else { return Ok(()) };
                let ev = ev?;
                refresh_modes(app, handle, matches!(ev, TermEvent::Mouse(_)));
                let effects = match ev {
                    crossterm::event::Event::Key(k) => app.on_key(k),
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
                if effects.iter().any(|e| matches!(e, Effect::Input(..))) {
                    // Input for an agent: its echo is drawn the moment it arrives.
                    echo.arm(Instant::now());
                }
                apply(effects, tui, app, handle).await;
                dirty = true;
            }
            ev = events.recv() => {
                match ev {
                    Ok(ev) => {
                        if on_event(ev, app, handle) {
                            relayout(tui, app, handle);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => resync(app, handle).await,
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                }
                dirty = true;
            }
            () = ui.wake.notified() => {
                // Agent changes (status, pid, current task) wake us too.
                let agents = handle.agents();
                let changed = agents != app.agents;
                if changed {
                    let n = app.agents.len();
                    app.set_agents(agents);
                    if app.agents.len() != n {
                        relayout(tui, app, handle);
                    }
                }
                let visible_term = app.layout.terminal.is_some()
                    && app.current().is_some_and(|a| handle.take_dirty(&a.spec.name));
                let logs = app.layout.logs.is_some() && ui.ring.seq() != drawn_logs;
                dirty |= changed || visible_term || logs;
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

/// Writes the bell and notifications of the alerts raised since the last
/// call to the outer terminal, outside any frame.
fn alert(app: &mut App, ui: &Ui) -> std::io::Result<()> {
    let bytes = alert_bytes(&app.attention.take_alerts(), ui.bell, ui.notify);
    if !bytes.is_empty() {
        let mut out = std::io::stdout();
        out.write_all(&bytes)?;
        out.flush()?;
    }
    Ok(())
}

/// Enters the outer terminal, runs the dashboard, and restores the
/// terminal on every way out.
pub async fn face(handle: &RuntimeHandle, ui: &Ui) -> std::io::Result<()> {
    let mut tui = match terminal::enter() {
        Ok(t) => t,
        Err(e) => {
            terminal::restore();
            return Err(e);
        }
    };
    let result = run(&mut tui, handle, ui).await;
    terminal::restore();
    result
}
