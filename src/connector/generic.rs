//! `kind = "generic"`: any command, run directly (never through a shell),
//! with `TERM=xterm-256color` (what the pane emulates) and without
//! `COLORTERM` unless the definition sets them (SPEC §2).

use crate::domain::AgentSpec;
use crate::runtime::pty::SpawnRequest;

/// The request every kind starts from.
pub fn base_request(spec: &AgentSpec, rows: u16, cols: u16) -> SpawnRequest {
    SpawnRequest {
        program: spec.command.clone().into(),
        args: spec.args.clone(),
        cwd: spec.cwd.clone(),
        env: vec![
            ("TERM".into(), "xterm-256color".into()),
            ("NOX_AGENT".into(), spec.name.clone()),
        ],
        env_remove: vec!["COLORTERM".into(), "TMUX".into(), "TMUX_PANE".into()],
        rows,
        cols,
    }
}
