//! `nox hook EVENT --agent NAME`: run by Claude Code for each hook event with
//! the event's JSON on stdin. Forwards it to the running instance over the
//! control socket and prints the instance's answer (if any) on stdout. It
//! always exits 0 and waits at most [`HOOK_WAIT`], except a
//! PermissionRequest, which waits up to [`APPROVAL_WAIT`] for the user's
//! answer (Claude Code's own dialog stays usable meanwhile). A miss (no
//! instance, an error answer) is appended to `.nox/logs/hooks.log`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// How long a hook waits for the instance (a hook must never hold up the agent).
pub const HOOK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The `timeout` nox's settings give the PermissionRequest hook, in
/// seconds (Claude Code ends the hook after it).
pub const APPROVAL_TIMEOUT_SECS: u64 = 600;

/// How long a PermissionRequest hook waits for an answer: a little less
/// than [`APPROVAL_TIMEOUT_SECS`], so it ends by itself.
pub const APPROVAL_WAIT: std::time::Duration =
    std::time::Duration::from_secs(APPROVAL_TIMEOUT_SECS - 10);

/// Largest payload forwarded, in bytes.
pub const MAX_PAYLOAD: u64 = 8 * 1024 * 1024;

/// Runs the hook; the exit code is always 0.
pub fn run(event: &str, agent: &str, socket: Option<PathBuf>) -> u8 {
    let mut payload = Vec::new();
    let _ = std::io::stdin().take(MAX_PAYLOAD).read_to_end(&mut payload);
    let Some(socket) = socket else {
        return 0;
    };
    match forward(&socket, event, agent, &payload) {
        Ok(body) => {
            if !body.is_empty() {
                let mut out = std::io::stdout();
                let _ = out.write_all(body.as_bytes());
                let _ = out.flush();
            }
        }
        Err(e) => log_miss(&socket, &format!("{event} for {agent}: {e}")),
    }
    0
}

fn log_miss(socket: &Path, what: &str) {
    let Some(logs) = socket.parent().map(|d| d.join("logs")) else {
        return;
    };
    let _ = std::fs::create_dir_all(&logs);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logs.join("hooks.log"))
    {
        let _ = writeln!(f, "{} hook miss: {what}", crate::store::now_ms());
    }
}

/// POSTs `payload` to `/hook/EVENT?agent=NAME` on the socket; returns the
/// body of a 200 answer, or why there is none.
pub fn forward(socket: &Path, event: &str, agent: &str, payload: &[u8]) -> Result<String, String> {
    let clean = |v: &str| {
        v.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect::<String>()
    };
    let path = format!("/hook/{}?agent={}", clean(event), clean(agent));
    let wait = if event == "PermissionRequest" {
        APPROVAL_WAIT
    } else {
        HOOK_WAIT
    };
    let answer = crate::client::request(socket, "POST", &path, &[], Some(payload), wait)
        .map_err(|e| e.to_string())?;
    match answer {
        (200, body) => Ok(body),
        (status, body) => Err(format!(
            "HTTP {status}: {}",
            crate::client::error_message(&body)
        )),
    }
}
