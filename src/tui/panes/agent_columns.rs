//! The Agents pane's columns and how they share its width: the status and
//! the name always (the name cut first); then, as width allows, the current
//! task, restarts, kind and uptime, in that order of importance — the least
//! important is the first dropped as the pane narrows.

use crate::tui::text::{fit, fit_right, width};

/// One agent's cells as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cells {
    /// Its index (the prefix digit selects it).
    pub index: String,
    /// Its name.
    pub name: String,
    /// Its kind (`claude`, `generic`).
    pub kind: String,
    /// Its status word.
    pub status: String,
    /// The task it holds, `#id` only.
    pub task_id: String,
    /// The task it holds with its title, `#id title`.
    pub task: String,
    /// `↻n` when restarted, else empty.
    pub restarts: String,
    /// How long its process has run, else empty.
    pub uptime: String,
}

/// Columns of the pane's text, by display width; 0 is a column not shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Widths {
    /// Index.
    pub index: usize,
    /// Name.
    pub name: usize,
    /// Kind.
    pub kind: usize,
    /// Status word (0: the glyph's colour carries it).
    pub status: usize,
    /// Current task.
    pub task: usize,
    /// Restarts.
    pub restarts: usize,
    /// Uptime.
    pub uptime: usize,
    /// Spaces before the right-aligned restarts and uptime.
    pub gap: usize,
}

/// Names get this many columns before optional columns are given any.
const NAME_FIRST: usize = 10;
/// Names are never cut below this many columns while the status shows.
const NAME_FLOOR: usize = 4;

/// The optional columns, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Optional {
    Task,
    Restarts,
    Kind,
    Uptime,
}

/// How `rows` share `avail` columns (the glyph takes one column after the
/// index; columns are separated by one space).
pub fn layout(avail: usize, rows: &[Cells]) -> Widths {
    let most = |f: fn(&Cells) -> &str| rows.iter().map(|c| width(f(c))).max().unwrap_or(0);
    let name_natural = most(|c| &c.name);
    let status = most(|c| &c.status);
    let mut w = Widths {
        index: most(|c| &c.index),
        ..Widths::default()
    };
    let mut used = w.index + 2;
    w.name = name_natural.min(NAME_FLOOR);
    used += 1 + w.name;
    let grow = |have: &mut usize, to: usize, used: &mut usize| {
        let add = avail.saturating_sub(*used).min(to.saturating_sub(*have));
        *have += add;
        *used += add;
    };
    if used + 1 + status > avail {
        // Too narrow for the status word: the glyph's colour carries it,
        // and nothing less important shows either.
        grow(&mut w.name, name_natural, &mut used);
        return w;
    }
    w.status = status;
    used += 1 + status;
    grow(&mut w.name, name_natural.min(NAME_FIRST), &mut used);
    for col in [
        Optional::Task,
        Optional::Restarts,
        Optional::Kind,
        Optional::Uptime,
    ] {
        let (slot, min) = match col {
            Optional::Task => (&mut w.task, most(|c| &c.task_id)),
            Optional::Restarts => (&mut w.restarts, most(|c| &c.restarts)),
            Optional::Kind => (&mut w.kind, most(|c| &c.kind)),
            Optional::Uptime => (&mut w.uptime, most(|c| &c.uptime)),
        };
        if min == 0 {
            continue;
        }
        if used + 1 + min > avail {
            break;
        }
        *slot = min;
        used += 1 + min;
    }
    grow(&mut w.name, name_natural, &mut used);
    if w.task > 0 {
        grow(&mut w.task, most(|c| &c.task), &mut used);
    }
    w.gap = avail.saturating_sub(used);
    w
}

/// One row's text in `w`'s columns: the index, then (after the glyph,
/// which the caller draws) name, kind, status, task, and restarts and
/// uptime aligned right. Each part is `(text, column)` so the caller can
/// style it.
pub fn cells(c: &Cells, w: &Widths) -> Vec<(String, Column)> {
    let cell = |text: &str, width: usize, col: Column| {
        let right = matches!(col, Column::Restarts | Column::Uptime);
        let text = if right {
            fit_right(text, width)
        } else {
            fit(text, width)
        };
        (width > 0).then(|| (format!(" {text}"), col))
    };
    // The task's title goes when the column has room for no more than its id.
    let task = if w.task >= width(&c.task) || w.task > width(&c.task_id) + 2 {
        &c.task
    } else {
        &c.task_id
    };
    [
        Some((fit_right(&c.index, w.index), Column::Index)),
        cell(&c.name, w.name, Column::Name),
        cell(&c.kind, w.kind, Column::Kind),
        cell(&c.status, w.status, Column::Status),
        cell(task, w.task, Column::Task),
        Some((" ".repeat(w.gap), Column::Gap)),
        cell(&c.restarts, w.restarts, Column::Restarts),
        cell(&c.uptime, w.uptime, Column::Uptime),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Which column a piece of a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Index.
    Index,
    /// Name.
    Name,
    /// Kind.
    Kind,
    /// Status word.
    Status,
    /// Current task.
    Task,
    /// Padding.
    Gap,
    /// Restarts.
    Restarts,
    /// Uptime.
    Uptime,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, status: &str, task: Option<(u64, &str)>, restarts: u32) -> Cells {
        Cells {
            index: "0".into(),
            name: name.into(),
            kind: "generic".into(),
            status: status.into(),
            task_id: task.map(|(id, _)| format!("#{id}")).unwrap_or_default(),
            task: task.map(|(id, t)| format!("#{id} {t}")).unwrap_or_default(),
            restarts: if restarts > 0 {
                format!("↻{restarts}")
            } else {
                String::new()
            },
            uptime: "12m".into(),
        }
    }

    fn rows() -> Vec<Cells> {
        vec![
            row("backend", "busy", Some((12, "Write the migrations")), 0),
            row("flaky", "restarting", None, 2),
        ]
    }

    /// The optional columns shown at `avail`, most important first.
    fn shown(avail: usize) -> Vec<&'static str> {
        let w = layout(avail, &rows());
        [
            ("task", w.task),
            ("restarts", w.restarts),
            ("kind", w.kind),
            ("uptime", w.uptime),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, _)| c)
        .collect()
    }

    #[test]
    fn wide_panes_show_every_column_and_the_whole_task() {
        let w = layout(80, &rows());
        assert_eq!(
            (w.name, w.kind, w.status, w.task, w.restarts, w.uptime),
            (7, 7, 10, 24, 2, 3)
        );
        let line: String = cells(&rows()[0], &w).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            width(&line) + 2,
            80,
            "{line:?} fills the pane beside the glyph"
        );
        assert!(line.contains("#12 Write the migrations"), "{line:?}");
    }

    #[test]
    fn columns_drop_from_the_least_important_as_the_pane_narrows() {
        let all = ["task", "restarts", "kind", "uptime"];
        let mut last = all.len();
        for avail in (10..=80).rev() {
            let s = shown(avail);
            assert_eq!(s, all[..s.len()], "at {avail}: only a prefix of the order");
            assert!(s.len() <= last, "at {avail}: a column came back");
            last = s.len();
        }
        assert_eq!(shown(45), all);
        assert_eq!(shown(39), ["task", "restarts", "kind"]);
        assert_eq!(shown(26), ["task"]);
        assert!(shown(22).is_empty());
    }

    #[test]
    fn the_status_shows_whole_down_to_a_narrow_pane_and_names_are_cut_first() {
        let long = vec![
            row("a-very-long-agent-name-indeed", "restarting", None, 3),
            row("b", "busy", None, 0),
        ];
        // 22 columns: the Agents pane of an 80×24 screen.
        for avail in 19..=40 {
            let w = layout(avail, &long);
            assert_eq!(w.status, 10, "at {avail}");
            let line: String = cells(&long[0], &w).into_iter().map(|(t, _)| t).collect();
            assert!(line.contains(" restarting"), "at {avail}: {line:?}");
            assert!(line.contains('…'), "at {avail}: the name is cut: {line:?}");
            assert!(width(&line) + 2 <= avail, "at {avail}: {line:?}");
        }
        // Narrower still, the glyph's colour carries the status.
        assert_eq!(layout(12, &long).status, 0);
    }

    #[test]
    fn a_title_too_long_for_the_column_leaves_the_id() {
        let w = Widths {
            task: 4,
            ..layout(30, &rows())
        };
        let parts = cells(&rows()[0], &w);
        assert!(
            parts
                .iter()
                .any(|(t, c)| *c == Column::Task && t == " #12 ")
        );
    }
}
