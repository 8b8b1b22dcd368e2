//! Where each pane goes: a left column (Agents over Logs) beside the
//! Terminal, a one-row status line, and zoom (the focused pane alone).

use ratatui::layout::Rect;

/// A pane of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The agent list.
    Agents,
    /// The selected agent's live screen.
    Terminal,
    /// nox's log.
    Logs,
    /// The task board.
    Tasks,
}

/// Rectangles of the visible panes (with borders) and the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// Agents pane, if visible.
    pub agents: Option<Rect>,
    /// Terminal pane, if visible.
    pub terminal: Option<Rect>,
    /// Logs pane, if visible.
    pub logs: Option<Rect>,
    /// Tasks pane, if visible.
    pub tasks: Option<Rect>,
    /// The status line.
    pub status: Rect,
}

impl Layout {
    /// Lays out `area` for `n_agents` agents; `zoom` shows only `focus`.
    pub fn compute(area: Rect, n_agents: usize, focus: Pane, zoom: bool) -> Self {
        let status = Rect {
            y: area.bottom().saturating_sub(1),
            height: area.height.min(1),
            ..area
        };
        let body = Rect {
            height: area.height.saturating_sub(1),
            ..area
        };
        let mut l = Layout {
            status,
            ..Layout::default()
        };
        if zoom {
            match focus {
                Pane::Agents => l.agents = Some(body),
                Pane::Terminal => l.terminal = Some(body),
                Pane::Logs => l.logs = Some(body),
                Pane::Tasks => l.tasks = Some(body),
            }
            return l;
        }
        if body.width < 60 {
            l.terminal = Some(body);
            return l;
        }
        let left_w = (body.width / 4).clamp(24, 40);
        let left = Rect {
            width: left_w,
            ..body
        };
        let right = Rect {
            x: body.x + left_w,
            width: body.width - left_w,
            ..body
        };
        let want = u16::try_from(n_agents)
            .unwrap_or(u16::MAX)
            .saturating_add(2)
            .max(4);
        let agents_h = want.min(left.height / 2).max(left.height.min(3));
        l.agents = Some(Rect {
            height: agents_h,
            ..left
        });
        // Tasks take half of what is left under the agents, Logs the rest.
        let rest = left.height.saturating_sub(agents_h);
        let tasks_h = if rest >= 8 { rest / 2 } else { 0 };
        if tasks_h > 0 {
            l.tasks = Some(Rect {
                y: left.y + agents_h,
                height: tasks_h,
                ..left
            });
        }
        let agents_h = agents_h + tasks_h;
        if left.height > agents_h {
            l.logs = Some(Rect {
                y: left.y + agents_h,
                height: left.height - agents_h,
                ..left
            });
        }
        l.terminal = Some(right);
        l
    }

    /// The rectangle of `pane`, if visible.
    pub fn rect(&self, pane: Pane) -> Option<Rect> {
        match pane {
            Pane::Agents => self.agents,
            Pane::Terminal => self.terminal,
            Pane::Logs => self.logs,
            Pane::Tasks => self.tasks,
        }
    }

    /// Size (rows, cols) of the Terminal pane inside its border.
    pub fn terminal_size(&self) -> (u16, u16) {
        self.terminal.map_or((24, 80), |r| {
            (
                r.height.saturating_sub(2).max(1),
                r.width.saturating_sub(2).max(1),
            )
        })
    }

    /// The visible pane in direction (dx, dy) from `from`, by rectangle
    /// geometry; with several that way (Agents over Logs, left of the
    /// Terminal), the first in pane order.
    pub fn neighbour(&self, from: Pane, dx: i32, dy: i32) -> Option<Pane> {
        let r = self.rect(from)?;
        let (cx, cy) = (
            i32::from(r.x) + i32::from(r.width) / 2,
            i32::from(r.y) + i32::from(r.height) / 2,
        );
        let mut found = [Pane::Agents, Pane::Terminal, Pane::Tasks, Pane::Logs]
            .into_iter()
            .filter(|p| *p != from)
            .filter_map(|p| self.rect(p).map(|o| (p, o)))
            .filter(|(_, o)| {
                let (ox0, ox1, oy0, oy1) = (
                    i32::from(o.x),
                    i32::from(o.right()),
                    i32::from(o.y),
                    i32::from(o.bottom()),
                );
                match (dx, dy) {
                    (1, _) => {
                        ox0 >= i32::from(r.right()) && oy0 <= cy.max(oy0) && oy1 > i32::from(r.y)
                    }
                    (-1, _) => {
                        ox1 <= i32::from(r.x) && oy1 > i32::from(r.y) && oy0 < i32::from(r.bottom())
                    }
                    (_, 1) => oy0 >= i32::from(r.bottom()) && ox0 <= cx && ox1 > cx,
                    _ => oy1 <= i32::from(r.y) && ox0 <= cx && ox1 > cx,
                }
            })
            .collect::<Vec<_>>();
        // Up and down: the nearest pane; left and right: the first in order.
        if dy != 0 {
            found.sort_by_key(|(_, o)| {
                (i32::from(o.y) - cy)
                    .abs()
                    .min((i32::from(o.bottom()) - cy).abs())
            });
        }
        found.first().map(|(p, _)| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_column_and_terminal() {
        let l = Layout::compute(Rect::new(0, 0, 160, 48), 3, Pane::Terminal, false);
        assert_eq!(l.agents, Some(Rect::new(0, 0, 40, 5)));
        assert_eq!(l.tasks, Some(Rect::new(0, 5, 40, 21)));
        assert_eq!(l.logs, Some(Rect::new(0, 26, 40, 21)));
        assert_eq!(l.terminal, Some(Rect::new(40, 0, 120, 47)));
        assert_eq!(l.status, Rect::new(0, 47, 160, 1));
        assert_eq!(l.terminal_size(), (45, 118));
    }

    #[test]
    fn zoom_and_narrow() {
        let z = Layout::compute(Rect::new(0, 0, 80, 24), 2, Pane::Logs, true);
        assert_eq!(
            (z.logs, z.agents, z.terminal),
            (Some(Rect::new(0, 0, 80, 23)), None, None)
        );
        let n = Layout::compute(Rect::new(0, 0, 50, 20), 2, Pane::Agents, false);
        assert_eq!(
            (n.terminal, n.agents),
            (Some(Rect::new(0, 0, 50, 19)), None)
        );
    }

    #[test]
    fn neighbours() {
        let l = Layout::compute(Rect::new(0, 0, 120, 40), 2, Pane::Terminal, false);
        assert_eq!(l.neighbour(Pane::Terminal, -1, 0), Some(Pane::Agents));
        assert_eq!(l.neighbour(Pane::Agents, 1, 0), Some(Pane::Terminal));
        assert_eq!(l.neighbour(Pane::Logs, 1, 0), Some(Pane::Terminal));
        assert_eq!(l.neighbour(Pane::Agents, 0, 1), Some(Pane::Tasks));
        assert_eq!(l.neighbour(Pane::Tasks, 0, 1), Some(Pane::Logs));
        assert_eq!(l.neighbour(Pane::Logs, 0, -1), Some(Pane::Tasks));
        assert_eq!(l.neighbour(Pane::Tasks, 0, -1), Some(Pane::Agents));
        assert_eq!(l.neighbour(Pane::Terminal, 1, 0), None);
    }
}
