//! Keys while a modal layer is open: help, picker, dialogs (agent, task,
//! message), confirmations, the task detail view.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Confirm, Effect, Overlay};
use super::dialog::DialogOutcome;
use super::layout::Pane;
use super::message_dialog::MessageOutcome;
use super::task_dialog::TaskDialogOutcome;

impl App {
    pub(crate) fn overlay_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let overlay = std::mem::take(&mut self.overlay);
        self.overlay = match overlay {
            Overlay::None => Overlay::None,
            Overlay::Help(off) => match key.code {
                KeyCode::Down | KeyCode::Char('j') => Overlay::Help(off.saturating_add(1)),
                KeyCode::Up | KeyCode::Char('k') => Overlay::Help(off.saturating_sub(1)),
                KeyCode::PageDown => Overlay::Help(off.saturating_add(10)),
                KeyCode::PageUp => Overlay::Help(off.saturating_sub(10)),
                _ => Overlay::None,
            },
            Overlay::Confirm(c) => {
                if matches!(key.code, KeyCode::Char('y' | 'Y')) || key.code == KeyCode::Enter {
                    match c {
                        Confirm::Stop(name) => fx.push(Effect::Stop(name)),
                        Confirm::Quit => self.quit = true,
                    }
                }
                Overlay::None
            }
            Overlay::Picker(mut filter, sel) => {
                let matches = self.picker_matches(&filter);
                match key.code {
                    KeyCode::Esc => Overlay::None,
                    KeyCode::Enter => {
                        if let Some(&i) = matches.get(sel.min(matches.len().saturating_sub(1))) {
                            self.select(i, fx);
                            self.set_focus(Pane::Terminal, fx);
                        }
                        Overlay::None
                    }
                    KeyCode::Up => Overlay::Picker(filter, sel.saturating_sub(1)),
                    KeyCode::Down => {
                        Overlay::Picker(filter, (sel + 1).min(matches.len().saturating_sub(1)))
                    }
                    KeyCode::Backspace => {
                        filter.pop();
                        Overlay::Picker(filter, 0)
                    }
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        filter.push(c);
                        Overlay::Picker(filter, 0)
                    }
                    _ => Overlay::Picker(filter, sel),
                }
            }
            Overlay::NewTask(mut d) => match d.on_key(key) {
                TaskDialogOutcome::Open => Overlay::NewTask(d),
                TaskDialogOutcome::Cancel => Overlay::None,
                TaskDialogOutcome::Submit(new) => {
                    fx.push(Effect::AddTask(new));
                    Overlay::NewTask(d)
                }
            },
            Overlay::TaskDetail(mut d) => match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    d.scroll = d.scroll.saturating_add(1);
                    Overlay::TaskDetail(d)
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    d.scroll = d.scroll.saturating_sub(1);
                    Overlay::TaskDetail(d)
                }
                KeyCode::PageDown => {
                    d.scroll = d.scroll.saturating_add(10);
                    Overlay::TaskDetail(d)
                }
                KeyCode::PageUp => {
                    d.scroll = d.scroll.saturating_sub(10);
                    Overlay::TaskDetail(d)
                }
                _ => Overlay::None,
            },
            Overlay::Message(mut d) => match d.on_key(key) {
                MessageOutcome::Open => Overlay::Message(d),
                MessageOutcome::Cancel => Overlay::None,
                MessageOutcome::Send(text) => {
                    fx.push(Effect::SendMessage(d.to.clone(), text));
                    Overlay::Message(d)
                }
            },
            Overlay::NewAgent(mut d) => match d.on_key(key) {
                DialogOutcome::Open => Overlay::NewAgent(d),
                DialogOutcome::Cancel => Overlay::None,
                DialogOutcome::Submit(new) => {
                    fx.push(Effect::AddAgent(new));
                    Overlay::NewAgent(d)
                }
            },
        };
    }

    /// Agent indices whose name contains `filter` (case-insensitive).
    pub fn picker_matches(&self, filter: &str) -> Vec<usize> {
        let f = filter.to_lowercase();
        (0..self.agents.len())
            .filter(|i| self.agents[*i].spec.name.contains(&f))
            .collect()
    }
}
