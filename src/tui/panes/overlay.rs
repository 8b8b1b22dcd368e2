//! Modal layers: the help overlay ([`super::help`]), the agent picker, the
//! new-agent dialog, the message dialog ([`super::messages`]), and
//! confirmations.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Ctx, block, centered};
use crate::tui::app::{App, Confirm, Overlay};
use crate::tui::dialog::{LABELS, NewAgentDialog};

/// Draws the active overlay, if any.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help(scroll) => super::help::render(f, area, &app.keymap, *scroll, ctx),
        Overlay::Picker(filter, sel) => picker(f, area, app, filter, *sel, ctx),
        Overlay::NewAgent(d) => dialog(f, area, d, ctx),
        Overlay::NewTask(d) => super::task_views::dialog(f, area, d, ctx),
        Overlay::TaskDetail(d) => super::task_views::detail(f, area, d, ctx),
        Overlay::Message(d) => super::messages::dialog(f, area, d, ctx),
        Overlay::Confirm(c) => {
            let text = match c {
                Confirm::Stop(n) => format!("Stop agent {n}? (y/n)"),
                Confirm::Quit => {
                    let busy = app
                        .agents
                        .iter()
                        .filter(|a| {
                            a.status.is_live() && a.status != crate::domain::AgentStatus::Idle
                        })
                        .count();
                    format!(
                        "{busy} agent(s) are working. Quit anyway? Sessions resume next start. (y/n)"
                    )
                }
            };
            let w = u16::try_from(text.chars().count() + 4).unwrap_or(u16::MAX);
            let r = centered(area, w, 3);
            f.render_widget(Clear, r);
            let b = block(" Confirm ", true, ctx.theme);
            let inner = b.inner(r);
            f.render_widget(b.style(ctx.theme.dialog), r);
            f.render_widget(Paragraph::new(text).style(ctx.theme.dialog), inner);
        }
    }
}

fn picker(f: &mut Frame<'_>, area: Rect, app: &App, filter: &str, sel: usize, ctx: &Ctx<'_>) {
    let matches = app.picker_matches(filter);
    let h = u16::try_from(matches.len().clamp(1, 20) + 3).unwrap_or(23);
    let r = centered(area, 50, h);
    f.render_widget(Clear, r);
    let b = block(format!(" Agents: {filter}█ "), true, ctx.theme);
    let inner = b.inner(r);
    f.render_widget(b.style(ctx.theme.dialog), r);
    let sel = sel.min(matches.len().saturating_sub(1));
    let lines: Vec<Line<'_>> = matches
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let a = &app.agents[i];
            let style = if row == sel {
                ctx.theme.selection
            } else {
                ctx.theme.dialog
            };
            Line::from(vec![
                Span::styled(format!("{i:>2} {:<24}", a.spec.name), style),
                Span::styled(a.status.as_str(), ctx.theme.status(a.status)),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines).style(ctx.theme.dialog), inner);
}

fn dialog(f: &mut Frame<'_>, area: Rect, d: &NewAgentDialog, ctx: &Ctx<'_>) {
    let r = centered(area, 64, 14);
    f.render_widget(Clear, r);
    let b = block(
        " New agent (Tab next field, Enter add, Esc cancel) ",
        true,
        ctx.theme,
    );
    let inner = b.inner(r);
    f.render_widget(b.style(ctx.theme.dialog), r);
    for (i, label) in LABELS.iter().enumerate() {
        let y = inner.y + u16::try_from(i * 3).unwrap_or(0);
        if y + 2 > inner.bottom() {
            break;
        }
        let active = i == d.active;
        let field = Rect {
            x: inner.x,
            y,
            width: inner.width,
            height: 3,
        };
        let fb = block(format!(" {label} "), active, ctx.theme);
        let fi = fb.inner(field);
        f.render_widget(fb, field);
        let mut ta = d.fields[i].clone();
        if !active {
            ta.set_cursor_style(ratatui::style::Style::default());
        }
        f.render_widget(&ta, fi);
    }
    super::error_row(f, inner, d.error.as_deref(), ctx.theme);
}
