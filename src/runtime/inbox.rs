//! Inboxes: the queued messages of every agent, in memory (the store keeps
//! them too, and they are loaded back at start). Shared by the scheduler,
//! which wakes idle agents with them, and the agent actors, whose Stop
//! hooks hand them to a busy Claude Code agent. Taking happens under one
//! lock, so a message is handed out once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use crate::domain::Message;

/// Queued messages per receiving agent, oldest first.
#[derive(Default)]
pub(crate) struct Inbox {
    q: Mutex<HashMap<String, VecDeque<Message>>>,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Message>>> {
        self.q
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `m` for `m.to`.
    pub(crate) fn push(&self, m: Message) {
        self.lock().entry(m.to.clone()).or_default().push_back(m);
    }

    /// Takes every message queued for `agent`.
    pub(crate) fn take(&self, agent: &str) -> Vec<Message> {
        self.lock().remove(agent).map(Vec::from).unwrap_or_default()
    }

    /// Puts messages that could not be delivered back in front, in order.
    pub(crate) fn put_back(&self, agent: &str, msgs: Vec<Message>) {
        let mut q = self.lock();
        let e = q.entry(agent.to_string()).or_default();
        for m in msgs.into_iter().rev() {
            e.push_front(m);
        }
    }

    /// How many messages wait for `agent`.
    pub(crate) fn len(&self, agent: &str) -> usize {
        self.lock().get(agent).map_or(0, VecDeque::len)
    }

    /// Agents with queued messages.
    pub(crate) fn waiting(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(a, _)| a.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: u64, to: &str) -> Message {
        Message {
            id,
            to: to.into(),
            ..Message::default()
        }
    }

    #[test]
    fn messages_are_taken_once_and_put_back_in_order() {
        let i = Inbox::default();
        i.push(m(1, "a"));
        i.push(m(2, "a"));
        i.push(m(3, "b"));
        assert_eq!(i.len("a"), 2);
        let a = i.take("a");
        assert_eq!(a.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2]);
        assert!(i.take("a").is_empty());
        i.push(m(4, "a"));
        i.put_back("a", a);
        let ids: Vec<u64> = i.take("a").iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 2, 4]);
        assert_eq!(i.waiting(), ["b"]);
    }
}
