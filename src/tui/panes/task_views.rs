//! Task overlays: the new-task dialog and a task's detail view (body,
//! result, events).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::tasks::task_style;
use super::{Ctx, block, centered};
use crate::tui::app::TaskDetail;
use crate::tui::task_dialog::{BODY, LABELS, NewTaskDialog};

/// Draws the new-task dialog.
pub fn dialog(f: &mut Frame<'_>, area: Rect, d: &NewTaskDialog, ctx: &Ctx<'_>) {
    let r = centered(area, 72, 25);
    f.render_widget(Clear, r);
    let b = block(
        " New task (Tab next field, Enter add, Ctrl-S add, Esc cancel) ",
        true,
        ctx.theme,
    );
    let inner = b.inner(r);
    f.render_widget(b.style(ctx.theme.dialog), r);
    let mut y = inner.y;
    for (i, label) in LABELS.iter().enumerate() {
        let h = if i == BODY { 7 } else { 3 };
        if y + h > inner.bottom() {
            break;
        }
        let field = Rect {
            x: inner.x,
            y,
            width: inner.width,
            height: h,
        };
        let fb = block(format!(" {label} "), i == d.active, ctx.theme);
        let fi = fb.inner(field);
        f.render_widget(fb, field);
        let mut ta = d.fields[i].clone();
        if i != d.active {
            ta.set_cursor_style(ratatui::style::Style::default());
        }
        f.render_widget(&ta, fi);
        y += h;
    }
    super::error_row(f, inner, d.error.as_deref(), ctx.theme);
}

/// Draws a task's detail view.
pub fn detail(f: &mut Frame<'_>, area: Rect, d: &TaskDetail, ctx: &Ctx<'_>) {
    let t = &d.task;
    let r = centered(
        area,
        area.width.saturating_sub(8).min(110),
        area.height.saturating_sub(4),
    );
    f.render_widget(Clear, r);
    let b = block(
        format!(" Task #{}: {} (↑↓ scroll, any key closes) ", t.id, t.title),
        true,
        ctx.theme,
    );
    let inner = b.inner(r);
    f.render_widget(b.style(ctx.theme.dialog), r);
    let th = ctx.theme;
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<10}"), th.key),
            Span::styled(v, th.text),
        ])
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<10}", "status"), th.key),
            Span::styled(t.status.as_str(), task_style(ctx, t.status)),
        ]),
        field(
            "assignee",
            t.assignee.clone().unwrap_or_else(|| "(routing)".into()),
        ),
        field("priority", t.priority.to_string()),
        field("attempts", format!("{}/{}", t.attempts, t.max_attempts)),
    ];
    if !t.needs.is_empty() {
        lines.push(field("needs", t.needs.join(", ")));
    }
    if !t.after.is_empty() {
        lines.push(field(
            "after",
            t.after
                .iter()
                .map(|a| format!("#{a}"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if !t.detail.is_empty() {
        lines.push(field("detail", t.detail.clone()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Body", th.title_focused));
    lines.extend(t.body.lines().map(|l| Line::styled(l.to_string(), th.text)));
    if let Some(res) = &t.result {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Result", th.title_focused));
        lines.extend(res.lines().map(|l| Line::styled(l.to_string(), th.text)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Events", th.title_focused));
    for e in &d.events {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", crate::sys::time::local_time(e.ts_ms)),
                th.muted,
            ),
            Span::styled(format!("{} ", e.body.kind()), th.accent),
            Span::styled(e.body.describe(), th.text),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines)
            .style(th.dialog)
            .wrap(Wrap { trim: false })
            .scroll((d.scroll, 0)),
        inner,
    );
}
