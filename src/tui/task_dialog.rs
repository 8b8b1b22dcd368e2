//! The new-task dialog (prefix `t`): title, a multi-line body, priority,
//! needs, after and assignee in ratatui-textarea fields. Tab moves between
//! fields; Enter adds the task (in the body it starts a new line);
//! Ctrl-S adds from anywhere; Esc cancels.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use crate::domain::NewTask;

/// Field labels, in order; the body is the multi-line one.
pub const LABELS: [&str; 6] = [
    "Title",
    "Body (the prompt)",
    "Priority",
    "Needs",
    "After (task ids)",
    "Assign to",
];
/// Index of the body field.
pub const BODY: usize = 1;

/// State of the dialog.
#[derive(Debug)]
pub struct NewTaskDialog {
    /// One editor per field.
    pub fields: [TextArea<'static>; 6],
    /// The field with the cursor.
    pub active: usize,
    /// Why the last submit was refused.
    pub error: Option<String>,
}

/// What a key did.
#[derive(Debug)]
pub enum TaskDialogOutcome {
    /// Still open.
    Open,
    /// Closed.
    Cancel,
    /// Add this task (the dialog stays open until the loop confirms).
    Submit(NewTask),
}

impl Default for NewTaskDialog {
    fn default() -> Self {
        let hints = [
            "what to do, in one line",
            "the prompt typed into the agent (Enter: new line)",
            "0 (higher first)",
            "capabilities, e.g. rust, api",
            "e.g. 1, 2",
            "an agent name, or empty for routing",
        ];
        let mut fields: [TextArea<'static>; 6] = Default::default();
        for (f, h) in fields.iter_mut().zip(hints) {
            f.set_placeholder_text(h);
            f.set_cursor_line_style(ratatui::style::Style::default());
        }
        Self {
            fields,
            active: 0,
            error: None,
        }
    }
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
}

impl NewTaskDialog {
    fn text(&self, i: usize) -> String {
        self.fields[i].lines().join("\n").trim().to_string()
    }

    /// Inserts pasted text (newlines kept in the body only).
    pub fn paste(&mut self, text: &str) {
        let t = if self.active == BODY {
            text.replace("\r\n", "\n")
        } else {
            text.replace(['\r', '\n'], " ")
        };
        self.fields[self.active].insert_str(t);
    }

    /// Handles a key.
    pub fn on_key(&mut self, key: KeyEvent) -> TaskDialogOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return TaskDialogOutcome::Cancel,
            KeyCode::Tab => self.active = (self.active + 1) % LABELS.len(),
            KeyCode::BackTab => self.active = (self.active + LABELS.len() - 1) % LABELS.len(),
            KeyCode::Char('s') if ctrl => return self.submit(),
            KeyCode::Enter if self.active != BODY => return self.submit(),
            KeyCode::Up | KeyCode::Down if self.active != BODY => {
                let n = LABELS.len();
                self.active = if key.code == KeyCode::Up {
                    (self.active + n - 1) % n
                } else {
                    (self.active + 1) % n
                };
            }
            _ => {
                self.fields[self.active].input(key);
            }
        }
        TaskDialogOutcome::Open
    }

    fn submit(&mut self) -> TaskDialogOutcome {
        match self.validate() {
            Ok(t) => {
                self.error = None;
                TaskDialogOutcome::Submit(t)
            }
            Err(e) => {
                self.error = Some(e);
                TaskDialogOutcome::Open
            }
        }
    }

    /// Checks the fields and builds the task.
    pub fn validate(&self) -> Result<NewTask, String> {
        let title = self.text(0);
        if title.is_empty() {
            return Err("a task needs a title".into());
        }
        let body = self.text(BODY);
        let priority = match self.text(2).as_str() {
            "" => 0,
            p => p
                .parse()
                .map_err(|_| format!("priority {p:?}: expected a whole number"))?,
        };
        let after = words(&self.text(4))
            .map(|w| {
                w.trim_start_matches('#')
                    .parse::<u64>()
                    .map_err(|_| format!("after {w:?}: expected task ids"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let assign = self.text(5);
        Ok(NewTask {
            body: if body.is_empty() { title.clone() } else { body },
            title,
            priority,
            needs: words(&self.text(3)).map(str::to_string).collect(),
            after,
            assignee: (!assign.is_empty()).then_some(assign),
            max_attempts: None,
            key: None,
            created_by: "user".into(),
            parent: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(d: &mut NewTaskDialog, s: &str) {
        for c in s.chars() {
            d.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    }

    #[test]
    fn fills_a_multi_line_body_and_submits() {
        let mut d = NewTaskDialog::default();
        typed(&mut d, "Write docs");
        d.on_key(KeyEvent::from(KeyCode::Tab));
        typed(&mut d, "line one");
        assert!(
            matches!(
                d.on_key(KeyEvent::from(KeyCode::Enter)),
                TaskDialogOutcome::Open
            ),
            "Enter in the body is a newline"
        );
        typed(&mut d, "line two");
        for _ in 0..3 {
            d.on_key(KeyEvent::from(KeyCode::Tab));
        }
        typed(&mut d, "#1, 2");
        d.on_key(KeyEvent::from(KeyCode::Tab));
        typed(&mut d, "backend");
        let TaskDialogOutcome::Submit(t) =
            d.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
        else {
            panic!("no submit")
        };
        assert_eq!(
            (t.title.as_str(), t.body.as_str()),
            ("Write docs", "line one\nline two")
        );
        assert_eq!(
            (t.after, t.assignee.as_deref()),
            (vec![1, 2], Some("backend"))
        );
    }

    #[test]
    fn refuses_bad_fields() {
        let mut d = NewTaskDialog::default();
        assert!(matches!(
            d.on_key(KeyEvent::from(KeyCode::Enter)),
            TaskDialogOutcome::Open
        ));
        assert_eq!(d.error.as_deref(), Some("a task needs a title"));
        typed(&mut d, "t");
        d.active = 2;
        typed(&mut d, "high");
        d.on_key(KeyEvent::from(KeyCode::Enter));
        assert!(d.error.as_deref().is_some_and(|e| e.contains("priority")));
    }
}
