//! `nox.toml`: deserialization with spans, validation of every `[[agent]]`
//! field of SPEC §2, and errors that name file, line and column.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::domain::agent::valid_agent_name;
use crate::domain::limits::MAX_SCROLLBACK;
use crate::domain::{AgentKind, AgentSpec, Isolation, PermissionMode, RestartPolicy};

/// Longest lease `[routing] lease_secs` may set: 7 days.
pub const MAX_LEASE_SECS: u64 = 7 * 24 * 3600;

/// Default lines of scrollback kept per agent.
pub const DEFAULT_SCROLLBACK: usize = 10_000;

/// A loaded, validated workspace configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Agents in file order.
    pub agents: Vec<AgentSpec>,
    /// `[ui]`.
    pub ui: UiConfig,
    /// `[routing]`.
    pub routing: RoutingConfig,
    /// `[[policy]]` rules in file order: the first that matches a
    /// permission request answers it.
    pub policies: Vec<crate::domain::approval::Policy>,
}

/// The `[routing]` table: how tasks are handed out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// Length of a task's lease in seconds (SPEC §4; default 600): a task
    /// whose agent shows no progress for this long goes back to the queue.
    pub lease_secs: Option<Spanned<u64>>,
    /// Messages one agent may send another within `message_window_secs`
    /// (default 6); past it they are refused, which ends ping-pong loops.
    pub message_limit: Option<u32>,
    /// The window of `message_limit`, in seconds (default 60).
    pub message_window_secs: Option<u64>,
}

/// The `[ui]` table (also accepted in the user-level `config.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// Theme name.
    pub theme: Option<String>,
    /// Keymap name.
    pub keymap: Option<String>,
    /// Scrollback lines per agent ([`DEFAULT_SCROLLBACK`] when absent; at
    /// most [`MAX_SCROLLBACK`]).
    pub scrollback: Option<Spanned<usize>>,
    /// Ring the outer terminal's bell (BEL) when an agent starts waiting
    /// for the user or ends a turn nobody has seen (default true).
    pub bell: Option<bool>,
    /// Desktop notification escape sent with the bell: `osc9` (default;
    /// `iTerm2`, kitty, `WezTerm`, foot), `osc777` (rxvt-unicode, Ghostty,
    /// some VTE terminals) or `off`.
    pub notify: Option<Notify>,
}

/// The desktop notification escape of `[ui] notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    /// `OSC 9 ; text ST`.
    #[default]
    Osc9,
    /// `OSC 777 ; notify ; title ; text ST`.
    Osc777,
    /// None (the bell alone, if on).
    Off,
}

impl UiConfig {
    /// The scrollback lines asked for, if any.
    pub fn scrollback_lines(&self) -> Option<usize> {
        self.scrollback.as_ref().map(|s| *s.get_ref())
    }

    /// Checks the limits; the error is located in `src` (the text of `path`).
    pub fn validate(&self, path: &Path, src: &str) -> Result<(), ConfigError> {
        if let Some(s) = &self.scrollback
            && *s.get_ref() > MAX_SCROLLBACK
        {
            return Err(ConfigError::at(
                path,
                src,
                Some(s.span()),
                format!(
                    "`scrollback` is {}; the limit is {MAX_SCROLLBACK} lines (each line of every agent is kept in memory)",
                    s.get_ref()
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    agent: Vec<Spanned<RawAgent>>,
    #[serde(default)]
    ui: UiConfig,
    #[serde(default)]
    routing: RoutingConfig,
    #[serde(default)]
    policy: Vec<super::policy::RawPolicy>,
    // A table of a later feature, accepted so that files written for it load.
    #[serde(default)]
    api: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    name: Spanned<String>,
    #[serde(default)]
    kind: AgentKind,
    command: Option<Spanned<String>>,
    #[serde(default)]
    args: Vec<String>,
    cwd: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    isolation: Isolation,
    #[serde(default)]
    restart: RestartPolicy,
    max_restarts: Option<u32>,
    restart_window_secs: Option<Spanned<u64>>,
    permission_mode: Option<Spanned<PermissionMode>>,
    model_script: Option<Spanned<String>>,
    autostart: Option<bool>,
    ready_pattern: Option<Spanned<String>>,
    busy_pattern: Option<Spanned<String>>,
    wait_pattern: Option<Spanned<String>>,
}

/// Reads and validates `path`; `root` is the workspace root that relative
/// `cwd` and `model_script` values are resolved against.
pub fn load_config(path: &Path, root: &Path) -> Result<Config, ConfigError> {
    let src = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::whole(path, format!("cannot read: {e}")))?;
    parse_config(path, &src, root)
}

/// Parses and validates `src`, the text of `path`.
pub fn parse_config(path: &Path, src: &str, root: &Path) -> Result<Config, ConfigError> {
    let raw: RawFile = toml::from_str(src)
        .map_err(|e| ConfigError::at(path, src, e.span(), e.message().trim_end().to_string()))?;
    let _ = raw.api;
    raw.ui.validate(path, src)?;
    if let Some(l) = raw
        .routing
        .lease_secs
        .as_ref()
        .filter(|l| !(1..=MAX_LEASE_SECS).contains(l.get_ref()))
    {
        return Err(ConfigError::at(
            path,
            src,
            Some(l.span()),
            format!("`lease_secs` must be 1 to {MAX_LEASE_SECS} (7 days)"),
        ));
    }
    let policies = super::policy::compile(raw.policy, path, src)?;
    let mut seen = HashSet::new();
    let mut agents = Vec::with_capacity(raw.agent.len());
    for table in raw.agent {
        let table_span = table.span();
        let a = table.into_inner();
        let err =
            |span: std::ops::Range<usize>, msg: String| ConfigError::at(path, src, Some(span), msg);
        let name = a.name.get_ref().clone();
        if !valid_agent_name(&name) {
            return Err(err(
                a.name.span(),
                format!("invalid agent name {name:?}: expected [a-z0-9][a-z0-9_-]{{0,31}}"),
            ));
        }
        if crate::domain::message::RESERVED_NAMES.contains(&name.as_str()) {
            return Err(err(
                a.name.span(),
                format!(
                    "agent name {name:?} is reserved: {} name senders and task creators that are not agents",
                    crate::domain::message::RESERVED_NAMES.join(", ")
                ),
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(err(
                a.name.span(),
                format!("duplicate agent name {name:?}: names must be unique"),
            ));
        }
        let command = match (&a.command, a.kind) {
            (Some(c), _) if c.get_ref().trim().is_empty() => {
                return Err(err(
                    c.span(),
                    "`command` is empty: expected a program name or path".into(),
                ));
            }
            (Some(c), _) => c.get_ref().clone(),
            (None, AgentKind::Claude) => "claude".into(),
            (None, AgentKind::Generic) => {
                return Err(err(
                    table_span,
                    format!("agent {name:?} has no `command`: expected the program to run"),
                ));
            }
        };
        if a.kind == AgentKind::Generic {
            if let Some(p) = &a.permission_mode {
                return Err(err(
                    p.span(),
                    "`permission_mode` applies to kind = \"claude\" only".into(),
                ));
            }
            if let Some(m) = a.model_script.as_ref().filter(|m| !m.get_ref().is_empty()) {
                return Err(err(
                    m.span(),
                    "`model_script` applies to kind = \"claude\" only".into(),
                ));
            }
        }
        let mut patterns = [None, None, None];
        for (slot, pat) in
            patterns
                .iter_mut()
                .zip([&a.ready_pattern, &a.busy_pattern, &a.wait_pattern])
        {
            let Some(p) = pat.as_ref().filter(|p| !p.get_ref().is_empty()) else {
                continue;
            };
            if a.kind == AgentKind::Claude {
                return Err(err(
                    p.span(),
                    "screen patterns apply to kind = \"generic\" only".into(),
                ));
            }
            if let Err(e) = regex::Regex::new(p.get_ref()) {
                return Err(err(p.span(), format!("invalid regex: {e}")));
            }
            *slot = Some(p.get_ref().clone());
        }
        let [ready_pattern, busy_pattern, wait_pattern] = patterns;
        let window = a.restart_window_secs.as_ref().map_or(60, |w| *w.get_ref());
        if let Some(w) = a.restart_window_secs.as_ref().filter(|w| *w.get_ref() == 0) {
            return Err(err(
                w.span(),
                "`restart_window_secs` must be at least 1".into(),
            ));
        }
        let model_script = match a.model_script.as_ref().filter(|m| !m.get_ref().is_empty()) {
            Some(m) => {
                let p = root.join(m.get_ref());
                if !p.is_file() {
                    return Err(err(
                        m.span(),
                        format!("model script {} not found", p.display()),
                    ));
                }
                Some(p)
            }
            None => None,
        };
        let cwd = a
            .cwd
            .as_ref()
            .map_or_else(|| root.to_path_buf(), |c| root.join(c.get_ref()));
        agents.push(AgentSpec {
            name,
            kind: a.kind,
            command,
            args: a.args,
            cwd: normalize(&cwd),
            env: a.env,
            capabilities: a.capabilities,
            isolation: a.isolation,
            restart: a.restart,
            max_restarts: a.max_restarts.unwrap_or(5),
            restart_window_secs: window,
            permission_mode: a
                .permission_mode
                .map(Spanned::into_inner)
                .unwrap_or_default(),
            model_script,
            autostart: a.autostart.unwrap_or(true),
            ready_pattern,
            busy_pattern,
            wait_pattern,
        });
    }
    Ok(Config {
        agents,
        ui: raw.ui,
        routing: raw.routing,
        policies,
    })
}

/// Removes `.` components and folds `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Config, ConfigError> {
        parse_config(Path::new("/w/.nox/nox.toml"), src, Path::new("/w"))
    }

    #[test]
    fn full_agent_parses() {
        let c = parse(
            r#"
[[agent]]
name = "backend"
kind = "claude"
args = ["--model", "sonnet"]
cwd = "./svc/../api"
env = { RUST_LOG = "info" }
capabilities = ["rust"]
restart = "always"
max_restarts = 2
restart_window_secs = 10
permission_mode = "acceptEdits"
autostart = false

[[agent]]
name = "sh"
command = "bash"
ready_pattern = '\$ $'

[ui]
theme = "light"
"#,
        )
        .expect("valid");
        let a = &c.agents[0];
        assert_eq!(a.command, "claude");
        assert_eq!(a.cwd, PathBuf::from("/w/api"));
        assert_eq!(a.restart, RestartPolicy::Always);
        assert_eq!(a.permission_mode, PermissionMode::AcceptEdits);
        assert!(!a.autostart);
        assert_eq!(c.agents[1].kind, AgentKind::Generic);
        assert_eq!(c.agents[1].ready_pattern.as_deref(), Some("\\$ $"));
        assert_eq!(c.ui.theme.as_deref(), Some("light"));
    }

    fn err_of(src: &str) -> ConfigError {
        parse(src).expect_err("must fail")
    }

    #[test]
    fn limits_and_routing_are_checked_and_located() {
        let e = err_of("[ui]\nscrollback = 100000000\n");
        assert_eq!((e.line, e.col), (2, 14));
        assert!(e.message.contains("limit is 100000"), "{}", e.message);
        let c =
            parse("[ui]\nscrollback = 100000\n[routing]\nlease_secs = 3\n").expect("at the limit");
        assert_eq!(c.ui.scrollback_lines(), Some(100_000));
        assert_eq!(c.routing.lease_secs.map(|l| *l.get_ref()), Some(3));
        let e = err_of("[routing]\nlease_secs = 0\n");
        assert_eq!(e.line, 2);
        let e = err_of("[routing]\nlease_secs = 9223372036854775807\n");
        assert!(e.message.contains("7 days"), "{}", e.message);
        let e = err_of("[routing]\nlease = 3\n");
        assert!(e.message.contains("lease"), "{}", e.message);
    }

    #[test]
    fn bad_name_is_located() {
        let e = err_of("[[agent]]\nname = \"Bad Name\"\ncommand = \"sh\"\n");
        assert_eq!((e.line, e.col), (2, 8));
        assert!(e.message.contains("invalid agent name"), "{}", e.message);
    }

    #[test]
    fn reserved_names_and_bad_policies_are_located() {
        let e = err_of("[[agent]]\nname = \"user\"\ncommand = \"sh\"\n");
        assert!(e.to_string().contains("reserved"), "{e}");
        assert!(e.to_string().contains(":2:"), "{e}");
        let e = err_of("[[policy]]\ntool = \"Bash\"\npattern = \"(\"\ndecision = \"allow\"\n");
        assert!(e.to_string().contains("not a regex"), "{e}");
        assert!(e.to_string().contains(":3:"), "{e}");
        let e = err_of("[[policy]]\nagent = \"[\"\ndecision = \"allow\"\n");
        assert!(e.to_string().contains("not a glob"), "{e}");
        let e = err_of("[[policy]]\ndecision = \"maybe\"\n");
        assert!(e.to_string().contains(":2:"), "{e}");
        let c = parse("[[policy]]\nagent = \"test*\"\ntool = \"Bash\"\npattern = \"^cargo\"\ndecision = \"allow\"\n[[policy]]\ndecision = \"ask\"\n")
            .expect("policies");
        assert_eq!(c.policies.len(), 2);
        assert!(c.policies[0].matches("tests", "Bash", "cargo test"));
        assert!(!c.policies[0].matches("web", "Bash", "cargo test"));
        assert!(c.policies[1].matches("web", "Write", "/x"));
    }

    #[test]
    fn duplicate_name_is_located() {
        let e = err_of(
            "[[agent]]\nname = \"a\"\ncommand = \"sh\"\n[[agent]]\nname = \"a\"\ncommand = \"sh\"\n",
        );
        assert_eq!((e.line, e.col), (5, 8));
        assert!(e.message.contains("duplicate"));
    }

    #[test]
    fn unknown_kind_and_restart_name_the_choices() {
        let e = err_of("[[agent]]\nname = \"a\"\nkind = \"robot\"\n");
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("claude") && e.message.contains("generic"),
            "{}",
            e.message
        );
        let e = err_of("[[agent]]\nname = \"a\"\ncommand = \"sh\"\nrestart = \"sometimes\"\n");
        assert_eq!(e.line, 4);
        assert!(e.message.contains("on-failure"), "{}", e.message);
    }

    #[test]
    fn unknown_field_and_syntax_errors_are_located() {
        let e = err_of("[[agent]]\nname = \"a\"\ncommand = \"sh\"\ncolour = 1\n");
        assert_eq!(e.line, 4);
        assert!(e.message.contains("colour"), "{}", e.message);
        let e = err_of("[[agent]]\nname = \"a\ncommand = \"sh\"\n");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn generic_needs_a_command_and_no_claude_fields() {
        let e = err_of("x = 1\n[[agent]]\nname = \"a\"\n");
        assert!(
            e.message.contains("unknown field") || e.message.contains("`x`"),
            "{}",
            e.message
        );
        let e = err_of("[[agent]]\nname = \"a\"\n");
        assert!(e.message.contains("no `command`"), "{}", e.message);
        let e = err_of("[[agent]]\nname = \"a\"\ncommand = \"sh\"\npermission_mode = \"plan\"\n");
        assert_eq!(e.line, 4);
        let e = err_of("[[agent]]\nname = \"a\"\ncommand = \"sh\"\nready_pattern = \"(\"\n");
        assert!(e.message.contains("invalid regex"), "{}", e.message);
        let e =
            err_of("[[agent]]\nname = \"a\"\nkind = \"claude\"\nmodel_script = \"nope.toml\"\n");
        assert!(e.message.contains("not found"), "{}", e.message);
    }
}
