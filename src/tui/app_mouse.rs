//! Mouse and outer-focus input of the dashboard: clicks focus panes and
//! select agents; over the Terminal the mouse goes to an agent that asked
//! for it (in its encoding) or scrolls nox's own scrollback.

use crossterm::event::{MouseEvent, MouseEventKind};

use super::action::Action;
use super::app::{App, Effect, Overlay};
use super::layout::Pane;
use super::scroll::ScrollState;
use crate::runtime::pty::keys::{FOCUS_IN, FOCUS_OUT, encode_mouse};

impl App {
    /// Handles a mouse event at absolute screen coordinates.
    pub fn on_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        let mut fx = Vec::new();
        if !matches!(self.overlay, Overlay::None) {
            return fx;
        }
        let inside = |r: Option<ratatui::layout::Rect>| {
            r.filter(|r| {
                ev.column > r.x
                    && ev.column + 1 < r.right()
                    && ev.row > r.y
                    && ev.row + 1 < r.bottom()
            })
        };
        if let Some(r) = inside(self.layout.terminal) {
            let (col, row) = (ev.column - r.x - 1, ev.row - r.y - 1);
            let Some(a) = self.current() else { return fx };
            let name = a.spec.name.clone();
            let modes = self.current_modes();
            let (mode, enc) = (modes.mouse_mode, modes.mouse_encoding);
            if matches!(ev.kind, MouseEventKind::Down(_)) {
                self.set_focus(Pane::Terminal, &mut fx);
            }
            if self.scroll.is_none() && mode != vt100::MouseProtocolMode::None {
                fx.extend(encode_mouse(&ev, col, row, mode, enc).map(|b| Effect::Input(name, b)));
                return fx;
            }
            match ev.kind {
                MouseEventKind::ScrollUp => {
                    if self.scroll.is_none() && !modes.alternate_screen {
                        self.scroll = Some(ScrollState::default());
                    }
                    for _ in 0..3 {
                        self.scroll_action(Action::ScrollUp, &mut fx);
                    }
                }
                MouseEventKind::ScrollDown if self.scroll.is_some() => {
                    for _ in 0..3 {
                        self.scroll_action(Action::ScrollDown, &mut fx);
                    }
                    if self
                        .scroll
                        .as_ref()
                        .is_some_and(|s| s.offset == 0 && s.query.is_empty())
                    {
                        self.leave_scroll();
                    }
                }
                _ => {}
            }
            return fx;
        }
        if let Some(r) = self
            .layout
            .agents
            .filter(|r| r.contains((ev.column, ev.row).into()))
        {
            if let MouseEventKind::Down(_) = ev.kind {
                self.set_focus(Pane::Agents, &mut fx);
                let row = usize::from(ev.row.saturating_sub(r.y + 1));
                if row < self.agents.len() {
                    self.select(row, &mut fx);
                }
            }
            return fx;
        }
        for pane in [Pane::Tasks, Pane::Messages, Pane::Logs] {
            if self
                .layout
                .rect(pane)
                .is_some_and(|r| r.contains((ev.column, ev.row).into()))
                && let MouseEventKind::Down(_) = ev.kind
            {
                self.set_focus(pane, &mut fx);
            }
        }
        fx
    }

    /// The outer terminal gained or lost focus.
    pub fn on_outer_focus(&mut self, focused: bool) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.outer_focused != focused && self.terminal_focused() {
            self.focus_bytes(if focused { FOCUS_IN } else { FOCUS_OUT }, &mut fx);
        }
        self.outer_focused = focused;
        fx
    }
}
