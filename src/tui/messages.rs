//! The Messages pane's state: the newest messages and delegations (read
//! from the store when the dashboard opens, then kept current from the
//! `message.*` events, one entry per id), the filter to one agent, the
//! scroll position; and each message in words (`a → b: text`, `⇢ a → b
//! delegated task 2: …`, `⇠ b → a result of task 2: …`) with its state.

use crate::domain::{Message, MessageKind, MessageState};

/// Messages kept.
pub const CAPACITY: usize = 500;

/// Messages read from the store when the dashboard opens.
pub const BACKFILL: usize = 200;

/// Rows one message takes at most (the rest is cut with `…`).
pub const MAX_ROWS: usize = 8;

/// The messages the pane shows.
#[derive(Debug, Default)]
pub struct MessageLog {
    /// Oldest first, by id.
    msgs: Vec<Message>,
    /// Only this agent's messages (sent or received), when set.
    pub filter: Option<String>,
    /// Messages scrolled back from the newest (0: the newest shows last).
    pub scroll: usize,
}

impl MessageLog {
    /// Adds `m`, or replaces the message with its id (a state change).
    pub fn upsert(&mut self, m: Message) {
        match self.msgs.binary_search_by_key(&m.id, |x| x.id) {
            Ok(i) => self.msgs[i] = m,
            Err(i) => {
                self.msgs.insert(i, m);
                if self.msgs.len() > CAPACITY {
                    self.msgs.remove(0);
                }
            }
        }
    }

    /// Replaces every message with `msgs` (the store's, oldest first).
    pub fn load(&mut self, msgs: Vec<Message>) {
        self.msgs.clear();
        for m in msgs {
            self.upsert(m);
        }
    }

    /// The messages shown (the filter applied), oldest first.
    pub fn shown(&self) -> Vec<&Message> {
        self.msgs
            .iter()
            .filter(|m| {
                self.filter
                    .as_deref()
                    .is_none_or(|a| m.from == a || m.to == a)
            })
            .collect()
    }

    /// Shows only `agent`'s messages, or all again when filtered already.
    pub fn toggle_filter(&mut self, agent: Option<&str>) {
        self.filter = match self.filter {
            Some(_) => None,
            None => agent.map(str::to_string),
        };
        self.scroll = 0;
    }

    /// Scrolls one message older (`up`) or newer.
    pub fn scroll_by(&mut self, up: bool) {
        let n = self.shown().len();
        self.scroll = if up {
            (self.scroll + 1).min(n.saturating_sub(1))
        } else {
            self.scroll.saturating_sub(1)
        };
    }
}

/// `m` in words, without its time or state: `a → b: text` for a message,
/// `⇢ a → b delegated task 2: title` for a delegation, `⇠ b → a result of
/// task 2: …` for a result.
pub fn text(m: &Message) -> String {
    let body = m.text.trim_end();
    match (m.kind, m.task) {
        (MessageKind::Message, _) => format!("{} → {}: {body}", m.from, m.to),
        (MessageKind::Delegation, Some(id)) => {
            let title = body.strip_prefix(&format!("task {id}: ")).unwrap_or(body);
            format!("⇢ {} → {} delegated task {id}: {title}", m.from, m.to)
        }
        (MessageKind::Delegation, None) => format!("⇢ {} → {} delegated: {body}", m.from, m.to),
        (MessageKind::Result, Some(id)) => {
            let rest = body.strip_prefix(&format!("Task {id} ")).unwrap_or(body);
            format!("⇠ {} → {} result of task {id}: {rest}", m.from, m.to)
        }
        (MessageKind::Result, None) => format!("⇠ {} → {} result: {body}", m.from, m.to),
    }
}

/// `m`'s delivery state in words: `queued`, `delivered`, `refused: why`.
pub fn state(m: &Message) -> String {
    match (m.state, m.reason.as_deref()) {
        (MessageState::Refused, Some(why)) if !why.is_empty() => format!("refused: {why}"),
        (s, _) => s.to_string(),
    }
}

/// `m` as the pane's rows of at most `w` columns: the local time
/// (`hh:mm:ss`), the message in words and its state, wrapped at words by
/// display width, at most `max` rows (and [`MAX_ROWS`]), the last cut with
/// `…`. A pane too narrow for the time shows the text alone. The first
/// row's time is its own part.
pub fn rows(m: &Message, w: usize, max: usize) -> (String, Vec<String>) {
    let max = max.clamp(1, MAX_ROWS);
    let time = format!("{} ", crate::sys::time::clock(m.created_ms));
    let line = format!("{} · {}", text(m), state(m));
    let head = super::text::width(&time);
    let (time, first) = if head + 8 <= w {
        (time, w - head)
    } else {
        (String::new(), w)
    };
    let mut rows = super::text::wrap(&line, first, w);
    if rows.len() > max {
        rows.truncate(max);
        if let Some(last) = rows.last_mut() {
            let cut = super::text::truncate(last, w.saturating_sub(1));
            *last = format!("{}…", cut.trim_end_matches('…'));
        }
    }
    (time, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64, from: &str, to: &str, kind: MessageKind, text: &str) -> Message {
        Message {
            id,
            from: from.into(),
            to: to.into(),
            text: text.into(),
            kind,
            task: (kind != MessageKind::Message).then_some(2),
            ..Message::default()
        }
    }

    #[test]
    fn messages_delegations_and_results_in_words() {
        let m = msg(1, "user", "x", MessageKind::Message, "hello\n");
        assert_eq!(text(&m), "user → x: hello");
        assert_eq!(state(&m), "queued");
        let d = msg(2, "a", "b", MessageKind::Delegation, "task 2: write b.txt");
        assert_eq!(text(&d), "⇢ a → b delegated task 2: write b.txt");
        let r = msg(
            3,
            "b",
            "a",
            MessageKind::Result,
            "Task 2 \"write b.txt\" is done (worked on by b).\nWrote it.",
        );
        assert_eq!(
            text(&r),
            "⇠ b → a result of task 2: \"write b.txt\" is done (worked on by b).\nWrote it."
        );
        let mut refused = msg(4, "a", "b", MessageKind::Message, "again");
        refused.state = MessageState::Refused;
        refused.reason = Some("rate limited: a sent b 6 messages".into());
        assert_eq!(
            state(&refused),
            "refused: rate limited: a sent b 6 messages"
        );
        refused.state = MessageState::Delivered;
        refused.reason = Some("stop hook".into());
        assert_eq!(state(&refused), "delivered");
    }

    #[test]
    fn upserts_by_id_in_order_and_filters_to_one_agent() {
        let mut log = MessageLog::default();
        log.upsert(msg(2, "a", "b", MessageKind::Message, "two"));
        log.upsert(msg(1, "user", "a", MessageKind::Message, "one"));
        let mut two = msg(2, "a", "b", MessageKind::Message, "two");
        two.state = MessageState::Delivered;
        log.upsert(two);
        log.upsert(msg(3, "c", "user", MessageKind::Message, "three"));
        let ids = |log: &MessageLog| log.shown().iter().map(|m| m.id).collect::<Vec<_>>();
        assert_eq!(ids(&log), [1, 2, 3]);
        assert_eq!(log.shown()[1].state, MessageState::Delivered);
        log.toggle_filter(Some("a"));
        assert_eq!(ids(&log), [1, 2]);
        log.toggle_filter(Some("c"));
        assert_eq!((ids(&log), log.filter.as_deref()), (vec![1, 2, 3], None));
        log.scroll_by(true);
        log.scroll_by(true);
        log.scroll_by(true);
        assert_eq!(log.scroll, 2, "no further than the oldest");
        log.load(vec![msg(9, "a", "b", MessageKind::Message, "x")]);
        assert_eq!(ids(&log), [9]);
    }

    #[test]
    fn keeps_at_most_its_capacity() {
        let mut log = MessageLog::default();
        for id in 1..=CAPACITY as u64 + 5 {
            log.upsert(msg(id, "a", "b", MessageKind::Message, "m"));
        }
        let shown = log.shown();
        assert_eq!((shown.len(), shown[0].id), (CAPACITY, 6));
    }

    #[test]
    fn rows_wrap_by_display_width_and_stop_at_max_rows() {
        let m = msg(
            1,
            "a",
            "b",
            MessageKind::Message,
            "日本語 のテキスト and more words",
        );
        let (time, rows) = rows(&m, 20, 99);
        assert_eq!(time.len(), 9, "{time:?}");
        assert!(super::super::text::width(&rows[0]) <= 11, "{rows:?}");
        for r in &rows[1..] {
            assert!(super::super::text::width(r) <= 20, "{rows:?}");
        }
        assert!(rows.join(" ").ends_with("words · queued"), "{rows:?}");
        let long = msg(2, "a", "b", MessageKind::Message, &"word ".repeat(100));
        let (_, rows) = super::rows(&long, 20, 99);
        assert_eq!(rows.len(), MAX_ROWS);
        assert!(rows[MAX_ROWS - 1].ends_with('…'), "{rows:?}");
        let (_, rows) = super::rows(&long, 20, 3);
        assert_eq!(rows.len(), 3, "no more than the pane's height");
        assert!(rows[2].ends_with('…'), "{rows:?}");
        let (time, _) = super::rows(&m, 12, 99);
        assert!(time.is_empty(), "too narrow for the time");
    }
}
