//! Pane snapshots: the dashboard drawn on ratatui's `TestBackend` at 80×24,
//! 160×48 and other sizes, compared with insta snapshots in
//! tests/snapshots/; [`draw`] (sample agents, tasks, log lines, events and
//! messages) is shared with the dashboard tests.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nox::config::keymap::Keymap;
use nox::config::theme::Theme;
use nox::domain::hook::HookEvent;
use nox::domain::{
    AgentKind, AgentSpec, AgentStatus, Event, EventBody, Message, MessageKind, MessageState, Task,
    TaskStatus, TaskSummary,
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

/// The dashboard at `w`×`h`: four agents, four tasks, three of nox's log
/// lines and four events; `setup` changes the state before drawing.
pub fn draw(w: u16, h: u16, setup: impl FnOnce(&mut App)) -> String {
    draw_with(w, h, &[], setup)
}

/// The time the sample log lines and events start at (10:30:00 UTC).
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(10 * 3600 + 30 * 60)
}

fn ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The sample events: an agent added, a crash (which nox's log repeats),
/// a task taken, and a hook (debug).
fn events(backend_task: TaskSummary) -> Vec<Event> {
    let at = |s: f64| ms(t0() + Duration::from_secs_f64(s));
    vec![
        Event {
            id: 1,
            ts_ms: at(0.5),
            body: EventBody::AgentAdded {
                agent: "backend".into(),
                agent_kind: AgentKind::Claude,
            },
        },
        Event {
            id: 2,
            ts_ms: at(1.0),
            body: EventBody::AgentStatus {
                agent: "ghost".into(),
                from: AgentStatus::Starting,
                to: AgentStatus::Crashed,
                detail: "cannot start \"nope\": No such file or directory (os error 2)".into(),
            },
        },
        Event {
            id: 3,
            ts_ms: at(1.5),
            body: EventBody::TaskUpdated {
                task: backend_task,
                from: TaskStatus::Assigned,
                cause: "the agent took the prompt".into(),
                result: None,
            },
        },
        Event {
            id: 4,
            ts_ms: at(1.6),
            body: EventBody::Hook {
                agent: "backend".into(),
                event: HookEvent::Stop {
                    last_message: "done".into(),
                    active: false,
                },
            },
        },
    ]
}

/// The sample messages: one from the user (delivered), a delegation, a
/// message refused by the rate limit, and the delegated task's result
/// (queued).
pub fn messages() -> Vec<Message> {
    let at = |s: u64| ms(t0() + Duration::from_secs(s));
    let m = |id, from: &str, to: &str, kind, text: &str, state, reason: Option<&str>| Message {
        id,
        from: from.into(),
        to: to.into(),
        text: text.into(),
        kind,
        state,
        reason: reason.map(str::to_string),
        task: (kind != MessageKind::Message).then_some(4),
        created_ms: at(id),
        delivered_ms: None,
    };
    vec![
        m(
            1,
            "user",
            "backend",
            MessageKind::Message,
            "Please also add an index on users.email",
            MessageState::Delivered,
            Some("stop hook"),
        ),
        m(
            2,
            "backend",
            "shell",
            MessageKind::Delegation,
            "task 4: Update the README",
            MessageState::Delivered,
            Some("sent as task 4"),
        ),
        m(
            3,
            "shell",
            "backend",
            MessageKind::Message,
            "ping",
            MessageState::Refused,
            Some("rate limited: shell sent backend 6 messages in the last 60s (at most 6)"),
        ),
        m(
            4,
            "shell",
            "backend",
            MessageKind::Result,
            "Task 4 \"Update the README\" is done (worked on by shell).\nREADME updated.",
            MessageState::Queued,
            None,
        ),
    ]
}

/// [`draw`], with `extra` lines in nox's log after the sample ones.
pub fn draw_with(
    w: u16,
    h: u16,
    extra: &[(tracing::Level, &str)],
    setup: impl FnOnce(&mut App),
) -> String {
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
    let running = app.tasks.iter().find(|t| t.id == 2).cloned();
    for ev in events(running.expect("task 2")) {
        app.events.push(ev);
    }
    for m in messages() {
        app.messages.upsert(m);
    }
    setup(&mut app);
    app.screen = screens.get(app.selected).cloned();
    app.layout = Layout::compute(area, app.agents.len(), app.focus, app.zoom);
    let theme = Theme::load("default", None, false).expect("theme");
    let ring = LogRing::new(Arc::new(Notify::new()));
    for (i, (level, text)) in [
        (tracing::Level::INFO, "nox 0.1.0 in /w"),
        (
            tracing::Level::ERROR,
            "ghost crashed: cannot start \"nope\": No such file or directory (os error 2) agent=ghost",
        ),
        (
            tracing::Level::INFO,
            "flaky restarting: crashed (exit code 1); restarting in 1.0s agent=flaky",
        ),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .enumerate()
    {
        ring.push(LogLine {
            time: t0() + Duration::from_secs(i as u64),
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
    // Times show in the machine's time zone: keep snapshots stable.
    let dated = regex::Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").expect("regex");
    // A clock time, whole or cut by an overlay: as long as it was.
    let clock = regex::Regex::new(r"\b\d\d:(\d\d(:\d\d?)?|\d)?").expect("regex");
    let screen = terminal.backend().to_string();
    let screen = dated.replace_all(&screen, "YYYY-MM-DD hh:mm:ss");
    clock
        .replace_all(&screen, |c: &regex::Captures<'_>| {
            "hh:mm:ss"[..c[0].len()].to_string()
        })
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

#[test]
fn help_overlay_80x24_160x48_and_250x40() {
    insta::assert_snapshot!(draw(80, 24, |app| app.overlay = Overlay::Help(0)));
    insta::assert_snapshot!(draw(160, 48, |app| app.overlay = Overlay::Help(0)));
    insta::assert_snapshot!(draw(250, 40, |app| app.overlay = Overlay::Help(0)));
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
