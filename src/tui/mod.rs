//! The dashboard face: terminal setup, the `Action` vocabulary, app state and
//! its pure update, layout, and one render module per pane.

pub mod action;
pub mod run;
