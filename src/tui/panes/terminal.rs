//! The Terminal pane: the selected agent's live screen inside a border
//! titled with its name, status and window title; the cursor where the
//! agent put it (when visible and focused); scrollback position and search.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Ctx, block, focused, screen::render_screen};
use crate::tui::app::App;
use crate::tui::layout::Pane;

/// Draws the Terminal pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let is_focused = focused(app, Pane::Terminal);
    let Some(agent) = app.current() else {
        let b = block(" Terminal ", is_focused, ctx.theme);
        let inner = b.inner(area);
        f.render_widget(b, area);
        f.render_widget(
            Paragraph::new("No agents. Press the prefix then c to add one.").style(ctx.theme.muted),
            inner,
        );
        return;
    };
    let term = &agent.term;
    term.take_dirty();
    let title = term.with_parser(|p| p.callbacks().title.clone());
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
    if let Some(s) = &app.scroll {
        spans.push(Span::styled(
            format!("[scrollback -{}] ", s.offset),
            ctx.theme.prefix_armed,
        ));
    }
    let mut b = block(Line::from(spans), is_focused, ctx.theme);
    if !title.is_empty() {
        b = b.title_top(Line::from(format!(" {title} ")).right_aligned());
    }
    if !agent.detail.is_empty() {
        let since = agent
            .status_since
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| {
                let s = d.as_secs();
                format!(
                    " since {:02}:{:02}:{:02}",
                    (s / 3600) % 24,
                    (s / 60) % 60,
                    s % 60
                )
            })
            .unwrap_or_default();
        let detail = format!(" {}{since}: {} ", agent.status, agent.detail);
        b = b.title_bottom(Line::styled(detail, ctx.theme.status(agent.status)));
    }
    let inner = b.inner(area);
    f.render_widget(b, area);
    let highlight = app.scroll.as_ref().map(|s| s.query.as_str());
    let cursor = term.with_parser(|p| {
        let screen = p.screen();
        render_screen(screen, inner, f.buffer_mut(), highlight);
        let (row, col) = screen.cursor_position();
        (!screen.hide_cursor() && screen.scrollback() == 0).then_some((row, col))
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
