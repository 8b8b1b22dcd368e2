//! Tests of what needs the user: prefix `y` / `N` answer the selected
//! agent's request or the oldest, prefix `u` jumps to the oldest, the
//! `needs you` count, turns ended unseen, prefix `m` and the Messages
//! pane's filter key.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::app::tests::{PREFIX, app, key};
use super::*;
use crate::domain::{MessageState, approval::Approval};

fn waiting_on(a: &mut App, i: usize, since_ms: u64) {
    a.agents[i].status = AgentStatus::Waiting;
    a.agents[i].approval = Some(Approval {
        id: since_ms,
        tool: "Bash".into(),
        what: format!("touch {i}"),
        since_ms,
    });
}

fn approves(fx: &[Effect]) -> Vec<(String, bool)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Approve(n, allow) => Some((n.clone(), *allow)),
            _ => None,
        })
        .collect()
}

#[test]
fn prefix_y_and_n_answer_the_selected_agents_request_else_the_oldest() {
    let mut a = app(&[AgentStatus::Idle; 3]);
    a.on_key(PREFIX);
    assert!(approves(&a.on_key(key('y'))).is_empty());
    assert_eq!(a.toast.as_deref(), Some("no permission request is pending"));
    waiting_on(&mut a, 1, 200);
    waiting_on(&mut a, 2, 100);
    assert_eq!(a.needs_you(), 2);
    // a0 is selected and has none: the oldest (a2's) is answered.
    a.on_key(PREFIX);
    assert_eq!(approves(&a.on_key(key('y'))), [("a2".into(), true)]);
    assert_eq!(a.selected, 0, "the selection stays");
    a.on_key(PREFIX);
    a.on_key(key('1'));
    a.on_key(PREFIX);
    assert_eq!(approves(&a.on_key(key('N'))), [("a1".into(), false)]);
    let p = a.agents[1].approval.clone().expect("pending");
    a.on_approved("a1", false, Ok(p.clone()));
    assert_eq!(a.toast.as_deref(), Some("denied Bash for a1"));
    a.on_approved("a2", true, Ok(p));
    assert_eq!(a.toast.as_deref(), Some("allowed Bash for a2"));
    a.on_approved("a2", true, Err("nothing pending".into()));
    assert_eq!(a.toast.as_deref(), Some("nothing pending"));
}

#[test]
fn prefix_u_jumps_to_the_agent_that_waited_longest() {
    let mut a = app(&[AgentStatus::Idle; 3]);
    a.focus = Pane::Agents;
    a.on_key(PREFIX);
    a.on_key(key('u'));
    assert_eq!(a.toast.as_deref(), Some("no agent is waiting for you"));
    a.agents[1].status = AgentStatus::Waiting;
    a.on_key(PREFIX);
    a.on_key(key('u'));
    assert_eq!(
        (a.selected, a.focus),
        (1, Pane::Terminal),
        "waiting, no request"
    );
    waiting_on(&mut a, 2, 100);
    a.on_key(PREFIX);
    a.on_key(key('u'));
    assert_eq!(a.selected, 2, "a pending request first");
}

#[test]
fn a_turn_that_ends_off_screen_is_unseen_until_its_pane_is_shown() {
    use AgentStatus::{Busy, Idle};
    let mut a = app(&[Idle, Idle]);
    a.on_agent_status("a0", Busy, Idle, "");
    a.on_agent_status("a1", Busy, Idle, "");
    assert!(!a.attention.is_unseen("a0"), "a0's pane is shown");
    assert!(a.attention.is_unseen("a1"));
    assert_eq!(a.attention.take_alerts().len(), 1);
    // Zoomed on another pane, the selected agent's pane is not shown.
    a.layout.terminal = None;
    a.on_agent_status("a0", Busy, Idle, "");
    a.see();
    assert!(a.attention.is_unseen("a0"));
    a.layout = crate::tui::layout::Layout::compute(
        ratatui::layout::Rect::new(0, 0, 120, 40),
        2,
        a.focus,
        false,
    );
    a.see();
    assert!(!a.attention.is_unseen("a0"), "shown again: seen");
    a.on_key(PREFIX);
    a.on_key(key('1'));
    assert!(a.attention.is_unseen("a1"), "selected, not yet drawn");
    a.see();
    assert!(!a.attention.is_unseen("a1"));
}

#[test]
fn prefix_m_sends_a_message_to_the_selected_agent() {
    let mut a = app(&[AgentStatus::Idle, AgentStatus::Idle]);
    a.on_key(PREFIX);
    a.on_key(key('1'));
    a.on_key(PREFIX);
    a.on_key(key('m'));
    assert!(matches!(&a.overlay, Overlay::Message(d) if d.to == "a1"));
    a.on_key(key('h'));
    a.on_paste("i");
    let fx = a.on_key(KeyEvent::from(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::SendMessage(to, t)] if to == "a1" && t == "hi"),
        "{fx:?}"
    );
    a.on_message_sent(Err("rate limited".into()));
    assert!(
        matches!(&a.overlay, Overlay::Message(d) if d.error.as_deref() == Some("rate limited"))
    );
    assert_eq!(a.toast.as_deref(), Some("rate limited"));
    let m = crate::domain::Message {
        id: 7,
        from: "user".into(),
        to: "a1".into(),
        text: "hi".into(),
        ..Default::default()
    };
    a.on_message_sent(Ok(m));
    assert!(matches!(a.overlay, Overlay::None));
    assert_eq!(a.toast.as_deref(), Some("message 7 to a1 queued"));
    assert_eq!(a.messages.shown()[0].state, MessageState::Queued);
}

#[test]
fn f_in_the_messages_pane_filters_to_the_selected_agent() {
    let mut a = app(&[AgentStatus::Idle, AgentStatus::Idle]);
    for (id, to) in [(1, "a0"), (2, "a1")] {
        a.messages.upsert(crate::domain::Message {
            id,
            from: "user".into(),
            to: to.into(),
            ..Default::default()
        });
    }
    // In the Terminal pane the key is the agent's.
    assert!(!a.on_key(key('f')).is_empty());
    a.focus = Pane::Messages;
    a.on_key(key('f'));
    assert_eq!(a.messages.filter.as_deref(), Some("a0"));
    assert_eq!(a.messages.shown().len(), 1);
    a.on_key(KeyEvent::from(KeyCode::Up));
    assert_eq!(a.messages.scroll, 0, "one message: nothing older");
    a.on_key(key('f'));
    assert_eq!(a.messages.filter, None);
    a.on_key(KeyEvent::from(KeyCode::Up));
    assert_eq!(a.messages.scroll, 1);
}
