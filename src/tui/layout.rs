//! Where each pane goes: a left column (Agents, Tasks, Messages, Logs) beside the
//! Terminal that grows with the screen's width, a one-row status line, and
//! zoom (the focused pane alone). A pane under Agents that needs fewer
//! rows than its share (few tasks, few messages) gives the rest to the
//! others.

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
    /// Messages and delegations between agents and the user.
    Messages,
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
    /// Messages pane, if visible.
    pub messages: Option<Rect>,
    /// The status line.
    pub status: Rect,
}

/// The left column's share of a body `width` columns wide: 30 % of it, at
/// least [`LEFT_MIN`] and at most [`LEFT_MAX`] columns. On an 80-column
/// screen the Agents pane keeps room for each agent's status; on wide
/// screens it shows every column while the Terminal keeps most of the width.
pub fn left_width(width: u16) -> u16 {
    (u32::from(width) * 3 / 10).clamp(u32::from(LEFT_MIN), u32::from(LEFT_MAX)) as u16
}

/// Narrowest left column (at 80 columns and below).
pub const LEFT_MIN: u16 = 24;
/// Widest left column (from 240 columns up).
pub const LEFT_MAX: u16 = 72;

/// Fewest rows a pane under the Agents pane gets (its border and two lines).
const MIN_ROWS: u16 = 4;

/// The panes under the Agents pane, top to bottom, with the order in which
/// they give way when rows run short (the lower keeps its place longer).
const UNDER_AGENTS: [(Pane, u8); 3] = [(Pane::Tasks, 0), (Pane::Messages, 1), (Pane::Logs, 2)];

/// Splits `area` among `panes` (top to bottom, each with its priority):
/// as many as fit [`MIN_ROWS`] each, the lowest priorities left out first.
/// A pane that `wants` fewer rows (all it has to show, borders included)
/// than an equal share gets just those; the others share the rest alike,
/// the last taking what the division leaves (and any rows none wanted).
fn stack(area: Rect, panes: &[(Pane, u8)], wants: &[(Pane, u16)]) -> Vec<(Pane, Rect)> {
    let fit = usize::from(area.height / MIN_ROWS).min(panes.len());
    let mut by_priority: Vec<u8> = panes.iter().map(|(_, p)| *p).collect();
    by_priority.sort_unstable_by(|a, b| b.cmp(a));
    let cut = by_priority.get(fit.wrapping_sub(1)).copied();
    let shown: Vec<Pane> = panes
        .iter()
        .filter(|(_, p)| fit > 0 && cut.is_some_and(|c| *p >= c))
        .map(|(pane, _)| *pane)
        .take(fit)
        .collect();
    let want = |p: Pane| {
        wants
            .iter()
            .find(|(w, _)| *w == p)
            .map(|(_, n)| (*n).max(MIN_ROWS))
    };
    let mut heights: Vec<Option<u16>> = vec![None; shown.len()];
    let mut left = area.height;
    loop {
        let open: Vec<usize> = (0..shown.len()).filter(|i| heights[*i].is_none()).collect();
        let Some(&last) = open.last() else { break };
        let share = left / u16::try_from(open.len()).unwrap_or(1);
        let small: Vec<(usize, u16)> = open
            .iter()
            .filter_map(|i| want(shown[*i]).filter(|w| *w <= share).map(|w| (*i, w)))
            .collect();
        if small.is_empty() {
            for i in &open {
                heights[*i] = Some(share);
            }
            heights[last] = Some(left - share * (u16::try_from(open.len()).unwrap_or(1) - 1));
            break;
        }
        for (i, w) in small {
            heights[i] = Some(w);
            left -= w;
        }
    }
    let mut heights: Vec<u16> = heights.into_iter().map(Option::unwrap_or_default).collect();
    let used: u16 = heights.iter().sum();
    if let Some(h) = heights.last_mut() {
        *h += area.height.saturating_sub(used);
    }
    let mut y = area.y;
    shown
        .iter()
        .zip(heights)
        .map(|(pane, h)| {
            let r = Rect {
                y,
                height: h,
                ..area
            };
            y += h;
            (*pane, r)
        })
        .collect()
}

impl Layout {
    /// Lays out `area` for `n_agents` agents; `zoom` shows only `focus`.
    pub fn compute(area: Rect, n_agents: usize, focus: Pane, zoom: bool) -> Self {
        Self::compute_with(area, n_agents, focus, zoom, &[])
    }

    /// [`Self::compute`], with the rows some panes under Agents want (all
    /// they have to show, borders included): none gets more than it wants
    /// while another could use the rows.
    pub fn compute_with(
        area: Rect,
        n_agents: usize,
        focus: Pane,
        zoom: bool,
        wants: &[(Pane, u16)],
    ) -> Self {
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
                Pane::Messages => l.messages = Some(body),
            }
            return l;
        }
        if body.width < 60 {
            l.terminal = Some(body);
            return l;
        }
        let left_w = left_width(body.width);
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
        let rest = Rect {
            y: left.y + agents_h,
            height: left.height.saturating_sub(agents_h),
            ..left
        };
        let under = stack(rest, &UNDER_AGENTS, wants);
        if under.is_empty() {
            l.agents = Some(left);
        }
        for (pane, r) in under {
            match pane {
                Pane::Tasks => l.tasks = Some(r),
                Pane::Logs => l.logs = Some(r),
                Pane::Messages => l.messages = Some(r),
                Pane::Agents | Pane::Terminal => {}
            }
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
            Pane::Messages => self.messages,
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
        let mut found = [
            Pane::Agents,
            Pane::Terminal,
            Pane::Tasks,
            Pane::Messages,
            Pane::Logs,
        ]
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
                (1, _) => ox0 >= i32::from(r.right()) && oy0 <= cy.max(oy0) && oy1 > i32::from(r.y),
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
#[path = "layout_tests.rs"]
mod tests;
