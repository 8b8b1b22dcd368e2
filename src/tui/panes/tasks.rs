//! The Tasks pane: a board by status (running, assigned, queued, blocked,
//! failed, done, cancelled), each row with id, priority, title, assignee,
//! dependencies and age; the selected row highlighted.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::agents::short_duration;
use super::{Ctx, focused, pane_block};
use crate::domain::TaskStatus;
use crate::tui::app::App;
use crate::tui::layout::Pane;

/// The theme style of a task status.
pub fn task_style(ctx: &Ctx<'_>, s: TaskStatus) -> Style {
    let t = ctx.theme;
    match s {
        TaskStatus::Running => t.status_busy,
        TaskStatus::Assigned => t.status_starting,
        TaskStatus::Queued => t.text,
        TaskStatus::Blocked => t.muted,
        TaskStatus::Done => t.status_idle,
        TaskStatus::Failed => t.status_crashed,
        TaskStatus::Cancelled => t.status_stopped,
    }
}

/// Draws the Tasks pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let is_focused = focused(app, Pane::Tasks);
    let open = app.tasks.iter().filter(|t| !t.status.is_final()).count();
    let b = pane_block(
        app,
        Pane::Tasks,
        format!(" Tasks ({open} open, {} in all) ", app.tasks.len()),
        ctx.theme,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    if app.tasks.is_empty() {
        f.render_widget(
            Paragraph::new(format!("No tasks. {} t adds one.", app.keymap.prefix))
                .style(ctx.theme.muted),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut lines: Vec<(Option<usize>, Line<'_>)> = Vec::new();
    let mut last = None;
    for (i, t) in app.tasks.iter().enumerate() {
        if last != Some(t.status) {
            lines.push((
                None,
                Line::styled(t.status.as_str().to_uppercase(), task_style(ctx, t.status)),
            ));
            last = Some(t.status);
        }
        let who = t
            .assignee
            .as_deref()
            .map(|a| format!(" → {a}"))
            .unwrap_or_default();
        let after = if t.after.is_empty() {
            String::new()
        } else {
            format!(
                " after {}",
                t.after
                    .iter()
                    .map(|a| format!("#{a}"))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let age = if t.created_ms > 0 {
            format!(
                " {}",
                short_duration(now.saturating_sub(t.created_ms) / 1000)
            )
        } else {
            String::new()
        };
        let pri = if t.priority == 0 {
            String::new()
        } else {
            format!("p{} ", t.priority)
        };
        let head = format!(" #{:<3}{pri}", t.id);
        // The title comes first: drop age, then dependencies, then the
        // assignee when the pane is too narrow for them.
        let fits =
            |tail: &str| width.saturating_sub(head.chars().count() + tail.chars().count()) >= 14;
        let tail = [
            format!("{who}{after}{age}"),
            format!("{who}{after}"),
            who.clone(),
            String::new(),
        ]
        .into_iter()
        .find(|t| fits(t))
        .unwrap_or_default();
        let title_w = width
            .saturating_sub(head.chars().count() + tail.chars().count())
            .max(4);
        let title: String = t.title.chars().take(title_w).collect();
        let sel = i == app.task_sel;
        let style = if sel && is_focused {
            ctx.theme.selection
        } else {
            ctx.theme.text
        };
        lines.push((
            Some(i),
            Line::from(vec![
                Span::styled(head, if sel { style } else { ctx.theme.muted }),
                Span::styled(format!("{title:<title_w$}"), style),
                Span::styled(tail, if sel { style } else { ctx.theme.accent }),
            ]),
        ));
        // Why a task waits or failed: the line under it says.
        if !t.detail.is_empty() && matches!(t.status, TaskStatus::Queued | TaskStatus::Failed) {
            let why: String = t.detail.chars().take(width.saturating_sub(5)).collect();
            lines.push((None, Line::styled(format!("   ↳ {why}"), ctx.theme.muted)));
        }
    }
    // Keep the selected row in view.
    let sel_line = lines
        .iter()
        .position(|(i, _)| *i == Some(app.task_sel))
        .unwrap_or(0);
    let skip = sel_line.saturating_sub(usize::from(inner.height).saturating_sub(1));
    let shown: Vec<Line<'_>> = lines
        .into_iter()
        .skip(skip)
        .take(usize::from(inner.height))
        .map(|(_, l)| l)
        .collect();
    f.render_widget(Paragraph::new(shown), inner);
}
