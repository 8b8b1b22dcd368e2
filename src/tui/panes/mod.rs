//! Rendering: one module per pane, and [`draw`] that lays them out. Render
//! functions read state and draw; they change nothing but the agent
//! terminals' dirty flags.

pub mod agent_columns;
pub mod agents;
pub mod help;
pub mod logs;
pub mod messages;
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
    let l = app.layout_for(f.area());
    if let Some(r) = l.agents {
        agents::render(f, r, app, ctx);
    }
    if let Some(r) = l.tasks {
        tasks::render(f, r, app, ctx);
    }
    if let Some(r) = l.messages {
        messages::render(f, r, app, ctx);
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

/// The last `rows` lines of `items` (oldest first), each item as
/// `lines_of` lays it out: read from the newest back until the rows are
/// full, so only what can show is laid out.
pub fn newest_lines<'a, T>(
    items: impl DoubleEndedIterator<Item = T>,
    rows: usize,
    mut lines_of: impl FnMut(T) -> Vec<ratatui::text::Line<'a>>,
) -> Vec<ratatui::text::Line<'a>> {
    let mut chunks = Vec::new();
    let mut n = 0;
    for item in items.rev() {
        if n >= rows {
            break;
        }
        let chunk = lines_of(item);
        n += chunk.len();
        chunks.push(chunk);
    }
    let mut lines: Vec<_> = chunks.into_iter().rev().flatten().collect();
    let skip = lines.len().saturating_sub(rows);
    lines.split_off(skip)
}

/// An entry's rows as lines in `style`, the first led by its `time`
/// (muted) and `mark` (accented).
pub fn timed_lines<'a>(
    time: String,
    mark: &'a str,
    rows: Vec<String>,
    style: ratatui::style::Style,
    theme: &Theme,
) -> Vec<ratatui::text::Line<'a>> {
    use ratatui::text::{Line, Span};
    let mut time = Some(time);
    rows.into_iter()
        .map(|row| match time.take() {
            Some(t) => Line::from(vec![
                Span::styled(t, theme.muted),
                Span::styled(mark, theme.accent),
                Span::styled(row, style),
            ]),
            None => Line::styled(row, style),
        })
        .collect()
}

/// Draws a dialog's `error`, if any, on the last row of `inner`.
pub fn error_row(f: &mut Frame<'_>, inner: Rect, error: Option<&str>, theme: &Theme) {
    if let Some(e) = error {
        let row = Rect {
            y: inner.bottom().saturating_sub(1),
            height: 1,
            ..inner
        };
        f.render_widget(ratatui::widgets::Paragraph::new(e).style(theme.error), row);
    }
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
