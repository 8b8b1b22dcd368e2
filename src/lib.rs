//! nox: a terminal workstation for running a team of coding agents.
//!
//! One runtime ([`runtime`]: supervisor, agent actors, PTYs) behind a
//! cloneable handle, and faces that hold handles: the dashboard ([`tui`]).
//! [`domain`] holds pure types and rules, [`config`] the files, [`connector`]
//! per-CLI knowledge, [`model_stub`] the scripted Anthropic endpoint.

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod connector;
pub mod domain;
pub mod hook;
pub mod logging;
pub mod model_stub;
pub mod runtime;
pub mod server;
pub mod store;
pub mod task_cli;
pub mod tui;
