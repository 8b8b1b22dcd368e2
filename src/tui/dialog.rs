//! The new-agent dialog (prefix `c`): name, command line, kind and
//! capabilities in ratatui-textarea fields; Tab moves, Enter adds, Esc cancels.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use crate::config::edit::NewAgent;
use crate::domain::AgentKind;
use crate::domain::agent::valid_agent_name;

/// Field labels, in order.
pub const LABELS: [&str; 4] = ["Name", "Command", "Kind", "Capabilities"];

/// State of the dialog.
#[derive(Debug)]
pub struct NewAgentDialog {
    /// One single-line editor per field.
    pub fields: [TextArea<'static>; 4],
    /// The field with the cursor.
    pub active: usize,
    /// Why the last submit was refused.
    pub error: Option<String>,
}

/// What a key did to the dialog.
#[derive(Debug)]
pub enum DialogOutcome {
    /// Still open.
    Open,
    /// Closed without adding.
    Cancel,
    /// Add this agent (the dialog stays open until the loop confirms).
    Submit(NewAgent),
}

impl Default for NewAgentDialog {
    fn default() -> Self {
        let placeholders = [
            "e.g. backend",
            "program and arguments, e.g. claude, or bash -l",
            "generic or claude",
            "e.g. rust, api",
        ];
        let mut fields: [TextArea<'static>; 4] = Default::default();
        for (f, p) in fields.iter_mut().zip(placeholders) {
            f.set_placeholder_text(p);
            f.set_cursor_line_style(ratatui::style::Style::default());
        }
        fields[2].insert_str("generic");
        Self {
            fields,
            active: 0,
            error: None,
        }
    }
}

impl NewAgentDialog {
    fn text(&self, i: usize) -> String {
        self.fields[i].lines().join(" ").trim().to_string()
    }

    /// Inserts pasted text into the active field (newlines become spaces).
    pub fn paste(&mut self, text: &str) {
        self.fields[self.active].insert_str(text.replace(['\r', '\n'], " "));
    }

    /// Handles a key.
    pub fn on_key(&mut self, key: KeyEvent) -> DialogOutcome {
        match key.code {
            KeyCode::Esc => return DialogOutcome::Cancel,
            KeyCode::Tab | KeyCode::Down => self.active = (self.active + 1) % LABELS.len(),
            KeyCode::BackTab | KeyCode::Up => {
                self.active = (self.active + LABELS.len() - 1) % LABELS.len();
            }
            KeyCode::Enter => match self.validate() {
                Ok(new) => {
                    self.error = None;
                    return DialogOutcome::Submit(new);
                }
                Err(e) => self.error = Some(e),
            },
            KeyCode::Char('m') if key.modifiers.contains(KeyModifiers::CONTROL) => {}
            _ => {
                self.fields[self.active].input(key);
            }
        }
        DialogOutcome::Open
    }

    /// Checks the fields and builds the definition.
    pub fn validate(&self) -> Result<NewAgent, String> {
        let name = self.text(0);
        if !valid_agent_name(&name) {
            return Err(format!(
                "name {name:?}: expected [a-z0-9][a-z0-9_-]{{0,31}}"
            ));
        }
        let argv = shell_words::split(&self.text(1)).map_err(|e| format!("command: {e}"))?;
        if argv.is_empty() {
            return Err("command: expected a program".into());
        }
        let kind = match self.text(2).as_str() {
            "" | "generic" => AgentKind::Generic,
            "claude" => AgentKind::Claude,
            other => return Err(format!("kind {other:?}: expected generic or claude")),
        };
        let capabilities = self
            .text(3)
            .split([',', ' '])
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        Ok(NewAgent {
            name,
            kind,
            argv,
            capabilities,
            worktree: false,
            restart: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(d: &mut NewAgentDialog, s: &str) {
        for c in s.chars() {
            d.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    }

    #[test]
    fn fills_and_submits() {
        let mut d = NewAgentDialog::default();
        typed(&mut d, "web");
        d.on_key(KeyEvent::from(KeyCode::Tab));
        typed(&mut d, "sh -c 'echo hi'");
        d.on_key(KeyEvent::from(KeyCode::BackTab));
        d.on_key(KeyEvent::from(KeyCode::BackTab));
        typed(&mut d, "rust, api");
        let DialogOutcome::Submit(new) = d.on_key(KeyEvent::from(KeyCode::Enter)) else {
            panic!("no submit")
        };
        assert_eq!(new.name, "web");
        assert_eq!(new.argv, ["sh", "-c", "echo hi"]);
        assert_eq!(new.capabilities, ["rust", "api"]);
    }

    #[test]
    fn refuses_bad_name_and_esc_cancels() {
        let mut d = NewAgentDialog::default();
        typed(&mut d, "Bad Name");
        assert!(matches!(
            d.on_key(KeyEvent::from(KeyCode::Enter)),
            DialogOutcome::Open
        ));
        assert!(d.error.as_deref().is_some_and(|e| e.contains("Bad Name")));
        assert!(matches!(
            d.on_key(KeyEvent::from(KeyCode::Esc)),
            DialogOutcome::Cancel
        ));
    }
}
