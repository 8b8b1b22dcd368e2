//! The status line: workspace, how many agents need the user (`needs
//! you: N`, agents `waiting`), agent counts by status, the armed prefix,
//! scrollback search prompt, and the last message for the user.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ctx;
use crate::tui::app::App;

/// Draws the status line.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let mut spans = vec![Span::styled(
        format!(" nox · {} ", app.workspace),
        t.status_line,
    )];
    let needs = app.needs_you();
    if needs > 0 {
        spans.push(Span::styled(
            format!(" needs you: {needs} "),
            t.status_waiting
                .add_modifier(ratatui::style::Modifier::REVERSED),
        ));
    }
    for (s, n) in app.counts() {
        spans.push(Span::styled(format!(" {n} {s} "), t.status(s)));
    }
    let mut by_status: Vec<(crate::domain::TaskStatus, usize)> = Vec::new();
    for t in &app.tasks {
        match by_status.iter_mut().find(|(s, _)| *s == t.status) {
            Some((_, n)) => *n += 1,
            None => by_status.push((t.status, 1)),
        }
    }
    if !by_status.is_empty() {
        spans.push(Span::styled(" │ tasks:", t.muted));
        for (s, n) in by_status {
            spans.push(Span::styled(
                format!(" {n} {s}"),
                super::tasks::task_style(ctx, s),
            ));
        }
    }
    spans.push(Span::raw(" "));
    if let Some(s) = &app.scroll {
        if s.editing {
            spans.push(Span::styled(format!(" /{}█ ", s.input), t.prefix_armed));
        } else if let Some(m) = &s.message {
            spans.push(Span::styled(format!(" {m} "), t.error));
        } else {
            spans.push(Span::styled(
                " scrollback: ↑↓ PgUp/PgDn g/G, / search, q leaves ",
                t.muted,
            ));
        }
    } else if let Some(toast) = &app.toast {
        spans.push(Span::styled(format!(" {toast} "), t.error));
    }
    let left = Line::from(spans);
    let prefix = app.keymap.prefix.to_string();
    let right = if app.prefix_armed {
        Line::from(Span::styled(format!(" {prefix} … "), t.prefix_armed)).right_aligned()
    } else {
        Line::from(Span::styled(format!(" {prefix} ? help "), t.muted)).right_aligned()
    };
    f.render_widget(Paragraph::new(left).style(t.status_line), area);
    f.render_widget(Paragraph::new(right), area);
}
