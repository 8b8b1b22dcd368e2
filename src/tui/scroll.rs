//! Scrollback mode on the Terminal pane: the viewer's position in the
//! agent's scrollback and its search (case-insensitive, older or newer,
//! wrapping around). Pure state: the offset is the viewer's own (the agent's
//! emulator stays live); searches run in the runtime ([`Effect::Find`]).
//!
//! [`Effect::Find`]: super::app::Effect::Find

use crossterm::event::{KeyCode, KeyEvent};

use super::action::Action;

/// Position and search state of scrollback mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrollState {
    /// Lines scrolled back from the live screen (0 = live).
    pub offset: usize,
    /// The search prompt is open.
    pub editing: bool,
    /// Text typed in the search prompt.
    pub input: String,
    /// The active search (highlighted).
    pub query: String,
    /// Feedback ("not found").
    pub message: Option<String>,
}

/// A search to run in the agent's scrollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindRequest {
    /// What to find (case-insensitive).
    pub query: String,
    /// From the view at this offset.
    pub offset: usize,
    /// Towards older lines.
    pub older: bool,
    /// A new search: start at the view's bottom line.
    pub new: bool,
}

impl ScrollState {
    fn set(&mut self, offset: usize, max: usize) {
        self.offset = offset.min(max);
    }

    /// Performs a scrollback action on a view of `rows` rows with `max`
    /// lines of scrollback; a search action returns the search to run.
    pub fn act(&mut self, action: Action, rows: usize, max: usize) -> Option<FindRequest> {
        self.message = None;
        let o = self.offset;
        match action {
            Action::ScrollUp => self.set(o + 1, max),
            Action::ScrollDown => self.set(o.saturating_sub(1), max),
            Action::ScrollPageUp => self.set(o + rows, max),
            Action::ScrollPageDown => self.set(o.saturating_sub(rows), max),
            Action::ScrollHalfUp => self.set(o + rows / 2, max),
            Action::ScrollHalfDown => self.set(o.saturating_sub(rows / 2), max),
            Action::ScrollTop => self.set(max, max),
            Action::ScrollBottom => self.set(0, max),
            Action::Search => {
                self.editing = true;
                self.input.clear();
            }
            Action::SearchNext => return self.find(true, false),
            Action::SearchPrev => return self.find(false, false),
            _ => {}
        }
        None
    }

    /// A key typed into the search prompt; Enter returns the search to run.
    pub fn edit(&mut self, key: &KeyEvent) -> Option<FindRequest> {
        match key.code {
            KeyCode::Enter => {
                self.editing = false;
                self.query = std::mem::take(&mut self.input);
                return self.find(true, true);
            }
            KeyCode::Esc => self.editing = false,
            KeyCode::Backspace => {
                self.input.pop();
            }
            KeyCode::Char(c) => self.input.push(c),
            _ => {}
        }
        None
    }

    fn find(&self, older: bool, new: bool) -> Option<FindRequest> {
        (!self.query.is_empty()).then(|| FindRequest {
            query: self.query.clone(),
            offset: self.offset,
            older,
            new,
        })
    }

    /// The search's answer: the offset of the match, or none.
    pub fn found(&mut self, offset: Option<usize>) {
        match offset {
            Some(o) => self.offset = o,
            None => self.message = Some(format!("not found: {}", self.query)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::runtime::pty::Term;

    fn term_with_lines(rows: u16, cols: u16, lines: impl Iterator<Item = String>) -> Term {
        let t = Term::new(rows, cols, 1000, Arc::new(tokio::sync::Notify::new()));
        let text: String = lines.map(|l| format!("{l}\r\n")).collect();
        t.ingest_for_test(text.as_bytes());
        t
    }

    /// Runs `req` against `t` and applies the answer, as the loop does.
    fn run(s: &mut ScrollState, t: &Term, req: Option<FindRequest>) {
        if let Some(r) = req {
            s.found(t.find(&r.query, r.offset, r.older, r.new));
        }
    }

    fn top_line(t: &Term, s: &ScrollState) -> String {
        t.snapshot(s.offset).row_text(0)
    }

    #[test]
    fn scrolls_and_clamps() {
        let t = term_with_lines(5, 20, (0..50).map(|i| format!("line {i}")));
        let max = t.snapshot(0).scrollback;
        let mut s = ScrollState::default();
        s.act(Action::ScrollPageUp, 5, max);
        assert_eq!(s.offset, 5);
        s.act(Action::ScrollTop, 5, max);
        assert_eq!(s.offset, 46);
        assert_eq!(top_line(&t, &s), "line 0");
        s.act(Action::ScrollBottom, 5, max);
        assert_eq!(s.offset, 0);
        assert_eq!(t.snapshot(0).offset, 0, "the emulator stays live");
    }

    #[test]
    fn search_finds_older_then_newer() {
        let t = term_with_lines(5, 20, (0..50).map(|i| format!("line {i}")));
        let mut s = ScrollState::default();
        s.act(Action::Search, 5, 46);
        for c in "LINE 1".chars() {
            assert!(s.edit(&KeyEvent::from(KeyCode::Char(c))).is_none());
        }
        let req = s.edit(&KeyEvent::from(KeyCode::Enter));
        run(&mut s, &t, req);
        assert_eq!(top_line(&t, &s), "line 19");
        let req = s.act(Action::SearchNext, 5, 46);
        run(&mut s, &t, req);
        assert_eq!(top_line(&t, &s), "line 18");
        let req = s.act(Action::SearchPrev, 5, 46);
        run(&mut s, &t, req);
        assert_eq!(top_line(&t, &s), "line 19");
        s.query = "zzz".into();
        let req = s.act(Action::SearchNext, 5, 46);
        run(&mut s, &t, req);
        assert_eq!(s.message.as_deref(), Some("not found: zzz"));
    }

    #[test]
    fn search_from_the_top_wraps_to_newer_lines() {
        let t = term_with_lines(27, 80, (1..=300).map(|i| format!("row-{i}")));
        let max = t.snapshot(0).scrollback;
        let mut s = ScrollState::default();
        s.act(Action::ScrollTop, 27, max);
        s.act(Action::Search, 27, max);
        for c in "row-150".chars() {
            s.edit(&KeyEvent::from(KeyCode::Char(c)));
        }
        let req = s.edit(&KeyEvent::from(KeyCode::Enter));
        run(&mut s, &t, req);
        assert_eq!(s.message, None);
        assert_eq!(top_line(&t, &s), "row-150");
    }
}
