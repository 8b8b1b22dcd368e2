//! Layout tests: the left column's width at 80, 160 and 250 columns, the
//! panes stacked under Agents (Tasks, Messages, Logs) as rows run short,
//! neighbours for focus.

use super::*;

#[test]
fn left_column_and_terminal() {
    let l = Layout::compute(Rect::new(0, 0, 160, 48), 3, Pane::Terminal, false);
    assert_eq!(l.agents, Some(Rect::new(0, 0, 48, 5)));
    assert_eq!(l.tasks, Some(Rect::new(0, 5, 48, 14)));
    assert_eq!(l.messages, Some(Rect::new(0, 19, 48, 14)));
    assert_eq!(l.logs, Some(Rect::new(0, 33, 48, 14)));
    assert_eq!(l.terminal, Some(Rect::new(48, 0, 112, 47)));
    assert_eq!(l.status, Rect::new(0, 47, 160, 1));
    assert_eq!(l.terminal_size(), (45, 110));
}

#[test]
fn the_left_column_grows_with_the_width() {
    for (w, left) in [(80, 24), (100, 30), (160, 48), (250, 72), (400, 72)] {
        let l = Layout::compute(Rect::new(0, 0, w, 40), 3, Pane::Terminal, false);
        for pane in [l.agents, l.tasks, l.messages, l.logs] {
            assert_eq!(pane.map(|r| (r.x, r.width)), Some((0, left)), "at {w}");
        }
        assert_eq!(
            l.terminal,
            Some(Rect::new(left, 0, w - left, 39)),
            "at {w}: the Terminal takes the rest"
        );
    }
    // Growing never shrinks the Terminal.
    let term_w = |w| left_width(w).abs_diff(w);
    assert!((60..400).all(|w| term_w(w + 1) >= term_w(w)));
}

#[test]
fn short_columns_give_way_from_the_top_down() {
    // 15 rows under the Agents pane: Tasks, Messages and Logs; 11:
    // Messages and Logs; 7 or 4: Logs alone; 2: the Agents pane takes the
    // column.
    let rows = |h| {
        let l = Layout::compute(Rect::new(0, 0, 100, h), 2, Pane::Terminal, false);
        (
            l.agents.map(|r| r.height),
            l.tasks.map(|r| r.height),
            l.messages.map(|r| r.height),
            l.logs.map(|r| r.height),
        )
    };
    assert_eq!(rows(20), (Some(4), Some(5), Some(5), Some(5)));
    assert_eq!(rows(16), (Some(4), None, Some(5), Some(6)));
    assert_eq!(rows(12), (Some(4), None, None, Some(7)));
    assert_eq!(rows(8), (Some(3), None, None, Some(4)));
    assert_eq!(rows(6), (Some(5), None, None, None));
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
    assert_eq!(l.neighbour(Pane::Tasks, 0, 1), Some(Pane::Messages));
    assert_eq!(l.neighbour(Pane::Messages, 0, 1), Some(Pane::Logs));
    assert_eq!(l.neighbour(Pane::Messages, 1, 0), Some(Pane::Terminal));
    assert_eq!(l.neighbour(Pane::Logs, 0, -1), Some(Pane::Messages));
    assert_eq!(l.neighbour(Pane::Messages, 0, -1), Some(Pane::Tasks));
    assert_eq!(l.neighbour(Pane::Tasks, 0, -1), Some(Pane::Agents));
    assert_eq!(l.neighbour(Pane::Terminal, 1, 0), None);
}

#[test]
fn the_stack_under_agents_takes_a_third_pane() {
    // Three panes: all three when each gets its minimum; then the lowest
    // priority gives way.
    let panes = [(Pane::Tasks, 0), (Pane::Terminal, 2), (Pane::Logs, 1)];
    let area = |h| Rect::new(0, 10, 30, h);
    let rows = |h| {
        stack(area(h), &panes, &[])
            .into_iter()
            .map(|(p, r)| (p, r.y, r.height))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rows(13),
        [
            (Pane::Tasks, 10, 4),
            (Pane::Terminal, 14, 4),
            (Pane::Logs, 18, 5)
        ]
    );
    assert_eq!(rows(11), [(Pane::Terminal, 10, 5), (Pane::Logs, 15, 6)]);
    assert_eq!(rows(4), [(Pane::Terminal, 10, 4)]);
    assert!(rows(3).is_empty());
}

#[test]
fn panes_that_need_fewer_rows_give_the_rest_to_the_others() {
    let at = |wants: &[(Pane, u16)]| {
        let l = Layout::compute_with(Rect::new(0, 0, 120, 40), 2, Pane::Terminal, false, wants);
        (
            l.tasks.map(|r| (r.y, r.height)),
            l.messages.map(|r| (r.y, r.height)),
            l.logs.map(|r| (r.y, r.height)),
        )
    };
    // 35 rows under the Agents pane.
    assert_eq!(at(&[]), (Some((4, 11)), Some((15, 11)), Some((26, 13))));
    // Nothing to show: the minimum (a border and two lines).
    assert_eq!(
        at(&[(Pane::Messages, 1)]),
        (Some((4, 15)), Some((19, 4)), Some((23, 16)))
    );
    assert_eq!(
        at(&[(Pane::Tasks, 6), (Pane::Messages, 4)]),
        (Some((4, 6)), Some((10, 4)), Some((14, 25)))
    );
    // More than a share: a share; what one does not use, the other may.
    assert_eq!(
        at(&[(Pane::Tasks, 30), (Pane::Messages, 5)]),
        (Some((4, 15)), Some((19, 5)), Some((24, 15)))
    );
    // Every pane content with less: the last takes the rest.
    assert_eq!(
        at(&[(Pane::Tasks, 5), (Pane::Messages, 5), (Pane::Logs, 5)]),
        (Some((4, 5)), Some((9, 5)), Some((14, 25)))
    );
}
