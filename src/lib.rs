//! nox: a terminal workstation for running a team of coding agents.
//!
//! One core ([`core`]) built outside any UI: the store ([`store`], the
//! typed event log persisted then published), the runtime ([`runtime`]:
//! supervisor, agent actors, PTYs, scheduler) behind a cloneable handle,
//! the control socket ([`server`]) and the task-file watcher. Faces hold
//! handles on it: the dashboard ([`tui`]) today. [`domain`] holds pure
//! types and rules (the event vocabulary among them), [`config`] the files,
//! [`connector`] per-CLI knowledge behind one seam, [`sys`] the OS helpers,
//! [`model_stub`] the scripted Anthropic endpoint, [`mcp`] the agents' MCP
//! server, [`commands`] the CLI.

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod connector;
pub mod core;
pub mod domain;
pub mod hook;
pub mod logging;
pub mod mcp;
pub mod model_stub;
pub mod runtime;
pub mod server;
pub mod store;
pub mod sys;
pub mod tui;
pub mod worktree;
