//! The loop's hands: the app's [`Effect`]s carried out on the runtime
//! handle (their results handed back to the app), and committed events
//! applied to the app's state — tasks, messages, agents and what needs the
//! user — with a full re-read after the loop lagged behind the broadcast.

use super::app::{App, Effect, Overlay, TaskDetail};
use super::run::relayout;
use super::terminal::Tui;
use super::{event_log, messages};
use crate::domain::message::USER;
use crate::domain::{Event, EventBody, MessageKind, NewMessage, TaskSummary};
use crate::runtime::RuntimeHandle;

/// Carries out `effects` in order.
pub(crate) async fn apply(effects: Vec<Effect>, tui: &Tui, app: &mut App, handle: &RuntimeHandle) {
    for e in effects {
        match e {
            Effect::Input(name, bytes) => {
                handle.input(&name, &bytes);
            }
            Effect::Find(name, req) => {
                let found = handle.find(&name, &req.query, req.offset, req.older, req.new);
                app.on_found(found);
            }
            Effect::Start(n) => report(app, handle.start_agent(&n)),
            Effect::Stop(n) => report(app, handle.stop_agent(&n)),
            Effect::Restart(n) => report(app, handle.restart_agent(&n)),
            Effect::Relayout => relayout(tui, app, handle),
            Effect::AddTask(new) => {
                let r = handle.add_task(new).await.map(|(t, _)| t);
                app.on_task_added(r.map_err(|e| e.to_string()));
            }
            Effect::AssignTask(id, agent) => match handle.assign_task(id, agent).await {
                Ok(t) => {
                    app.toast = Some(match &t.assignee {
                        Some(a) => format!("task {} assigned to {a}", t.id),
                        None => format!("task {} left to routing", t.id),
                    });
                    app.on_task(TaskSummary::from(&t));
                }
                Err(e) => app.toast = Some(e.to_string()),
            },
            Effect::OpenTask(id) => match handle.task(id).await {
                Ok((task, events)) => {
                    app.overlay = Overlay::TaskDetail(Box::new(TaskDetail {
                        task,
                        events,
                        scroll: 0,
                    }));
                }
                Err(e) => app.toast = Some(e.to_string()),
            },
            Effect::Approve(name, allow) => {
                let r = handle.approve(&name, allow, USER).await;
                app.on_approved(&name, allow, r.map_err(|e| e.to_string()));
                app.set_agents(handle.agents());
            }
            Effect::SendMessage(to, text) => {
                let new = NewMessage {
                    from: USER.into(),
                    to,
                    text,
                    kind: MessageKind::Message,
                    task: None,
                };
                let r = handle.send_message(new).await;
                app.on_message_sent(r.map_err(|e| e.to_string()));
            }
            Effect::AddAgent(new) => {
                let name = new.name.clone();
                let result = handle.add_agent(new).await.map(|_| name);
                app.set_agents(handle.agents());
                app.on_agent_added(result.map_err(|e| e.to_string()));
                relayout(tui, app, handle);
            }
        }
    }
}

fn report(app: &mut App, r: crate::runtime::error::Result<()>) {
    if let Err(e) = r {
        app.toast = Some(e.to_string());
    }
}

/// Applies one committed event to the dashboard's state (and its Logs
/// pane); whether the number of agents changed.
pub(crate) fn on_event(ev: Event, app: &mut App, handle: &RuntimeHandle) -> bool {
    let relayout = match &ev.body {
        EventBody::TaskCreated { task, .. } | EventBody::TaskUpdated { task, .. } => {
            app.on_task(task.clone());
            false
        }
        EventBody::Hook { .. } | EventBody::TaskDelivery { .. } => false,
        EventBody::MessageSent { message }
        | EventBody::MessageDelivered { message }
        | EventBody::MessageRefused { message } => {
            app.messages.upsert(message.clone());
            false
        }
        EventBody::AgentStatus {
            agent,
            from,
            to,
            detail,
        } => {
            app.on_agent_status(agent, *from, *to, detail);
            let n = app.agents.len();
            app.set_agents(handle.agents());
            app.agents.len() != n
        }
        EventBody::AgentRemoved { agent } => {
            app.attention.removed(agent);
            app.set_agents(handle.agents());
            true
        }
        _ => {
            let n = app.agents.len();
            app.set_agents(handle.agents());
            app.agents.len() != n
        }
    };
    app.events.push(ev);
    relayout
}

/// After the loop lagged behind the broadcast (events lost): re-reads the
/// event log's tail, agents, tasks and messages; waits it missed still call
/// the user.
pub(crate) async fn resync(app: &mut App, handle: &RuntimeHandle) {
    for ev in event_log::backfill(handle, event_log::BACKFILL).await {
        app.events.push(ev);
    }
    app.set_agents(handle.agents());
    app.attention.resync(&app.agents);
    for t in handle.tasks().await.unwrap_or_default() {
        app.on_task(TaskSummary::from(&t));
    }
    if let Ok(m) = handle.messages(None, messages::BACKFILL).await {
        app.messages.load(m);
    }
}
