//! The Logs pane: the newest lines of nox's log at or above the chosen level.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tracing::Level;

use super::{Ctx, block, focused};
use crate::tui::app::App;
use crate::tui::layout::Pane;

/// Draws the Logs pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let is_focused = focused(app, Pane::Logs);
    let level = app.log_level.as_str().to_lowercase();
    let b = block(format!(" Logs [{level}] "), is_focused, ctx.theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let lines: Vec<Line<'_>> = ctx
        .logs
        .tail(usize::from(inner.height), app.log_level)
        .into_iter()
        .map(|l| {
            let style = match l.level {
                Level::ERROR => ctx.theme.log_error,
                Level::WARN => ctx.theme.log_warn,
                Level::INFO => ctx.theme.log_info,
                _ => ctx.theme.log_debug,
            };
            let secs = l
                .time
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let hms = format!(
                "{:02}:{:02}:{:02} ",
                (secs / 3600) % 24,
                (secs / 60) % 60,
                secs % 60
            );
            Line::from(vec![
                Span::styled(hms, ctx.theme.muted),
                Span::styled(l.text, style),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
