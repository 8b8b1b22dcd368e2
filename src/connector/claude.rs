//! `kind = "claude"`: the Claude Code CLI. Adds `--permission-mode`, and for
//! a `model_script` agent the offline environment of `CLAUDE_CODE.md`: the
//! scripted endpoint as `ANTHROPIC_BASE_URL`, a test key, every
//! `DISABLE_*` variable (without `DISABLE_AUTOUPDATER=1` Claude Code really
//! runs `npm install -g` on itself), and a private `$HOME` whose
//! `.claude.json` marks onboarding done, approves the key and trusts the cwd.

use std::path::Path;

use serde_json::{Value, json};

use super::claude_screen::{input_text, status_from_screen};
use super::{Connector, Ctx, HookOutcome, Observation, Prepared, SpawnRequest, TurnEnd};
use crate::domain::hook::{EVENTS, HookEvent};
use crate::domain::{AgentSpec, AgentStatus, ExitInfo};
use crate::sys::uuid::new_v4;

/// The connector of Claude Code agents: hooks drive the status; screen
/// rules reconcile what hooks miss; sessions are resumed after a restart.
pub struct Claude {
    /// The session to start (`--session-id`) or resume (`--resume`).
    session_id: Option<String>,
    /// The current process was started with `--resume`.
    resuming: bool,
}

impl Claude {
    /// A connector for `_spec` with no session yet.
    pub fn new(_spec: &AgentSpec) -> Self {
        Self {
            session_id: None,
            resuming: false,
        }
    }
}

impl Connector for Claude {
    fn prepare<'a>(
        &'a mut self,
        spec: &'a AgentSpec,
        ctx: &'a Ctx<'a>,
        size: (u16, u16),
    ) -> Prepared<'a> {
        Box::pin(async move {
            let session = self.session_id.get_or_insert_with(new_v4).clone();
            let (spec, mut req) = super::base(spec, ctx, size).await?;
            apply(&spec, ctx, &session, &mut req).await?;
            self.resuming = req.args.iter().any(|a| a == "--resume");
            super::finish(&spec, req)
        })
    }

    fn busy_on_output(&self) -> bool {
        false
    }

    fn status_at_quiet(&self, obs: &Observation<'_>) -> Option<(AgentStatus, String)> {
        status_from_screen(obs.screen).map(|(s, why)| (s, why.to_string()))
    }

    fn on_hook(&mut self, ev: &HookEvent) -> Result<HookOutcome, String> {
        let mut out = HookOutcome {
            status: ev.status(),
            ..HookOutcome::default()
        };
        match ev {
            HookEvent::SessionStart { session_id, .. } => {
                self.session_id = Some(session_id.clone());
                out.session = Some(session_id.clone());
            }
            HookEvent::UserPromptSubmit { .. } => out.prompt_accepted = true,
            HookEvent::Stop { last_message, .. } => out.turn_ended = Some(last_message.clone()),
            _ => {}
        }
        Ok(out)
    }

    fn input_pending(&self, screen: &str) -> bool {
        input_text(screen).is_some_and(|t| !t.is_empty())
    }

    fn prompt_still_typed(&self, screen: &str) -> Option<bool> {
        input_text(screen).map(|t| !t.is_empty())
    }

    /// Ctrl-C clears Claude Code's whole input box (Ctrl-U only its line);
    /// sent only when the box holds text: on an empty box Ctrl-C arms exit.
    fn clear_input(&self, screen: &str) -> Vec<u8> {
        if self.input_pending(screen) {
            b"\x03".to_vec()
        } else {
            Vec::new()
        }
    }

    fn delivery_evidence(&self, _obs: &Observation<'_>) -> Option<String> {
        // Only the UserPromptSubmit hook confirms a prompt.
        None
    }

    fn idle_during_task(&self, _obs: &Observation<'_>) -> TurnEnd {
        // The idle input box came back without a Stop hook: an Esc in the
        // pane interrupted the turn.
        TurnEnd::Interrupted
    }

    fn restore_session(&mut self, id: Option<String>) {
        if self.session_id.is_none() {
            self.session_id = id.filter(|i| crate::domain::hook::is_uuid(i));
        }
    }

    fn on_exit(
        &mut self,
        info: &ExitInfo,
        quick: bool,
        screen: &str,
    ) -> (Option<String>, Option<String>) {
        // A process started with `--resume` that dies within seconds could
        // not resume its session: the next start begins a new one.
        let fresh = (self.resuming && quick && !info.success()).then(|| {
            if let Some(old) = &self.session_id {
                tracing::warn!(
                    "session {old} could not be resumed; the next start begins a new session"
                );
            }
            let id = new_v4();
            self.session_id = Some(id.clone());
            id
        });
        // A claude that gave up at start says why on its screen: it is not
        // logged in, or its onboarding needs the network.
        let why = match status_from_screen(screen) {
            Some((AgentStatus::Waiting, reason)) => Some(format!(
                "{reason}: claude is not logged in or cannot finish its setup; run `claude` once in a terminal, then restart this agent (prefix r)"
            )),
            _ => None,
        };
        (fresh, why)
    }
}

/// The API key given to scripted agents (the stub accepts any key).
pub const SCRIPTED_API_KEY: &str = "sk-ant-nox-scripted-endpoint-0000000000";

/// The `--allowedTools` pattern of nox's MCP tools (`CLAUDE_CODE.md` "MCP").
pub const MCP_TOOLS: &str = "mcp__nox__*";

/// Adds Claude Code's arguments: `--settings` with nox's hooks and
/// `--mcp-config` with nox's MCP server, its tools allowed (when hooks
/// are wanted), `--permission-mode`, `--session-id`/`--resume` for
/// `session`, and with a model script its offline setup.
pub async fn apply(
    spec: &AgentSpec,
    ctx: &Ctx<'_>,
    session: &str,
    req: &mut SpawnRequest,
) -> std::io::Result<()> {
    let ws = ctx.ws;
    let mut args = Vec::new();
    if let Some(nox) = ctx.nox_exe {
        let run = ws.run_dir(&spec.name);
        let socket = ws.dir().join("nox.sock");
        let settings = write_settings(&run, nox, &spec.name)?;
        let mcp = write_mcp_config(&run, nox, &spec.name, &socket)?;
        // `--mcp-config` and `--allowedTools` take several values: an
        // option follows each, so neither swallows the user's arguments.
        args.extend([
            "--settings".to_string(),
            settings.to_string_lossy().into_owned(),
            "--mcp-config".to_string(),
            mcp.to_string_lossy().into_owned(),
            "--allowedTools".to_string(),
            MCP_TOOLS.to_string(),
        ]);
        req.env
            .push(("NOX_SOCKET".into(), socket.to_string_lossy().into_owned()));
    }
    args.extend([
        "--permission-mode".to_string(),
        spec.permission_mode.as_arg().to_string(),
    ]);
    let home = if spec.model_script.is_some() {
        Some(ws.run_dir(&spec.name).join("home"))
    } else {
        spec.env
            .get("HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(Into::into))
    };
    // Resume only a conversation Claude Code has written. An id with no
    // file yet starts under that id; an id whose file holds no
    // conversation cannot be reused, so a new session starts.
    let (id, home) = (session, home.as_deref());
    if home.is_some_and(|h| transcript_exists(h, id)) {
        args.extend(["--resume".to_string(), id.to_string()]);
    } else if home.is_some_and(|h| session_file_exists(h, id)) {
        let fresh = new_v4();
        tracing::warn!(agent = %spec.name, "session {id} holds no conversation to resume; starting session {fresh}");
        args.extend(["--session-id".to_string(), fresh]);
    } else {
        args.extend(["--session-id".to_string(), id.to_string()]);
    }
    args.append(&mut req.args);
    req.args = args;
    let stubs = ctx.stubs;
    let Some(script) = &spec.model_script else {
        return Ok(());
    };
    let url = stubs.url_for(script).await?;
    let home = ws.run_dir(&spec.name).join("home");
    write_claude_json(&home, &spec.cwd)?;
    for (k, v) in [
        ("ANTHROPIC_BASE_URL", url.as_str()),
        ("ANTHROPIC_API_KEY", SCRIPTED_API_KEY),
        ("DISABLE_AUTOUPDATER", "1"),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
        ("DISABLE_TELEMETRY", "1"),
        ("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1"),
        ("HOME", &home.to_string_lossy()),
    ] {
        req.env.push((k.into(), v.into()));
    }
    req.env_remove.extend([
        "ANTHROPIC_AUTH_TOKEN".to_string(),
        "CLAUDE_CONFIG_DIR".to_string(),
    ]);
    Ok(())
}

/// Whether `$HOME/.claude/projects/*/<id>.jsonl` (Claude Code's transcript
/// of session `id`; `CLAUDE_CODE.md` "Sessions") holds a conversation: at
/// least one user message. Claude Code writes transcripts asynchronously, so
/// a process killed right after starting may leave only metadata, which
/// `--resume` refuses ("No conversation found").
pub fn transcript_exists(home: &Path, id: &str) -> bool {
    let file = format!("{id}.jsonl");
    std::fs::read_dir(home.join(".claude/projects"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|d| std::fs::read_to_string(d.path().join(&file)).ok())
        .any(|t| t.lines().any(|l| l.contains("\"type\":\"user\"")))
}

/// Whether a session file of `id` exists at all (conversation or not).
pub fn session_file_exists(home: &Path, id: &str) -> bool {
    let file = format!("{id}.jsonl");
    std::fs::read_dir(home.join(".claude/projects"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|d| d.path().join(&file).is_file())
}

/// Writes `<dir>/settings.json` (nox's own file; the user's settings are
/// never edited) whose hooks run `nox hook EVENT --agent NAME` for every
/// event of [`EVENTS`]; returns its path.
pub fn write_settings(dir: &Path, nox: &Path, agent: &str) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut hooks = serde_json::Map::new();
    for event in EVENTS {
        let command = format!(
            "{} hook {event} --agent {agent}",
            shell_words::quote(&nox.to_string_lossy())
        );
        // A PermissionRequest hook waits for the user's answer
        // (CLAUDE_CODE.md, "Answering permission prompts from outside the
        // pane"); the others answer at once.
        let timeout = if event == "PermissionRequest" {
            crate::hook::APPROVAL_TIMEOUT_SECS
        } else {
            10
        };
        let mut entry =
            json!({"hooks": [{"type": "command", "command": command, "timeout": timeout}]});
        if matches!(event, "PreToolUse" | "PostToolUse" | "PermissionRequest") {
            entry["matcher"] = json!("*");
        }
        hooks.insert(event.to_string(), json!([entry]));
    }
    let path = dir.join("settings.json");
    crate::sys::atomic_write(
        &path,
        &serde_json::to_vec_pretty(&json!({"hooks": hooks})).unwrap_or_default(),
    )?;
    Ok(path)
}

/// Writes `<dir>/mcp.json`: the MCP server `nox` that Claude Code starts as
/// `nox mcp --agent AGENT` with `NOX_SOCKET` set to `socket`; returns its path.
pub fn write_mcp_config(
    dir: &Path,
    nox: &Path,
    agent: &str,
    socket: &Path,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let doc = json!({"mcpServers": {"nox": {
        "command": nox.to_string_lossy(),
        "args": ["mcp", "--agent", agent],
        "env": {"NOX_SOCKET": socket.to_string_lossy()},
    }}});
    let path = dir.join("mcp.json");
    crate::sys::atomic_write(&path, &serde_json::to_vec_pretty(&doc).unwrap_or_default())?;
    Ok(path)
}

/// Writes (merging into any existing file) `<home>/.claude.json` as
/// `CLAUDE_CODE.md` "Environment for an offline agent" describes.
pub fn write_claude_json(home: &Path, cwd: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(home)?;
    let path = home.join(".claude.json");
    let mut doc: Value = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let key_tail: String = {
        let chars: Vec<char> = SCRIPTED_API_KEY.chars().collect();
        chars[chars.len().saturating_sub(20)..].iter().collect()
    };
    doc["hasCompletedOnboarding"] = json!(true);
    if doc.get("theme").is_none() {
        doc["theme"] = json!("dark");
    }
    doc["customApiKeyResponses"] = json!({"approved": [key_tail], "rejected": []});
    if !doc.get("projects").is_some_and(Value::is_object) {
        doc["projects"] = json!({});
    }
    let project = &mut doc["projects"][cwd.to_string_lossy().as_ref()];
    if !project.is_object() {
        *project = json!({});
    }
    project["hasTrustDialogAccepted"] = json!(true);
    if project.get("allowedTools").is_none() {
        project["allowedTools"] = json!([]);
    }
    crate::sys::atomic_write(&path, &serde_json::to_vec_pretty(&doc).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_register_every_hook_event() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = write_settings(tmp.path(), Path::new("/opt/my nox/nox"), "be").expect("settings");
        let v: Value = serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json");
        for e in EVENTS {
            let cmd = v["hooks"][e][0]["hooks"][0]["command"]
                .as_str()
                .expect("command");
            assert_eq!(cmd, format!("'/opt/my nox/nox' hook {e} --agent be"));
        }
        assert_eq!(v["hooks"]["PreToolUse"][0]["matcher"], "*");
    }

    async fn args_of(ws: &crate::config::Workspace, nox_exe: Option<&Path>) -> Vec<String> {
        let spec = AgentSpec::new(
            "be",
            crate::domain::AgentKind::Claude,
            "claude",
            ws.root.clone(),
        );
        let stubs = super::super::stubs::StubPool::default();
        let ctx = Ctx {
            ws,
            stubs: &stubs,
            nox_exe,
            instance: "t",
        };
        let mut req = SpawnRequest {
            program: "claude".into(),
            args: vec!["--verbose".into()],
            cwd: ws.root.clone(),
            env: Vec::new(),
            env_remove: Vec::new(),
            rows: 10,
            cols: 40,
            cgroup: None,
        };
        apply(&spec, &ctx, "s", &mut req).await.expect("apply");
        req.args
    }

    #[tokio::test]
    async fn a_hooked_claude_gets_nox_mcp_and_its_tools_allowed() {
        let tmp = tempfile::tempdir().expect("tmp");
        let ws = crate::config::Workspace::at(tmp.path());
        let args = args_of(&ws, Some(Path::new("/bin/nox"))).await;
        let at = args
            .iter()
            .position(|a| a == "--mcp-config")
            .expect("--mcp-config");
        let mcp = ws.run_dir("be").join("mcp.json");
        assert_eq!(args[at + 1], mcp.to_string_lossy());
        assert!(mcp.is_file());
        assert_eq!(args[at + 2..at + 4], ["--allowedTools", MCP_TOOLS]);
        // Both take several values: an option follows, and the user's
        // arguments come last.
        assert!(args[at + 4].starts_with("--"), "{args:?}");
        assert_eq!(args.last().map(String::as_str), Some("--verbose"));
        let unhooked = args_of(&ws, None).await;
        assert!(
            !unhooked
                .iter()
                .any(|a| a == "--mcp-config" || a == "--allowedTools")
        );
    }

    #[test]
    fn mcp_config_starts_nox_mcp_for_the_agent_with_its_socket() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = write_mcp_config(
            &tmp.path().join("run/be"),
            Path::new("/opt/my nox/nox"),
            "be",
            Path::new("/w/.nox/nox.sock"),
        )
        .expect("mcp.json");
        assert_eq!(p, tmp.path().join("run/be/mcp.json"));
        let v: Value = serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json");
        assert_eq!(
            v,
            json!({"mcpServers": {"nox": {"command": "/opt/my nox/nox",
                "args": ["mcp", "--agent", "be"], "env": {"NOX_SOCKET": "/w/.nox/nox.sock"}}}})
        );
    }

    #[test]
    fn claude_json_approves_key_tail_and_trusts_cwd() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(
            tmp.path().join(".claude.json"),
            r#"{"numStartups": 3, "theme": "light"}"#,
        )
        .expect("w");
        write_claude_json(tmp.path(), Path::new("/work/proj")).expect("write");
        let v: Value =
            serde_json::from_slice(&std::fs::read(tmp.path().join(".claude.json")).expect("r"))
                .expect("json");
        assert_eq!(v["numStartups"], 3);
        assert_eq!(v["theme"], "light");
        let approved = v["customApiKeyResponses"]["approved"][0]
            .as_str()
            .expect("key");
        assert_eq!(approved.len(), 20);
        assert!(SCRIPTED_API_KEY.ends_with(approved));
        assert_eq!(v["projects"]["/work/proj"]["hasTrustDialogAccepted"], true);
    }
}
