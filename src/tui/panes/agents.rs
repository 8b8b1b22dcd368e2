//! The Agents pane: index, status glyph, name, kind, status (with a spinner
//! while busy), restarts and uptime; the selected row highlighted.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Ctx, block, focused};
use crate::domain::AgentStatus;
use crate::tui::app::App;
use crate::tui::layout::Pane;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// "42s", "12m", "3h", "2d".
pub fn short_duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

fn glyph(s: AgentStatus, tick: usize) -> &'static str {
    match s {
        AgentStatus::Busy => SPINNER[tick % SPINNER.len()],
        AgentStatus::Idle => "●",
        AgentStatus::Waiting => "◆",
        AgentStatus::Starting | AgentStatus::Restarting => "◌",
        AgentStatus::Exited | AgentStatus::Stopped => "○",
        AgentStatus::Crashed | AgentStatus::Failed => "✖",
    }
}

/// Draws the Agents pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let is_focused = focused(app, Pane::Agents);
    let b = block(
        format!(" Agents ({}) ", app.agents.len()),
        is_focused,
        ctx.theme,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let width = usize::from(inner.width);
    let now = SystemTime::now();
    let first = app
        .selected
        .saturating_sub(usize::from(inner.height).saturating_sub(1));
    let lines: Vec<Line<'_>> = app
        .agents
        .iter()
        .enumerate()
        .skip(first)
        .take(usize::from(inner.height))
        .map(|(i, a)| {
            let st = ctx.theme.status(a.status);
            let live = a.status.is_live();
            let uptime = a
                .started_at
                .filter(|_| live)
                .and_then(|t| now.duration_since(t).ok())
                .map(|d| short_duration(d.as_secs()))
                .unwrap_or_default();
            let restarts = if a.restarts > 0 {
                format!("↻{}", a.restarts)
            } else {
                String::new()
            };
            let right = if width >= 40 {
                format!("{restarts:>4} {uptime:>4}")
            } else {
                format!("{restarts:>3}")
            };
            // Narrow panes drop the status word: the glyph's colour carries it.
            let status_w = if width >= 30 { 11 } else { 0 };
            let kind_w = if width >= 48 { 8 } else { 0 };
            let name_w = width
                .saturating_sub(2 + 2 + status_w + kind_w + right.chars().count())
                .max(4);
            let mut name: String = a.spec.name.chars().take(name_w.saturating_sub(1)).collect();
            if kind_w > 0 {
                name = format!("{name:<w$}{:<kind_w$}", a.spec.kind.to_string(), w = name_w);
            }
            let row_style = if i == app.selected {
                if is_focused {
                    ctx.theme.selection
                } else {
                    ctx.theme.title_focused
                }
            } else {
                ctx.theme.text
            };
            Line::from(vec![
                Span::styled(format!("{i:>1} "), ctx.theme.muted),
                Span::styled(format!("{} ", glyph(a.status, ctx.tick)), st),
                Span::styled(format!("{name:<w$}", w = name_w + kind_w), row_style),
                Span::styled(
                    format!(
                        "{:<status_w$}",
                        if status_w > 0 { a.status.as_str() } else { "" }
                    ),
                    st,
                ),
                Span::styled(right, ctx.theme.muted),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(5), "5s");
        assert_eq!(short_duration(125), "2m");
        assert_eq!(short_duration(7200), "2h");
        assert_eq!(short_duration(200_000), "2d");
    }
}
