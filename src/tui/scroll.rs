//! Scrollback mode on the Terminal pane: moving through the agent's
//! vt100 scrollback and searching it (case-insensitive, older or newer).

use crossterm::event::{KeyCode, KeyEvent};

use super::action::Action;
use crate::runtime::pty::Term;

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

impl ScrollState {
    fn set(&mut self, term: &Term, offset: usize) {
        self.offset = term.with_parser(|p| {
            p.screen_mut().set_scrollback(offset);
            p.screen().scrollback()
        });
        term.mark_dirty();
    }

    /// Performs a scrollback action on `term`.
    pub fn act(&mut self, action: Action, term: &Term) {
        let rows = usize::from(term.size().0);
        self.message = None;
        match action {
            Action::ScrollUp => self.set(term, self.offset + 1),
            Action::ScrollDown => self.set(term, self.offset.saturating_sub(1)),
            Action::ScrollPageUp => self.set(term, self.offset + rows),
            Action::ScrollPageDown => self.set(term, self.offset.saturating_sub(rows)),
            Action::ScrollHalfUp => self.set(term, self.offset + rows / 2),
            Action::ScrollHalfDown => self.set(term, self.offset.saturating_sub(rows / 2)),
            Action::ScrollTop => self.set(term, usize::MAX),
            Action::ScrollBottom => self.set(term, 0),
            Action::Search => {
                self.editing = true;
                self.input.clear();
            }
            Action::SearchNext => self.find(term, true, false),
            Action::SearchPrev => self.find(term, false, false),
            _ => {}
        }
    }

    /// A key typed into the search prompt.
    pub fn edit(&mut self, key: &KeyEvent, term: &Term) {
        match key.code {
            KeyCode::Enter => {
                self.editing = false;
                self.query = std::mem::take(&mut self.input);
                if !self.query.is_empty() {
                    self.find(term, true, true);
                }
                term.mark_dirty();
            }
            KeyCode::Esc => self.editing = false,
            KeyCode::Backspace => {
                self.input.pop();
            }
            KeyCode::Char(c) => self.input.push(c),
            _ => {}
        }
    }

    /// Finds the next match older (up) or newer (down) than the top line,
    /// wrapping around; `from_bottom` starts at the bottom of the view (a new search).
    fn find(&mut self, term: &Term, older: bool, from_bottom: bool) {
        if self.query.is_empty() {
            return;
        }
        let q = self.query.to_lowercase();
        let current = self.offset;
        let found = term.with_parser(|p| {
            let screen = p.screen_mut();
            let (rows, cols) = screen.size();
            screen.set_scrollback(usize::MAX);
            let h = screen.scrollback();
            let top = h - current.min(h);
            let mut line = |i: usize| -> String {
                if i < h {
                    screen.set_scrollback(h - i);
                    screen.rows(0, cols).next().unwrap_or_default()
                } else {
                    screen.set_scrollback(0);
                    screen.rows(0, cols).nth(i - h).unwrap_or_default()
                }
            };
            let total = h + usize::from(rows);
            let mut matches = |i: &usize| line(*i).to_lowercase().contains(&q);
            // Search in the asked direction, then wrap around.
            let hit = if older {
                let start = if from_bottom {
                    (top + usize::from(rows)).min(total)
                } else {
                    top
                };
                (0..start)
                    .rev()
                    .find(&mut matches)
                    .or_else(|| (start..total).rev().find(&mut matches))
            } else {
                (top + 1..total)
                    .find(&mut matches)
                    .or_else(|| (0..=top.min(total.saturating_sub(1))).find(&mut matches))
            };
            screen.set_scrollback(current);
            hit.map(|i| h.saturating_sub(i))
        });
        match found {
            Some(off) => self.set(term, off),
            None => self.message = Some(format!("not found: {}", self.query)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn term_with_lines(n: usize) -> Term {
        let t = Term::new(5, 20, 1000, Arc::new(tokio::sync::Notify::new()));
        let text: String = (0..n).map(|i| format!("line {i}\r\n")).collect();
        t.ingest_for_test(text.as_bytes());
        t
    }

    #[test]
    fn scrolls_and_clamps() {
        let t = term_with_lines(50);
        let mut s = ScrollState::default();
        s.act(Action::ScrollPageUp, &t);
        assert_eq!(s.offset, 5);
        s.act(Action::ScrollTop, &t);
        assert_eq!(s.offset, 46);
        assert!(t.contents().starts_with("line 0\n"));
        s.act(Action::ScrollBottom, &t);
        assert_eq!(s.offset, 0);
    }

    #[test]
    fn search_finds_older_then_newer() {
        let t = term_with_lines(50);
        let mut s = ScrollState::default();
        s.act(Action::Search, &t);
        for c in "LINE 1".chars() {
            s.edit(&KeyEvent::from(KeyCode::Char(c)), &t);
        }
        s.edit(&KeyEvent::from(KeyCode::Enter), &t);
        assert!(t.contents().starts_with("line 19\n"), "{}", t.contents());
        s.act(Action::SearchNext, &t);
        assert!(t.contents().starts_with("line 18\n"), "{}", t.contents());
        s.act(Action::SearchPrev, &t);
        assert!(t.contents().starts_with("line 19\n"));
        s.query = "zzz".into();
        s.act(Action::SearchNext, &t);
        assert_eq!(s.message.as_deref(), Some("not found: zzz"));
    }
}
#[cfg(test)]
mod wrap_tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn search_from_the_top_wraps_to_newer_lines() {
        let t = Term::new(27, 80, 1000, Arc::new(tokio::sync::Notify::new()));
        let text: String = (1..=300).map(|i| format!("row-{i}\r\n")).collect();
        t.ingest_for_test(text.as_bytes());
        let mut s = ScrollState::default();
        s.act(Action::ScrollTop, &t);
        s.act(Action::Search, &t);
        for c in "row-150".chars() {
            s.edit(&KeyEvent::from(KeyCode::Char(c)), &t);
        }
        s.edit(&KeyEvent::from(KeyCode::Enter), &t);
        assert_eq!(s.message, None);
        assert!(t.contents().starts_with("row-150\n"), "{}", t.contents());
    }
}
