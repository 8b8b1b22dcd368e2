//! The Agents pane: index, status glyph (a spinner while busy), name, kind,
//! status (`done · unseen` for a turn that ended while its pane was not
//! shown), current task (or, while it waits, the pending permission
//! request: tool and command or path), restarts and uptime, as many columns
//! as the width allows ([`super::agent_columns`]); the selected row
//! highlighted.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::agent_columns::{Cells, Column, cells, layout};
use super::{Ctx, focused, pane_block};
use crate::domain::AgentStatus;
use crate::runtime::AgentInfo;
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

/// The status word of an agent whose ended turn nobody has seen.
pub const UNSEEN: &str = "done · unseen";

/// Whether agent `a` shows as [`UNSEEN`].
fn unseen(a: &AgentInfo, app: &App) -> bool {
    a.status == AgentStatus::Idle && app.attention.is_unseen(&a.spec.name)
}

/// One agent's cells as text, at `now`.
fn cells_of(i: usize, a: &AgentInfo, app: &App, now: SystemTime) -> Cells {
    let uptime = a
        .started_at
        .filter(|_| a.status.is_live())
        .and_then(|t| now.duration_since(t).ok())
        .map(|d| short_duration(d.as_secs()))
        .unwrap_or_default();
    let title = a
        .task
        .and_then(|id| app.tasks.iter().find(|t| t.id == id))
        .map(|t| t.title.as_str());
    let (task_id, task) = match (&a.approval, a.task, title) {
        // While it waits, the request it waits on says more than the task.
        (Some(p), _, _) => (p.tool.clone(), format!("{}: {}", p.tool, p.what)),
        (None, Some(id), Some(t)) => (format!("#{id}"), format!("#{id} {t}")),
        (None, Some(id), None) => (format!("#{id}"), format!("#{id}")),
        _ => (String::new(), String::new()),
    };
    Cells {
        index: i.to_string(),
        name: a.spec.name.clone(),
        kind: a.spec.kind.to_string(),
        status: if unseen(a, app) {
            UNSEEN.to_string()
        } else {
            a.status.as_str().to_string()
        },
        task_id,
        task,
        restarts: if a.restarts > 0 {
            format!("↻{}", a.restarts)
        } else {
            String::new()
        },
        uptime,
    }
}

/// Draws the Agents pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let is_focused = focused(app, Pane::Agents);
    let b = pane_block(
        app,
        Pane::Agents,
        format!(" Agents ({}) ", app.agents.len()),
        ctx.theme,
    );
    let inner = b.inner(area);
    f.render_widget(b, area);
    let now = SystemTime::now();
    let first = app
        .selected
        .saturating_sub(usize::from(inner.height).saturating_sub(1));
    let rows: Vec<Cells> = app
        .agents
        .iter()
        .enumerate()
        .map(|(i, a)| cells_of(i, a, app, now))
        .collect();
    let widths = layout(usize::from(inner.width), &rows);
    let t = ctx.theme;
    let lines: Vec<Line<'_>> = app
        .agents
        .iter()
        .zip(&rows)
        .enumerate()
        .skip(first)
        .take(usize::from(inner.height))
        .map(|(i, (a, c))| {
            let done = unseen(a, app);
            let st = if done { t.accent } else { t.status(a.status) };
            let name_style = match (i == app.selected, is_focused) {
                (true, true) => t.selection,
                (true, false) => t.title_focused,
                _ => t.text,
            };
            let mut parts = cells(c, &widths).into_iter();
            let mut spans = Vec::new();
            if let Some((index, _)) = parts.next() {
                spans.push(Span::styled(index, t.muted));
            }
            let g = if done {
                "✓"
            } else {
                glyph(a.status, ctx.tick)
            };
            spans.push(Span::styled(format!(" {g}"), st));
            spans.extend(parts.map(|(text, col)| {
                let style = match col {
                    Column::Name => name_style,
                    Column::Status => st,
                    Column::Task => t.accent,
                    _ => t.muted,
                };
                Span::styled(text, style)
            }));
            Line::from(spans)
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
