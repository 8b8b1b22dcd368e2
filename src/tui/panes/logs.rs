//! The Logs pane: the newest lines of nox's log at or above the chosen level.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tracing::Level;

use super::{Ctx, pane_block};
use crate::tui::app::App;
use crate::tui::layout::Pane;

/// Draws the Logs pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let level = app.log_level.as_str().to_lowercase();
    let b = pane_block(app, Pane::Logs, format!(" Logs [{level}] "), ctx.theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let width = usize::from(inner.width).max(1);
    let mut lines: Vec<Line<'_>> = Vec::new();
    for l in ctx.logs.tail(usize::from(inner.height), app.log_level) {
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
        // Wrap by characters so long lines (errors with OS messages) stay readable.
        let chars: Vec<char> = l.text.chars().collect();
        let first = width.saturating_sub(hms.len()).max(1);
        let head: String = chars.iter().take(first).collect();
        lines.push(Line::from(vec![
            Span::styled(hms, ctx.theme.muted),
            Span::styled(head, style),
        ]));
        for chunk in chars.get(first..).unwrap_or_default().chunks(width) {
            lines.push(Line::styled(chunk.iter().collect::<String>(), style));
        }
    }
    let skip = lines.len().saturating_sub(usize::from(inner.height));
    f.render_widget(Paragraph::new(lines.split_off(skip)), inner);
}
