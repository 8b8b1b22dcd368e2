//! Dashboard state and its update: key, paste, mouse and runtime events in,
//! [`Effect`]s out. The loop ([`super::run`]) carries effects out; render
//! functions only read this state.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use tracing::Level;

use super::action::Action;
use super::attention::Attention;
use super::dialog::NewAgentDialog;
use super::event_log::EventLog;
use super::layout::{Layout, Pane};
use super::message_dialog::MessageDialog;
use super::messages::MessageLog;
use super::scroll::{FindRequest, ScrollState};
use super::task_dialog::NewTaskDialog;
use crate::config::edit::NewAgent;
use crate::config::keymap::{KeyChord, Keymap};
use crate::domain::{AgentStatus, Event, NewTask, Task, TaskId, TaskSummary};
use crate::runtime::AgentInfo;
use crate::runtime::pty::keys::{FOCUS_IN, FOCUS_OUT, encode_key, encode_paste};
use crate::runtime::screen::{Modes, ScreenSnapshot};

/// Something the loop must do for the state.
#[derive(Debug)]
pub enum Effect {
    /// Input for an agent's PTY (what the user typed, encoded).
    Input(String, Vec<u8>),
    /// Search an agent's scrollback; the answer goes to [`App::on_found`].
    Find(String, FindRequest),
    /// Start an agent.
    Start(String),
    /// Stop an agent.
    Stop(String),
    /// Restart an agent.
    Restart(String),
    /// Add an agent to nox.toml and the runtime.
    AddAgent(NewAgent),
    /// The layout changed: resize the PTYs.
    Relayout,
    /// Add a task.
    AddTask(NewTask),
    /// Set a task's assignee (`None`: leave it to routing).
    AssignTask(TaskId, Option<String>),
    /// Load a task and its events into the detail view.
    OpenTask(TaskId),
    /// Answer agent `.0`'s pending permission request: allow (`true`) or deny.
    Approve(String, bool),
    /// Send a message from the user to agent `.0`.
    SendMessage(String, String),
}

/// A modal layer over the panes.
#[derive(Debug, Default)]
pub enum Overlay {
    /// None.
    #[default]
    None,
    /// Help (scroll offset).
    Help(u16),
    /// The agent picker: filter text and selected row.
    Picker(String, usize),
    /// The new-agent dialog.
    NewAgent(Box<NewAgentDialog>),
    /// A yes/no question.
    Confirm(Confirm),
    /// The new-task dialog.
    NewTask(Box<NewTaskDialog>),
    /// One task: body, result, events.
    TaskDetail(Box<TaskDetail>),
    /// A message to an agent.
    Message(Box<MessageDialog>),
}

/// What the task detail view shows.
#[derive(Debug, Clone)]
pub struct TaskDetail {
    /// The task.
    pub task: Task,
    /// Its events, oldest first.
    pub events: Vec<Event>,
    /// Scroll offset.
    pub scroll: u16,
}

/// What a confirmation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Stop this agent.
    Stop(String),
    /// Quit while agents are busy.
    Quit,
}

/// The dashboard's state.
pub struct App {
    /// Agents in definition order.
    pub agents: Vec<AgentInfo>,
    /// The selected agent's screen as last copied (the loop refreshes it
    /// before drawing, at the viewer's scrollback offset).
    pub screen: Option<ScreenSnapshot>,
    /// Input modes of each agent's terminal (refreshed before input).
    pub modes: HashMap<String, Modes>,
    /// Index of the selected agent.
    pub selected: usize,
    /// The focused pane.
    pub focus: Pane,
    /// Whether the focused pane is zoomed.
    pub zoom: bool,
    /// The prefix key was pressed; the next key is a command.
    pub prefix_armed: bool,
    /// The modal layer.
    pub overlay: Overlay,
    /// Scrollback mode on the Terminal pane.
    pub scroll: Option<ScrollState>,
    /// The Logs pane shows this level and more severe.
    pub log_level: Level,
    /// The event log the Logs pane shows beside nox's own log.
    pub events: EventLog,
    /// A message for the status line, until the next key.
    pub toast: Option<String>,
    /// The user confirmed quitting.
    pub quit: bool,
    /// Workspace name for the status line.
    pub workspace: String,
    /// The active keymap.
    pub keymap: Keymap,
    /// Current layout (set by the loop before each update and draw).
    pub layout: Layout,
    /// Select this agent when it appears (added through the dialog).
    pub pending_select: Option<String>,
    /// The outer terminal has focus.
    pub outer_focused: bool,
    /// Tasks, in board order.
    pub tasks: Vec<TaskSummary>,
    /// Index of the selected task.
    pub task_sel: usize,
    /// Messages and delegations (the Messages pane).
    pub messages: MessageLog,
    /// Agents waiting for the user, turns that ended unseen, and the
    /// alerts they raised.
    pub attention: Attention,
}

impl App {
    /// A fresh dashboard: focus on the Terminal of the first agent.
    pub fn new(workspace: String, keymap: Keymap, agents: Vec<AgentInfo>) -> Self {
        let mut attention = Attention::default();
        attention.seed(&agents);
        Self {
            agents,
            screen: None,
            modes: HashMap::new(),
            selected: 0,
            focus: Pane::Terminal,
            zoom: false,
            prefix_armed: false,
            overlay: Overlay::None,
            scroll: None,
            log_level: Level::INFO,
            events: EventLog::default(),
            toast: None,
            quit: false,
            workspace,
            keymap,
            layout: Layout::default(),
            pending_select: None,
            outer_focused: true,
            tasks: Vec::new(),
            task_sel: 0,
            messages: MessageLog::default(),
            attention,
        }
    }

    /// The selected agent.
    pub fn current(&self) -> Option<&AgentInfo> {
        self.agents.get(self.selected)
    }

    /// The input modes of the selected agent's terminal.
    pub fn current_modes(&self) -> Modes {
        self.current()
            .and_then(|a| self.modes.get(&a.spec.name))
            .copied()
            .unwrap_or_default()
    }

    /// Replaces the agent list (the runtime's), keeping the selection on
    /// the same agent where it still exists.
    pub fn set_agents(&mut self, agents: Vec<AgentInfo>) {
        let selected = self.current().map(|a| a.spec.name.clone());
        self.agents = agents;
        let find =
            |name: &str, agents: &[AgentInfo]| agents.iter().position(|a| a.spec.name == name);
        if let Some(i) = self
            .pending_select
            .as_deref()
            .and_then(|p| find(p, &self.agents))
        {
            self.pending_select = None;
            self.selected = i;
            self.focus = Pane::Terminal;
        } else if let Some(i) = selected.as_deref().and_then(|n| find(n, &self.agents)) {
            self.selected = i;
        }
        self.selected = self.selected.min(self.agents.len().saturating_sub(1));
    }

    pub(crate) fn terminal_focused(&self) -> bool {
        self.focus == Pane::Terminal && matches!(self.overlay, Overlay::None)
    }

    pub(crate) fn focus_bytes(&self, bytes: &'static [u8], fx: &mut Vec<Effect>) {
        if let Some(a) = self.current()
            && self.current_modes().focus_events
        {
            fx.push(Effect::Input(a.spec.name.clone(), bytes.to_vec()));
        }
    }

    /// Moves the selection, sending focus out/in to agents that asked for it.
    pub(crate) fn select(&mut self, idx: usize, fx: &mut Vec<Effect>) {
        if idx >= self.agents.len() || idx == self.selected {
            return;
        }
        let terminal = self.terminal_focused();
        if terminal {
            self.focus_bytes(FOCUS_OUT, fx);
        }
        self.leave_scroll();
        self.selected = idx;
        if terminal {
            self.focus_bytes(FOCUS_IN, fx);
        }
    }

    pub(crate) fn set_focus(&mut self, pane: Pane, fx: &mut Vec<Effect>) {
        if pane == self.focus {
            return;
        }
        if self.focus == Pane::Terminal {
            self.focus_bytes(FOCUS_OUT, fx);
        } else if pane == Pane::Terminal {
            self.focus_bytes(FOCUS_IN, fx);
        }
        self.focus = pane;
        if self.zoom {
            fx.push(Effect::Relayout);
        }
    }

    pub(crate) fn leave_scroll(&mut self) {
        self.scroll = None;
    }

    /// Handles a key press.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let mut fx = Vec::new();
        if key.kind == KeyEventKind::Release {
            return fx;
        }
        self.toast = None;
        if !matches!(self.overlay, Overlay::None) {
            self.overlay_key(key, &mut fx);
            return fx;
        }
        let chord = KeyChord::from_event(&key);
        if self.prefix_armed {
            self.prefix_armed = false;
            if let Some(action) = chord.and_then(|c| self.keymap.prefix_keys.get(&c).copied()) {
                if action == Action::SendPrefix {
                    if let Some(a) = self.current() {
                        let bytes = encode_key(&key, false);
                        fx.push(Effect::Input(a.spec.name.clone(), bytes));
                    }
                } else {
                    self.apply(action, &mut fx);
                }
            }
            return fx;
        }
        if chord == Some(self.keymap.prefix) {
            self.prefix_armed = true;
            return fx;
        }
        if self.focus == Pane::Terminal && self.scroll.is_some() {
            self.scroll_key(key, &mut fx);
            return fx;
        }
        match self.focus {
            Pane::Terminal => {
                if let Some(a) = self.current() {
                    let app_cursor = self.current_modes().application_cursor;
                    let bytes = encode_key(&key, app_cursor);
                    if !bytes.is_empty() {
                        fx.push(Effect::Input(a.spec.name.clone(), bytes));
                    }
                }
            }
            _ => {
                if let Some(action) = chord.and_then(|c| self.keymap.panes.get(&c).copied()) {
                    self.apply(action, &mut fx);
                } else if key.code == KeyCode::Esc {
                    self.set_focus(Pane::Terminal, &mut fx);
                }
            }
        }
        fx
    }

    /// Performs a keymap action.
    pub fn apply(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let n = self.agents.len();
        if let Some(i) = action.agent_index() {
            self.select(i, fx);
            return;
        }
        let name = self.current().map(|a| a.spec.name.clone());
        match action {
            Action::NextAgent if n > 0 => self.select((self.selected + 1) % n, fx),
            Action::PrevAgent if n > 0 => self.select((self.selected + n - 1) % n, fx),
            Action::AgentPicker => self.overlay = Overlay::Picker(String::new(), self.selected),
            Action::FocusLeft | Action::FocusRight | Action::FocusUp | Action::FocusDown => {
                let (dx, dy) = match action {
                    Action::FocusLeft => (-1, 0),
                    Action::FocusRight => (1, 0),
                    Action::FocusUp => (0, -1),
                    _ => (0, 1),
                };
                if let Some(p) = self.layout.neighbour(self.focus, dx, dy) {
                    self.set_focus(p, fx);
                }
            }
            Action::Zoom => {
                self.zoom = !self.zoom;
                fx.push(Effect::Relayout);
            }
            Action::Scrollback if self.current().is_some() => {
                if self.current_modes().alternate_screen {
                    self.toast = Some("no scrollback on the alternate screen: the app keeps its own history (use the mouse wheel)".into());
                } else {
                    self.set_focus(Pane::Terminal, fx);
                    self.scroll = Some(ScrollState::default());
                }
            }
            Action::NewAgent => self.overlay = Overlay::NewAgent(Box::default()),
            Action::NewTask => self.overlay = Overlay::NewTask(Box::default()),
            Action::AssignTask => match (self.current_task(), name) {
                (Some(t), agent)
                    if matches!(
                        t.status,
                        crate::domain::TaskStatus::Queued | crate::domain::TaskStatus::Blocked
                    ) =>
                {
                    let to = if t.assignee == agent { None } else { agent };
                    fx.push(Effect::AssignTask(t.id, to));
                }
                (Some(t), _) => {
                    self.toast = Some(format!(
                        "task {} is {}: only queued or blocked tasks can be assigned",
                        t.id, t.status
                    ))
                }
                (None, _) => self.toast = Some("no task selected (focus the Tasks pane)".into()),
            },
            Action::Approve => self.answer(true, fx),
            Action::Deny => self.answer(false, fx),
            Action::JumpToWaiting => self.jump_to_waiting(fx),
            Action::SendMessage => match name {
                Some(n) => self.overlay = Overlay::Message(Box::new(MessageDialog::new(&n))),
                None => self.toast = Some("no agent to send a message to".into()),
            },
            Action::FilterMessages if self.focus == Pane::Messages => {
                self.messages.toggle_filter(name.as_deref());
            }
            Action::SelectUp if self.focus == Pane::Messages => self.messages.scroll_by(true),
            Action::SelectDown if self.focus == Pane::Messages => self.messages.scroll_by(false),
            Action::RestartAgent => fx.extend(name.map(Effect::Restart)),
            Action::StartAgent => fx.extend(name.map(Effect::Start)),
            Action::StopAgent => {
                if let Some(n) = name {
                    self.overlay = Overlay::Confirm(Confirm::Stop(n));
                }
            }
            Action::Help => self.overlay = Overlay::Help(0),
            Action::Quit => {
                if self
                    .agents
                    .iter()
                    .any(|a| matches!(a.status, AgentStatus::Busy | AgentStatus::Waiting))
                {
                    self.overlay = Overlay::Confirm(Confirm::Quit);
                } else {
                    self.quit = true;
                }
            }
            Action::SelectUp if self.focus == Pane::Tasks => {
                self.task_sel = self.task_sel.saturating_sub(1)
            }
            Action::SelectDown if self.focus == Pane::Tasks => {
                self.task_sel = (self.task_sel + 1).min(self.tasks.len().saturating_sub(1));
            }
            Action::Activate if self.focus == Pane::Tasks => {
                fx.extend(self.current_task().map(|t| Effect::OpenTask(t.id)))
            }
            Action::SelectUp if self.focus == Pane::Agents && n > 0 => {
                self.select(self.selected.saturating_sub(1), fx);
            }
            Action::SelectDown if self.focus == Pane::Agents && n > 0 => {
                self.select((self.selected + 1).min(n - 1), fx);
            }
            Action::Activate if self.focus == Pane::Agents => self.set_focus(Pane::Terminal, fx),
            Action::CycleLogLevel => {
                self.log_level = match self.log_level {
                    Level::ERROR => Level::WARN,
                    Level::WARN => Level::INFO,
                    Level::INFO => Level::DEBUG,
                    Level::DEBUG => Level::TRACE,
                    Level::TRACE => Level::ERROR,
                };
            }
            a if self.scroll.is_some() => self.scroll_action(a, fx),
            _ => {}
        }
    }

    fn scroll_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(name) = self.current().map(|a| a.spec.name.clone()) else {
            return;
        };
        if let Some(s) = self.scroll.as_mut()
            && s.editing
        {
            fx.extend(s.edit(&key).map(|r| Effect::Find(name, r)));
            return;
        }
        let chord = KeyChord::from_event(&key);
        if let Some(action) = chord.and_then(|c| self.keymap.scrollback.get(&c).copied()) {
            if action == Action::ExitScrollback {
                self.leave_scroll();
            } else {
                self.apply(action, fx);
            }
        }
    }

    pub(crate) fn scroll_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let Some(name) = self.current().map(|a| a.spec.name.clone()) else {
            return;
        };
        let (rows, max) = self
            .screen
            .as_ref()
            .map_or((0, 0), |s| (usize::from(s.rows), s.scrollback));
        let Some(s) = self.scroll.as_mut() else {
            return;
        };
        fx.extend(s.act(action, rows, max).map(|r| Effect::Find(name, r)));
    }

    /// The answer to an [`Effect::Find`].
    pub fn on_found(&mut self, offset: Option<usize>) {
        if let Some(s) = self.scroll.as_mut() {
            s.found(offset);
        }
    }

    /// Handles a paste from the outer terminal.
    pub fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        let mut fx = Vec::new();
        if let Overlay::NewAgent(d) = &mut self.overlay {
            d.paste(text);
            return fx;
        }
        if let Overlay::NewTask(d) = &mut self.overlay {
            d.paste(text);
            return fx;
        }
        if let Overlay::Message(d) = &mut self.overlay {
            d.paste(text);
            return fx;
        }
        if self.terminal_focused()
            && self.scroll.is_none()
            && let Some(a) = self.current()
        {
            let bracketed = self.current_modes().bracketed_paste;
            fx.push(Effect::Input(
                a.spec.name.clone(),
                encode_paste(text, bracketed),
            ));
        }
        fx
    }

    /// The result of an [`Effect::AddAgent`]: close the dialog or show why not.
    pub fn on_agent_added(&mut self, result: Result<String, String>) {
        match result {
            Ok(name) => {
                self.overlay = Overlay::None;
                if let Some(i) = self.agents.iter().position(|a| a.spec.name == name) {
                    self.selected = i;
                    self.focus = Pane::Terminal;
                } else {
                    self.pending_select = Some(name);
                }
            }
            Err(e) => {
                if let Overlay::NewAgent(d) = &mut self.overlay {
                    d.error = Some(e);
                }
            }
        }
    }

    /// The layout of `area` for this state: the Tasks and Messages panes
    /// take no more rows than they have lines to show.
    pub fn layout_for(&self, area: ratatui::layout::Rect) -> Layout {
        let w = usize::from(super::layout::left_width(area.width).saturating_sub(2));
        let rows = |n: usize| u16::try_from(n + 2).unwrap_or(u16::MAX);
        let wants = [
            (Pane::Tasks, rows(self.task_rows())),
            (Pane::Messages, rows(self.message_rows(w))),
        ];
        Layout::compute_with(area, self.agents.len(), self.focus, self.zoom, &wants)
    }

    /// Counts of agents by status, in [`AgentStatus::ALL`] order, zeros left out.
    pub fn counts(&self) -> Vec<(AgentStatus, usize)> {
        AgentStatus::ALL
            .iter()
            .map(|s| (*s, self.agents.iter().filter(|a| a.status == *s).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
pub(crate) mod tests;
