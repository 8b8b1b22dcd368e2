//! The message dialog (prefix `m`): text from the user to the selected
//! agent in a ratatui-textarea editor. Enter sends; Alt-Enter or Shift-Enter
//! starts a new line (a paste keeps its lines); Esc cancels.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

/// State of the dialog.
#[derive(Debug)]
pub struct MessageDialog {
    /// The receiver.
    pub to: String,
    /// The text.
    pub text: TextArea<'static>,
    /// Why the last send was refused.
    pub error: Option<String>,
}

/// What a key did.
#[derive(Debug, PartialEq, Eq)]
pub enum MessageOutcome {
    /// Still open.
    Open,
    /// Closed.
    Cancel,
    /// Send this text (the dialog stays open until the loop confirms).
    Send(String),
}

impl MessageDialog {
    /// A dialog for a message to `to`.
    pub fn new(to: &str) -> Self {
        let mut text = TextArea::default();
        text.set_placeholder_text("the message (Enter sends, Alt-Enter: new line)");
        text.set_cursor_line_style(ratatui::style::Style::default());
        Self {
            to: to.to_string(),
            text,
            error: None,
        }
    }

    /// Inserts pasted text.
    pub fn paste(&mut self, text: &str) {
        self.text
            .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
    }

    /// Handles a key.
    pub fn on_key(&mut self, key: KeyEvent) -> MessageOutcome {
        let newline = key
            .modifiers
            .intersects(KeyModifiers::ALT | KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Esc => return MessageOutcome::Cancel,
            KeyCode::Enter if newline => self.text.insert_newline(),
            KeyCode::Enter => {
                let text = self.text.lines().join("\n").trim().to_string();
                if text.is_empty() {
                    self.error = Some("the message is empty".into());
                } else {
                    self.error = None;
                    return MessageOutcome::Send(text);
                }
            }
            _ => {
                self.text.input(key);
            }
        }
        MessageOutcome::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_lines_and_sends_on_enter() {
        let mut d = MessageDialog::new("x");
        assert_eq!(
            d.on_key(KeyEvent::from(KeyCode::Enter)),
            MessageOutcome::Open
        );
        assert_eq!(d.error.as_deref(), Some("the message is empty"));
        for c in "hi".chars() {
            d.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
        d.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
        d.paste("there\r\nyou");
        assert_eq!(
            d.on_key(KeyEvent::from(KeyCode::Enter)),
            MessageOutcome::Send("hi\nthere\nyou".into())
        );
        assert_eq!(
            d.on_key(KeyEvent::from(KeyCode::Esc)),
            MessageOutcome::Cancel
        );
    }
}
