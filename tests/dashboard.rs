//! Dashboard panes at several sizes, checked on the drawn text (and insta
//! snapshots in tests/snapshots/): the Agents pane's columns as the width
//! shrinks, the help overlay at 80×24, the Logs pane's interleaving and
//! wrapping, the zoom mark, the Messages pane (delegations, results,
//! refusals, the filter, the empty state), `done · unseen`, `needs you`
//! and a pending request in the Agents pane and the Terminal's title.

use std::time::{Duration, SystemTime};

use nox::domain::AgentStatus;
use nox::domain::approval::Approval;
use nox::tui::app::Overlay;
use nox::tui::layout::Pane;
use nox::tui::text::width;

use crate::snapshots::{draw, draw_with};

/// The rows of the Agents pane (the left column's top rows) in `screen`.
fn agent_rows(screen: &str, n: usize) -> Vec<String> {
    screen
        .lines()
        .skip(1)
        .take(n)
        .map(|l| l.split('│').nth(1).unwrap_or_default().to_string())
        .collect()
}

#[test]
fn agents_pane_at_80x24_keeps_every_status_whole_beside_a_long_name() {
    let s = draw(80, 24, |app| {
        app.agents[3].spec.name = "flaky-integration-test-runner-agent".into();
    });
    let rows = agent_rows(&s, 4);
    for (row, status) in rows.iter().zip(["busy", "idle", "crashed", "restarting"]) {
        assert!(
            row.contains(&format!(" {status}")),
            "{row:?} lacks {status}\n{s}"
        );
    }
    assert!(
        rows[3].contains(" flaky-… restarting"),
        "the name is cut, not the status\n{s}"
    );
    insta::assert_snapshot!(s);
}

#[test]
fn agents_pane_on_a_wide_screen_shows_every_column() {
    let s = draw(250, 30, |app| {
        let started = SystemTime::now() - Duration::from_secs(150);
        for a in &mut app.agents {
            a.started_at = Some(started);
        }
    });
    let rows = agent_rows(&s, 4);
    assert!(
        rows[0].contains("backend claude  busy       #2 Write the migrations"),
        "{s}"
    );
    // Uptime for live agents; restarts for the one that restarted.
    assert!(rows[0].ends_with("  2m"), "{s}");
    assert!(
        rows[2].trim_end().ends_with(" crashed"),
        "no uptime when not live\n{s}"
    );
    assert!(rows[3].ends_with(" ↻2   "), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn zoom_is_marked_in_the_focused_panes_title() {
    for pane in [
        Pane::Agents,
        Pane::Terminal,
        Pane::Tasks,
        Pane::Messages,
        Pane::Logs,
    ] {
        let zoomed = draw(100, 30, |app| {
            app.focus = pane;
            app.zoom = true;
        });
        let title = zoomed.lines().next().unwrap_or_default();
        assert!(title.contains("[zoomed]"), "{pane:?}: {title}");
        let not = draw(100, 30, |app| app.focus = pane);
        assert!(!not.contains("[zoomed]"), "{pane:?}:\n{not}");
    }
}

#[test]
fn help_overlay_at_80x24_is_whole_in_width_and_scrolls_to_its_end() {
    let top = draw(80, 24, |app| app.overlay = Overlay::Help(0));
    let lines: Vec<&str> = top.lines().collect();
    assert!(
        lines[0].starts_with("\"┏ Help") && lines[0].ends_with("┓\""),
        "{top}"
    );
    assert!(
        lines[23].starts_with("\"┗") && lines[23].contains(" rows 1–22 of "),
        "{top}"
    );
    // Scrolled past the end, it stops at the last binding.
    let end = draw(80, 24, |app| app.overlay = Overlay::Help(500));
    assert!(end.contains("Leave scrollback mode"), "{end}");
    assert!(
        end.lines().nth(22).is_some_and(|l| l.contains("scroll_up")),
        "{end}"
    );
}

/// The text of the pane titled `title`: its rows trimmed, joined by spaces.
fn pane_text(screen: &str, title: &str) -> String {
    pane_rows(screen, title)
        .iter()
        .map(|r| r.trim_end())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rows inside the left-column pane titled `title` in `screen`.
fn pane_rows(screen: &str, title: &str) -> Vec<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains(title))
        .skip(1)
        .take_while(|l| !l.starts_with("\"└") && !l.starts_with("\"┗"))
        .map(|l| l.split(['│', '┃']).nth(1).unwrap_or_default().to_string())
        .collect()
}

#[test]
fn logs_pane_interleaves_the_event_log_with_noxs_own_by_time() {
    let s = draw(120, 60, |_| {});
    let text = pane_text(&s, "┌ Logs [info]");
    let order = [
        "hh:mm:ss nox 0.1.0 in /w",
        "hh:mm:ss » agent backend added (claude)",
        "hh:mm:ss » ghost crashed: cannot start",
        "hh:mm:ss » task 2 assigned → running: the agent took",
        "hh:mm:ss flaky restarting: crashed",
    ];
    let at: Vec<Option<usize>> = order.iter().map(|o| text.find(o)).collect();
    assert!(at.iter().all(Option::is_some), "{at:?}\n{s}");
    assert!(at.is_sorted(), "out of order: {at:?}\n{s}");
    // nox's line that repeats the crash is left to the event; the hook
    // (debug) shows only at debug.
    assert!(!text.contains("agent=ghost"), "{s}");
    assert!(!text.contains("hook Stop"), "{s}");
    let debug = draw(120, 60, |app| app.log_level = tracing::Level::DEBUG);
    assert!(
        pane_text(&debug, "┌ Logs [debug]").contains("» backend hook Stop"),
        "{debug}"
    );
    let errors = draw(120, 60, |app| app.log_level = tracing::Level::ERROR);
    let errors = pane_text(&errors, "┌ Logs [error]");
    assert!(
        errors.contains("» ghost crashed") && !errors.contains("added"),
        "{errors}"
    );
}

#[test]
fn logs_pane_wraps_at_words_by_display_width() {
    let line =
        "全角 文字は 二列を 使います and words wrap whole: supercalifragilisticexpialidocious";
    let s = draw_with(80, 24, &[(tracing::Level::WARN, line)], |_| {});
    let rows = pane_rows(&s, "┌ Logs [info]");
    let first = rows
        .iter()
        .position(|r| r.starts_with("hh:mm:ss 全角"))
        .unwrap_or_else(|| panic!("{s}"));
    let ours: Vec<&str> = rows[first..].iter().map(|r| r.trim_end()).collect();
    let words: Vec<&str> = line.split(' ').collect();
    for (row, next) in ours.iter().zip(&ours[1..]) {
        assert!(width(row) <= 22, "{row:?}\n{s}");
        // A row ends where the next whole word would not fit.
        let head = next.split(' ').next().unwrap_or_default();
        if words.contains(&head) {
            assert!(
                width(row) + 1 + width(head) > 22,
                "{row:?} had room for {head:?}\n{s}"
            );
        }
    }
    // Every word is there: whole, or (the one longer than a row) in pieces.
    let joined = ours.join(" ");
    for w in &words[..words.len() - 1] {
        assert!(joined.contains(w), "{w:?} was split\n{s}");
    }
    assert!(
        ours.concat().contains("supercalifragilisticexpialidocious"),
        "{s}"
    );
    insta::assert_snapshot!(s);
}

#[test]
fn messages_pane_shows_messages_delegations_results_and_refusals() {
    let s = draw(120, 60, |_| {});
    let text = pane_text(&s, "┌ Messages (4)");
    let order = [
        "hh:mm:ss user → backend: Please also add an index on users.email · delivered",
        "hh:mm:ss ⇢ backend → shell delegated task 4: Update the README · delivered",
        "hh:mm:ss shell → backend: ping · refused: rate limited: shell sent backend 6",
        "hh:mm:ss ⇠ shell → backend result of task 4: \"Update the README\" is done",
    ];
    let at: Vec<Option<usize>> = order.iter().map(|o| text.find(o)).collect();
    assert!(at.iter().all(Option::is_some), "{at:?}\n{s}");
    assert!(at.is_sorted(), "newest last: {at:?}\n{s}");
    assert!(
        text.trim_end().ends_with("README updated. · queued"),
        "{text}\n{s}"
    );
    for row in pane_rows(&s, "┌ Messages (4)") {
        assert!(width(&row) <= 34, "{row:?}\n{s}");
    }
    insta::assert_snapshot!(s);
}

#[test]
fn messages_pane_filters_to_one_agent_and_says_how_to_send_one() {
    let s = draw(120, 60, |app| {
        app.focus = Pane::Messages;
        app.selected = 1;
        app.messages.toggle_filter(Some("shell"));
    });
    let text = pane_text(&s, "┏ Messages (3) · only shell");
    assert!(!text.contains("users.email"), "{s}");
    assert!(text.contains("delegated task 4"), "{s}");
    let none = draw(120, 60, |app| app.messages.load(Vec::new()));
    assert!(
        pane_text(&none, "┌ Messages (0)")
            .contains("No messages. C-b m sends one to the selected agent."),
        "{none}"
    );
}

#[test]
fn an_unseen_turn_and_a_pending_request_show_in_the_agents_pane() {
    let pending = Approval {
        id: 1,
        tool: "Bash".into(),
        what: "touch approved.txt".into(),
        since_ms: 1,
    };
    let setup = |app: &mut nox::tui::app::App| {
        app.attention
            .on_status("shell", AgentStatus::Busy, AgentStatus::Idle, "", false);
        app.agents[3].status = AgentStatus::Waiting;
        app.agents[3].approval = Some(pending.clone());
    };
    let s = draw(250, 30, setup);
    let rows = agent_rows(&s, 4);
    assert!(rows[1].contains("✓ shell   generic done · unseen"), "{s}");
    assert!(
        rows[3].contains(" waiting       Bash: touch approved.txt"),
        "{s}"
    );
    // Narrower, as much of the request as the column takes.
    let mid = draw(160, 48, setup);
    assert!(
        agent_rows(&mid, 4)[3].contains(" waiting       Bash: to…"),
        "{mid}"
    );
    let status = s.lines().last().unwrap_or_default();
    assert!(status.contains(" needs you: 1 "), "{status}");
    // At 80×24 the status stays whole; the request shows as its tool.
    let small = draw(80, 24, setup);
    let rows = agent_rows(&small, 4);
    assert!(rows[1].contains(" done · unseen"), "{small}");
    assert!(
        small
            .lines()
            .last()
            .is_some_and(|l| l.contains("needs you: 1")),
        "{small}"
    );
    // The Terminal's title names the request of the agent it shows.
    let shown = draw(160, 48, |app| {
        setup(app);
        app.selected = 3;
    });
    let title = shown.lines().next().unwrap_or_default();
    assert!(
        title.contains("flaky · waiting · Bash: touch approved.txt "),
        "{title}"
    );
    insta::assert_snapshot!(s);
}
