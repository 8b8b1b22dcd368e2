//! The dashboard face: terminal setup, the `Action` vocabulary, app state and
//! its update, layout, scrollback, dialogs, messages, what needs the user
//! (approvals, attention, the bell), one render module per pane, and the
//! event loop.

pub mod action;
pub mod app;
pub mod app_attention;
pub mod app_mouse;
pub mod app_overlay;
pub mod app_tasks;
pub mod attention;
pub mod dialog;
pub mod effects;
pub mod event_log;
pub mod layout;
pub mod message_dialog;
pub mod messages;
pub mod panes;
pub mod run;
pub mod scroll;
pub mod task_dialog;
pub mod terminal;
pub mod text;
