//! The Messages pane: messages and delegations between agents and the
//! user, newest last, each with its local time and delivery state, wrapped
//! at words by display width ([`crate::tui::messages::rows`]); the title
//! says when it shows one agent's only; and the message dialog (prefix `m`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{Ctx, block, centered, error_row, newest_lines, pane_block, timed_lines};
use crate::domain::{Message, MessageKind, MessageState};
use crate::tui::app::App;
use crate::tui::layout::Pane;
use crate::tui::message_dialog::MessageDialog;
use crate::tui::messages::rows;

fn style_of(m: &Message, ctx: &Ctx<'_>) -> Style {
    let t = ctx.theme;
    match (m.state, m.kind) {
        (MessageState::Refused, _) => t.error,
        (MessageState::Queued, _) => t.muted,
        (_, MessageKind::Delegation | MessageKind::Result) => t.accent,
        _ => t.text,
    }
}

/// The pane's title: the count, the filter, how far it is scrolled.
pub fn title(app: &App) -> String {
    let n = app.messages.shown().len();
    let who = app
        .messages
        .filter
        .as_deref()
        .map(|a| format!(" · only {a}"))
        .unwrap_or_default();
    let back = match app.messages.scroll {
        0 => String::new(),
        s => format!(" · {s} newer below"),
    };
    format!(" Messages ({n}){who}{back} ")
}

/// Draws the Messages pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let b = pane_block(app, Pane::Messages, title(app), ctx.theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let shown = app.messages.shown();
    if shown.is_empty() {
        let hint = match &app.messages.filter {
            Some(a) => format!("No messages to or from {a}."),
            None => format!(
                "No messages. {} m sends one to the selected agent.",
                app.keymap.prefix
            ),
        };
        f.render_widget(
            Paragraph::new(hint)
                .wrap(Wrap { trim: true })
                .style(ctx.theme.muted),
            inner,
        );
        return;
    }
    let height = usize::from(inner.height);
    let w = usize::from(inner.width).max(1);
    let end = shown.len().saturating_sub(app.messages.scroll);
    let lines = newest_lines(shown[..end].iter(), height, |m| {
        let style = style_of(m, ctx);
        let (time, parts) = rows(m, w, height);
        timed_lines(time, "", parts, style, ctx.theme)
    });
    f.render_widget(Paragraph::new(lines), inner);
}

/// Draws the message dialog.
pub fn dialog(f: &mut Frame<'_>, area: Rect, d: &MessageDialog, ctx: &Ctx<'_>) {
    let r = centered(area, 72, 9);
    f.render_widget(Clear, r);
    let b = block(
        format!(
            " Message to {} (Enter send, Alt-Enter new line, Esc cancel) ",
            d.to
        ),
        true,
        ctx.theme,
    );
    let inner = b.inner(r);
    f.render_widget(b.style(ctx.theme.dialog), r);
    let text = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    f.render_widget(&d.text, text);
    error_row(f, inner, d.error.as_deref(), ctx.theme);
}
