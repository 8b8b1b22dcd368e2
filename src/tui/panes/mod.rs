//! Rendering: one module per pane, and [`draw`] that lays them out. Render
//! functions read state and draw; they change nothing but the agent
//! terminals' dirty flags.

pub mod agent_columns;
pub mod agents;
pub mod help;
pub mod logs;
pub mod overlay;
pub mod screen;
pub mod status;
pub mod task_views;
pub mod tasks;
pub mod terminal;

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType, Borders};

use super::app::App;
use super::layout::{Layout, Pane};
use crate::config::theme::Theme;
use crate::logging::LogRing;

/// What rendering needs besides the app state.
pub struct Ctx<'a> {
    /// Styles.
    pub theme: &'a Theme,
    /// The log ring (Logs pane).
    pub logs: &'a Arc<LogRing>,
    /// Spinner frame counter.
    pub tick: usize,
}

/// A pane's bordered block, styled by focus.
pub fn block<'a>(
    title: impl Into<ratatui::text::Line<'a>>,
    focused: bool,
    theme: &Theme,
) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(title)
        .title_style(if focused {
            theme.title_focused
        } else {
            theme.title
        })
}

/// The bordered block of `pane` titled `title`, styled by focus; the
/// title says when the pane is zoomed.
pub fn pane_block<'a>(
    app: &App,
    pane: Pane,
    title: impl Into<ratatui::text::Line<'a>>,
    theme: &Theme,
) -> Block<'a> {
    let mut title = title.into();
    if app.zoom && app.focus == pane {
        title.push_span(ratatui::text::Span::styled("[zoomed] ", theme.prefix_armed));
    }
    block(title, focused(app, pane), theme)
}

/// Draws the whole dashboard for the size of the frame it draws into, and
/// returns the layout it used. The outer terminal can be resized at any
/// moment: a frame is always laid out for its own buffer, never for a size
/// remembered from an earlier resize event (the loop compares the result
/// with [`App::layout`] and resizes the agents' PTYs when they differ).
pub fn draw(f: &mut Frame<'_>, app: &App, ctx: &Ctx<'_>) -> Layout {
    let l = Layout::compute(f.area(), app.agents.len(), app.focus, app.zoom);
    if let Some(r) = l.agents {
        agents::render(f, r, app, ctx);
    }
    if let Some(r) = l.tasks {
        tasks::render(f, r, app, ctx);
    }
    if let Some(r) = l.logs {
        logs::render(f, r, app, ctx);
    }
    if let Some(r) = l.terminal {
        terminal::render(f, r, app, ctx);
    }
    status::render(f, l.status, app, ctx);
    overlay::render(f, f.area(), app, ctx);
    l
}

/// Whether `pane` has focus (and no overlay takes it).
pub fn focused(app: &App, pane: Pane) -> bool {
    app.focus == pane && matches!(app.overlay, super::app::Overlay::None)
}

/// A `w`×`h` rectangle centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
