//! Workspace discovery, `nox.toml` (parse, validate, edit), XDG paths, keymaps and themes.

pub mod edit;
pub mod keymap;
pub mod parse;
mod policy;
pub mod theme;
pub mod workspace;

pub use crate::domain::located::ConfigError;
pub use parse::{Config, UiConfig, load_config, parse_config};
pub use workspace::Workspace;

use std::path::PathBuf;

/// nox's user-level config directory: `$XDG_CONFIG_HOME/nox` (or `~/.config/nox`).
pub fn user_config_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("nox"));
    }
    directories::BaseDirs::new().map(|b| b.config_dir().join("nox"))
}
