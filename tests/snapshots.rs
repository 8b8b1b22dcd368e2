//! Pane snapshots: the dashboard drawn on ratatui's `TestBackend` at 80×24 and
//! 160×48, compared with insta snapshots in tests/snapshots/.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nox::config::keymap::Keymap;
use nox::config::theme::Theme;
use nox::domain::{
    AgentKind, AgentSpec, AgentStatus, Event, EventBody, Task, TaskStatus, TaskSummary,
};
use nox::logging::{LogLine, LogRing};
use nox::runtime::pty::Term;
use nox::runtime::{AgentInfo, ScreenSnapshot};
use nox::tui::app::{App, Overlay};
use nox::tui::layout::{Layout, Pane};
use nox::tui::panes::{self, Ctx};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tokio::sync::Notify;

fn spec(name: &str, kind: AgentKind) -> AgentSpec {
    AgentSpec::new(name, kind, "bash", "/w")
}

fn view(
    name: &str,
    kind: AgentKind,
    status: AgentStatus,
    detail: &str,
    screen: &str,
    size: (u16, u16),
) -> (AgentInfo, ScreenSnapshot) {
    let term = Arc::new(Term::new(size.0, size.1, 100, Arc::new(Notify::new())));
    term.ingest_for_test(screen.as_bytes());
    let mut a = AgentInfo::new(spec(name, kind));
    a.status = status;
    a.detail = detail.into();
    a.restarts = u32::from(status == AgentStatus::Restarting) * 2;
    (a, term.snapshot(0))
}

fn draw(w: u16, h: u16, setup: impl FnOnce(&mut App)) -> String {
    let area = Rect::new(0, 0, w, h);
    let size = Layout::compute(area, 4, Pane::Terminal, false).terminal_size();
    let agents = vec![
        view(
            "backend",
            AgentKind::Claude,
            AgentStatus::Busy,
            "",
            "\x1b[1;32m✓\x1b[0m compiled \x1b[2mnox\x1b[0m 日本語\r\n$ cargo test\r\n",
            size,
        ),
        view(
            "shell",
            AgentKind::Generic,
            AgentStatus::Idle,
            "",
            "$ ",
            size,
        ),
        view(
            "ghost",
            AgentKind::Generic,
            AgentStatus::Crashed,
            "cannot start \"nope\": No such file or directory (os error 2)",
            "",
            size,
        ),
        view(
            "flaky",
            AgentKind::Generic,
            AgentStatus::Restarting,
            "crashed (exit code 1); restarting in 1.0s",
            "boom\r\n",
            size,
        ),
    ];
    let (mut agents, screens): (Vec<_>, Vec<_>) = agents.into_iter().unzip();
    agents[0].task = Some(2);
    let mut app = App::new(
        "demo".into(),
        Keymap::load("default", None).expect("keymap"),
        agents,
    );
    for (id, status, title, assignee, after) in [
        (
            1,
            TaskStatus::Done,
            "Design the schema",
            Some("backend"),
            vec![],
        ),
        (
            2,
            TaskStatus::Running,
            "Write the migrations",
            Some("backend"),
            vec![1],
        ),
        (3, TaskStatus::Blocked, "Wire the API", None, vec![2]),
        (4, TaskStatus::Queued, "Update the README", None, vec![]),
    ] {
        let mut t = Task::new(id, title, title, after, true);
        t.status = status;
        t.assignee = assignee.map(str::to_string);
        app.on_task(TaskSummary::from(&t));
    }
    app.task_sel = 0;
    setup(&mut app);
    app.screen = screens.get(app.selected).cloned();
    app.layout = Layout::compute(area, app.agents.len(), app.focus, app.zoom);
    let theme = Theme::load("default", None, false).expect("theme");
    let ring = LogRing::new(Arc::new(Notify::new()));
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(10 * 3600 + 30 * 60);
    for (i, (level, text)) in [
        (tracing::Level::INFO, "nox 0.1.0 in /w"),
        (
            tracing::Level::ERROR,
            "ghost crashed: cannot start \"nope\": No such file or directory (os error 2)",
        ),
        (
            tracing::Level::INFO,
            "flaky restarting: crashed (exit code 1); restarting in 1.0s",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        ring.push(LogLine {
            time: t0 + Duration::from_secs(i as u64),
            level,
            text: text.into(),
        });
    }
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| {
            panes::draw(
                f,
                &app,
                &Ctx {
                    theme: &theme,
                    logs: &ring,
                    tick: 3,
                },
            );
        })
        .expect("draw");
    // Event times show in the machine's time zone: keep snapshots stable.
    let times = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").expect("regex");
    times
        .replace_all(&terminal.backend().to_string(), "YYYY-MM-DD hh:mm:ss")
        .into_owned()
}

#[test]
fn dashboard_80x24() {
    insta::assert_snapshot!(draw(80, 24, |_| {}));
}

#[test]
fn dashboard_160x48() {
    insta::assert_snapshot!(draw(160, 48, |_| {}));
}

#[test]
fn crashed_agent_shows_its_os_error() {
    insta::assert_snapshot!(draw(120, 30, |app| app.selected = 2));
}

#[test]
fn agents_pane_focused_and_logs_zoomed() {
    insta::assert_snapshot!(draw(80, 24, |app| {
        app.focus = Pane::Agents;
        app.selected = 1;
    }));
    insta::assert_snapshot!(draw(80, 24, |app| {
        app.focus = Pane::Logs;
        app.zoom = true;
    }));
}

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
    for pane in [Pane::Agents, Pane::Terminal, Pane::Tasks, Pane::Logs] {
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
fn help_overlay_80x24_and_160x48() {
    insta::assert_snapshot!(draw(80, 24, |app| app.overlay = Overlay::Help(0)));
    insta::assert_snapshot!(draw(160, 48, |app| app.overlay = Overlay::Help(0)));
    insta::assert_snapshot!(draw(250, 40, |app| app.overlay = Overlay::Help(0)));
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

#[test]
fn new_agent_dialog_and_picker() {
    insta::assert_snapshot!(draw(80, 24, |app| app.overlay =
        Overlay::NewAgent(Box::default())));
    insta::assert_snapshot!(draw(80, 24, |app| app.overlay = Overlay::Picker("a".into(), 0)));
}

#[test]
fn tasks_pane_new_task_dialog_and_task_detail() {
    insta::assert_snapshot!(draw(120, 40, |app| {
        app.focus = Pane::Tasks;
        app.task_sel = 1;
    }));
    insta::assert_snapshot!(draw(100, 36, |app| app.overlay =
        Overlay::NewTask(Box::default())));
    insta::assert_snapshot!(draw(100, 30, |app| {
        let s = app.tasks[0].clone();
        let mut task = Task::new(s.id, &s.title, &s.title, s.after.clone(), true);
        task.status = s.status;
        task.assignee = s.assignee.clone();
        task.result = Some("Migrations written:\n- 0001_init.sql".into());
        let ev = Event {
            id: 1,
            ts_ms: 36_000_000,
            body: EventBody::TaskUpdated {
                task: s,
                from: TaskStatus::Assigned,
                cause: "the agent took the prompt".into(),
                result: None,
            },
        };
        app.overlay = Overlay::TaskDetail(Box::new(nox::tui::app::TaskDetail {
            task,
            events: vec![ev],
            scroll: 0,
        }));
    }));
}

#[test]
fn prefix_armed_status_line() {
    let s = draw(80, 24, |app| app.prefix_armed = true);
    assert!(s.lines().last().is_some_and(|l| l.contains("C-b …")), "{s}");
}
