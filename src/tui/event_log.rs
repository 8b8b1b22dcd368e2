//! The event log as the Logs pane shows it: the newest committed events
//! (the tail of the store's log when the dashboard opens, then each one the
//! handle publishes), each with a level for the pane's filter.

use std::collections::VecDeque;

use tracing::Level;

use crate::domain::{AgentStatus, Delivery, Event, EventBody, TaskStatus};
use crate::runtime::RuntimeHandle;

/// Events kept (as many as nox's own log lines).
pub const CAPACITY: usize = crate::logging::RING_CAPACITY;

/// Events read from the store when the dashboard opens.
pub const BACKFILL: usize = 200;

/// The newest events, oldest first, each once.
#[derive(Debug, Default)]
pub struct EventLog {
    events: VecDeque<Event>,
}

impl EventLog {
    /// Appends `ev` unless it is not newer than the newest held (the same
    /// event from the store's tail and the broadcast); drops the oldest
    /// past [`CAPACITY`].
    pub fn push(&mut self, ev: Event) {
        if self.events.back().is_some_and(|last| ev.id <= last.id) {
            return;
        }
        if self.events.len() == CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(ev);
    }

    /// The newest `n` events at `min` level or more severe, oldest first.
    pub fn tail(&self, n: usize, min: Level) -> Vec<&Event> {
        let mut out: Vec<&Event> = self
            .events
            .iter()
            .rev()
            .filter(|e| level(&e.body) <= min)
            .take(n)
            .collect();
        out.reverse();
        out
    }
}

/// The level an event is shown at: failures are errors, restarts, stalls
/// and failed tasks warnings, the chatter of every turn (busy, idle,
/// hooks, prompts typed and taken) debug, the rest info.
pub fn level(body: &EventBody) -> Level {
    match body {
        EventBody::AgentStatus { to, .. } => match to {
            AgentStatus::Crashed | AgentStatus::Failed => Level::ERROR,
            AgentStatus::Busy | AgentStatus::Idle | AgentStatus::Starting => Level::DEBUG,
            _ => Level::INFO,
        },
        EventBody::AgentRestarted { .. } => Level::WARN,
        EventBody::TaskUpdated { task, .. } if task.status == TaskStatus::Failed => Level::WARN,
        EventBody::TaskDelivery { outcome, .. } => match outcome {
            Delivery::Retried | Delivery::Stalled => Level::WARN,
            Delivery::Sent { .. } | Delivery::Confirmed { .. } => Level::DEBUG,
        },
        EventBody::Hook { .. } => Level::DEBUG,
        _ => Level::INFO,
    }
}

/// How nox's own log begins its line about what `body` records (the
/// runtime logs status changes and task transitions as it commits them): a
/// line that begins so at the same moment says nothing the event does not.
pub fn echo(body: &EventBody) -> String {
    match body {
        EventBody::AgentStatus { agent, to, .. } => format!("{agent} {to}"),
        EventBody::TaskUpdated { task, .. } => format!("task {} {}", task.id, task.status),
        EventBody::TaskCreated { task, .. } => format!("task {} added", task.id),
        other => other.describe(),
    }
}

/// Whether log line `text` begins with `echo` as a whole phrase.
pub fn echoes(text: &str, echo: &str) -> bool {
    text.strip_prefix(echo)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ']))
}

/// The newest `n` events of the store's log, oldest first (none when the
/// store cannot be read).
pub async fn backfill(handle: &RuntimeHandle, n: usize) -> Vec<Event> {
    let newest = handle.last_event_id().await.unwrap_or(0);
    if newest == 0 {
        return Vec::new();
    }
    let since = newest.saturating_sub(u64::try_from(n).unwrap_or(u64::MAX));
    handle
        .events(since, n)
        .await
        .map(|page| page.events)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Task, TaskSummary};

    fn status(id: u64, to: AgentStatus) -> Event {
        Event {
            id,
            ts_ms: id * 1000,
            body: EventBody::AgentStatus {
                agent: "a".into(),
                from: AgentStatus::Idle,
                to,
                detail: String::new(),
            },
        }
    }

    #[test]
    fn keeps_each_event_once_newest_last_and_filters_by_level() {
        let mut log = EventLog::default();
        for ev in [
            status(1, AgentStatus::Busy),
            status(2, AgentStatus::Crashed),
            status(2, AgentStatus::Crashed),
            status(1, AgentStatus::Busy),
            status(3, AgentStatus::Waiting),
        ] {
            log.push(ev);
        }
        let ids = |min| log.tail(10, min).iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(Level::TRACE), [1, 2, 3]);
        assert_eq!(ids(Level::INFO), [2, 3]);
        assert_eq!(ids(Level::ERROR), [2]);
        assert_eq!(log.tail(1, Level::TRACE)[0].id, 3);
    }

    #[test]
    fn keeps_at_most_its_capacity() {
        let mut log = EventLog::default();
        for id in 1..=CAPACITY as u64 + 10 {
            log.push(status(id, AgentStatus::Waiting));
        }
        let all = log.tail(usize::MAX, Level::TRACE);
        assert_eq!((all.len(), all[0].id), (CAPACITY, 11));
    }

    #[test]
    fn levels_follow_what_happened() {
        let mut failed = Task::new(1, "t", "t", vec![], true);
        failed.status = TaskStatus::Failed;
        let updated = |task: &Task| EventBody::TaskUpdated {
            task: TaskSummary::from(task),
            from: TaskStatus::Running,
            cause: String::new(),
            result: None,
        };
        assert_eq!(level(&updated(&failed)), Level::WARN);
        failed.status = TaskStatus::Done;
        assert_eq!(level(&updated(&failed)), Level::INFO);
        assert_eq!(level(&status(1, AgentStatus::Failed).body), Level::ERROR);
        assert_eq!(level(&status(1, AgentStatus::Idle).body), Level::DEBUG);
        assert_eq!(level(&status(1, AgentStatus::Exited).body), Level::INFO);
        let delivery = |outcome| EventBody::TaskDelivery {
            task: 1,
            agent: "a".into(),
            attempt: 1,
            outcome,
        };
        assert_eq!(level(&delivery(Delivery::Stalled)), Level::WARN);
        assert_eq!(level(&delivery(Delivery::Sent { bytes: 3 })), Level::DEBUG);
        let hook = EventBody::Hook {
            agent: "a".into(),
            event: crate::domain::hook::HookEvent::Stop {
                last_message: String::new(),
                active: false,
            },
        };
        assert_eq!(level(&hook), Level::DEBUG);
    }
}
