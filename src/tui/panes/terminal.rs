//! The Terminal pane: the selected agent's live screen inside a border
//! titled with its name, status, the permission request it waits on (as
//! much as the width allows) and window title; the cursor where the agent
//! put it (when visible and focused); scrollback position and search.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Ctx, focused, pane_block, screen::render_screen};
use crate::tui::app::App;
use crate::tui::layout::Pane;
use crate::tui::text::{truncate, width};

/// Draws the Terminal pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let is_focused = focused(app, Pane::Terminal);
    let Some(agent) = app.current() else {
        let b = pane_block(app, Pane::Terminal, " Terminal ", ctx.theme);
        let inner = b.inner(area);
        f.render_widget(b, area);
        f.render_widget(
            Paragraph::new("No agents. Press the prefix then c to add one.").style(ctx.theme.muted),
            inner,
        );
        return;
    };
    let screen = app.screen.as_ref();
    let title = screen.map(|s| s.title.clone()).unwrap_or_default();
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(
            agent.spec.name.clone(),
            if is_focused {
                ctx.theme.title_focused
            } else {
                ctx.theme.title
            },
        ),
        Span::raw(" · "),
        Span::styled(agent.status.as_str(), ctx.theme.status(agent.status)),
        Span::raw(" "),
    ];
    if let Some(p) = &agent.approval {
        // Room left of the window title, whose share is a third at most.
        let used: usize = spans.iter().map(|s| width(&s.content)).sum();
        let room = (usize::from(area.width) * 2 / 3).saturating_sub(used + 4);
        if room >= 8 {
            let what = truncate(&format!("{}: {}", p.tool, p.what), room);
            spans.push(Span::styled(
                format!("· {what} "),
                ctx.theme.status(agent.status),
            ));
        }
    }
    if let Some(s) = &app.scroll {
        spans.push(Span::styled(
            format!("[scrollback -{}] ", s.offset),
            ctx.theme.prefix_armed,
        ));
    }
    let mut b = pane_block(app, Pane::Terminal, Line::from(spans), ctx.theme);
    if !title.is_empty() {
        b = b.title_top(Line::from(format!(" {title} ")).right_aligned());
    }
    if !agent.detail.is_empty() {
        let since = agent
            .status_since
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| format!(" since {}", crate::sys::time::clock(d.as_millis() as u64)))
            .unwrap_or_default();
        let detail = format!(" {}{since}: {} ", agent.status, agent.detail);
        b = b.title_bottom(Line::styled(detail, ctx.theme.status(agent.status)));
    }
    let inner = b.inner(area);
    f.render_widget(b, area);
    let highlight = app.scroll.as_ref().map(|s| s.query.as_str());
    let cursor = screen.and_then(|s| {
        render_screen(s, inner, f.buffer_mut(), highlight);
        s.cursor
    });
    if is_focused
        && app.scroll.is_none()
        && let Some((row, col)) = cursor
        && row < inner.height
        && col < inner.width
    {
        f.set_cursor_position((inner.x + col, inner.y + row));
    }
}
