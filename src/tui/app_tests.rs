//! Pure state-update tests of the dashboard: keys in, state and effects out.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::*;
use crate::domain::{AgentKind, AgentSpec};
use crate::runtime::pty::Term;

pub(crate) fn view(name: &str, status: AgentStatus) -> AgentInfo {
    let mut a = AgentInfo::new(AgentSpec::new(name, AgentKind::Generic, "sh", "/"));
    a.status = status;
    a
}

/// A terminal that has printed `bytes` (what the runtime would hold).
fn term(bytes: &[u8]) -> Term {
    let t = Term::new(20, 60, 100, Arc::new(tokio::sync::Notify::new()));
    t.ingest_for_test(bytes);
    t
}

pub(crate) fn app(statuses: &[AgentStatus]) -> App {
    let agents = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| view(&format!("a{i}"), *s))
        .collect();
    let mut app = App::new(
        "ws".into(),
        Keymap::load("default", None).expect("keymap"),
        agents,
    );
    app.layout = Layout::compute(Rect::new(0, 0, 120, 40), 3, app.focus, false);
    app
}

pub(crate) fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}
pub(crate) const PREFIX: KeyEvent = KeyEvent::new(KeyCode::Char('b'), KeyModifiers::CONTROL);

fn written(fx: &[Effect]) -> Vec<u8> {
    fx.iter()
        .filter_map(|e| {
            if let Effect::Input(_, b) = e {
                Some(b.clone())
            } else {
                None
            }
        })
        .flatten()
        .collect()
}

#[test]
fn starts_on_the_first_agents_terminal_and_types_into_it() {
    let mut a = app(&[AgentStatus::Idle, AgentStatus::Idle]);
    assert_eq!((a.selected, a.focus), (0, Pane::Terminal));
    assert_eq!(written(&a.on_key(key('x'))), b"x");
    assert_eq!(written(&a.on_key(KeyEvent::from(KeyCode::Enter))), b"\r");
}

#[test]
fn prefix_then_command_and_prefix_twice_sends_it() {
    let mut a = app(&[AgentStatus::Idle, AgentStatus::Idle, AgentStatus::Idle]);
    assert!(a.on_key(PREFIX).is_empty());
    assert!(a.prefix_armed);
    a.on_key(key('n'));
    assert_eq!((a.selected, a.prefix_armed), (1, false));
    a.on_key(PREFIX);
    a.on_key(key('p'));
    a.on_key(PREFIX);
    a.on_key(key('p'));
    assert_eq!(a.selected, 2, "prev wraps around");
    a.on_key(PREFIX);
    a.on_key(key('1'));
    assert_eq!(a.selected, 1);
    a.on_key(PREFIX);
    assert_eq!(written(&a.on_key(PREFIX)), [2]);
    a.on_key(PREFIX);
    assert!(a.on_key(key('9')).is_empty(), "no agent 9: nothing happens");
    assert_eq!(a.selected, 1);
}

#[test]
fn focus_moves_and_enter_in_agents_focuses_the_terminal() {
    let mut a = app(&[AgentStatus::Idle, AgentStatus::Idle]);
    a.on_key(PREFIX);
    a.on_key(KeyEvent::from(KeyCode::Left));
    assert_eq!(a.focus, Pane::Agents);
    a.on_key(KeyEvent::from(KeyCode::Down));
    assert_eq!(a.selected, 1);
    a.on_key(PREFIX);
    a.on_key(KeyEvent::from(KeyCode::Down));
    assert_eq!(a.focus, Pane::Tasks);
    a.on_key(PREFIX);
    a.on_key(KeyEvent::from(KeyCode::Down));
    assert_eq!(a.focus, Pane::Messages);
    a.on_key(PREFIX);
    a.on_key(KeyEvent::from(KeyCode::Down));
    assert_eq!(a.focus, Pane::Logs);
    a.on_key(key('l'));
    assert_eq!(a.log_level, Level::DEBUG);
    for _ in 0..3 {
        a.on_key(PREFIX);
        a.on_key(KeyEvent::from(KeyCode::Up));
    }
    a.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!((a.focus, a.selected), (Pane::Terminal, 1));
}

#[test]
fn stop_and_quit_confirm() {
    let mut a = app(&[AgentStatus::Busy]);
    a.on_key(PREFIX);
    a.on_key(key('x'));
    assert!(matches!(a.overlay, Overlay::Confirm(Confirm::Stop(_))));
    let fx = a.on_key(key('y'));
    assert!(matches!(fx.as_slice(), [Effect::Stop(n)] if n == "a0"));
    a.on_key(PREFIX);
    a.on_key(key('d'));
    assert!(
        matches!(a.overlay, Overlay::Confirm(Confirm::Quit)),
        "busy agent: confirm"
    );
    a.on_key(key('n'));
    assert!(!a.quit);
    a.agents[0].status = AgentStatus::Idle;
    a.on_key(PREFIX);
    a.on_key(key('d'));
    assert!(a.quit, "nothing busy: quit at once");
}

#[test]
fn restart_start_zoom_help_and_picker() {
    let mut a = app(&[AgentStatus::Idle, AgentStatus::Crashed]);
    a.on_key(PREFIX);
    assert!(matches!(a.on_key(key('r')).as_slice(), [Effect::Restart(n)] if n == "a0"));
    a.on_key(PREFIX);
    assert!(matches!(a.on_key(key('z')).as_slice(), [Effect::Relayout]));
    assert!(a.zoom);
    a.on_key(PREFIX);
    a.on_key(key('?'));
    assert!(matches!(a.overlay, Overlay::Help(0)));
    a.on_key(key('q'));
    a.on_key(PREFIX);
    a.on_key(key('w'));
    a.on_key(key('1'));
    a.on_key(KeyEvent::from(KeyCode::Enter));
    assert_eq!(a.selected, 1);
    a.on_key(PREFIX);
    assert!(matches!(a.on_key(key('s')).as_slice(), [Effect::Start(n)] if n == "a1"));
}

#[test]
fn terminal_modes_shape_what_is_sent() {
    let mut a = app(&[AgentStatus::Idle]);
    let t = term(b"\x1b[?1h\x1b[?2004h\x1b[?1004h\x1b[?1000h\x1b[?1006h");
    a.modes.insert("a0".into(), t.modes());
    assert_eq!(written(&a.on_key(KeyEvent::from(KeyCode::Up))), b"\x1bOA");
    assert_eq!(written(&a.on_paste("hi\n")), b"\x1b[200~hi\r\x1b[201~");
    assert_eq!(written(&a.on_outer_focus(false)), b"\x1b[O");
    let r = a.layout.terminal.expect("terminal");
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: r.x + 3,
        row: r.y + 2,
        modifiers: KeyModifiers::NONE,
    };
    assert_eq!(written(&a.on_mouse(wheel)), b"\x1b[<65;3;2M");
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 2,
        row: 1,
        modifiers: KeyModifiers::NONE,
    };
    a.on_mouse(click);
    assert_eq!(a.focus, Pane::Agents, "a click focuses the Agents pane");
}

#[test]
fn wheel_without_mouse_mode_scrolls_nox_scrollback() {
    let mut a = app(&[AgentStatus::Idle]);
    let text: String = (0..100).map(|i| format!("l{i}\r\n")).collect();
    a.screen = Some(term(text.as_bytes()).snapshot(0));
    let r = a.layout.terminal.expect("terminal");
    let up = MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: r.x + 3,
        row: r.y + 2,
        modifiers: KeyModifiers::NONE,
    };
    assert!(a.on_mouse(up).is_empty());
    assert_eq!(a.scroll.as_ref().map(|s| s.offset), Some(3));
    let down = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..up
    };
    a.on_mouse(down);
    assert!(
        a.scroll.is_none(),
        "back at the bottom: scrollback mode ends"
    );
}

fn task(id: u64, status: crate::domain::TaskStatus) -> TaskSummary {
    let mut t = Task::new(id, &format!("task {id}"), "body", vec![], true);
    t.status = status;
    TaskSummary::from(&t)
}

#[test]
fn tasks_pane_selects_opens_and_assigns() {
    use crate::domain::TaskStatus;
    let mut a = app(&[AgentStatus::Idle, AgentStatus::Idle]);
    a.on_task(task(1, TaskStatus::Done));
    a.on_task(task(2, TaskStatus::Queued));
    a.on_task(task(3, TaskStatus::Running));
    assert_eq!(
        a.tasks.iter().map(|t| t.id).collect::<Vec<_>>(),
        [3, 2, 1],
        "board order"
    );
    a.focus = Pane::Tasks;
    a.task_sel = 0;
    a.on_key(KeyEvent::from(KeyCode::Down));
    assert_eq!(a.current_task().map(|t| t.id), Some(2));
    assert!(matches!(
        a.on_key(KeyEvent::from(KeyCode::Enter)).as_slice(),
        [Effect::OpenTask(2)]
    ));
    a.on_key(PREFIX);
    let fx = a.on_key(key('a'));
    assert!(
        matches!(fx.as_slice(), [Effect::AssignTask(2, Some(n))] if n == "a0"),
        "{fx:?}"
    );
    let mut assigned = task(2, TaskStatus::Queued);
    assigned.assignee = Some("a0".into());
    a.on_task(assigned);
    a.on_key(PREFIX);
    assert!(
        matches!(a.on_key(key('a')).as_slice(), [Effect::AssignTask(2, None)]),
        "again: back to routing"
    );
    a.on_key(KeyEvent::from(KeyCode::Up));
    a.on_key(PREFIX);
    assert!(
        a.on_key(key('a')).is_empty(),
        "a running task cannot be reassigned"
    );
    assert!(a.toast.as_deref().is_some_and(|t| t.contains("running")));
    a.on_key(PREFIX);
    a.on_key(key('t'));
    assert!(matches!(a.overlay, Overlay::NewTask(_)));
}
