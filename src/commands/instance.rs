//! How a subcommand reaches the workspace: through the running instance's
//! control socket when one runs (SPEC §3), else on the files and the store
//! directly. Whether an instance runs is its lock (`.nox/instance.lock`,
//! held for its lifetime), not the socket: an instance that is stopped
//! (`kill -STOP`) or busy still holds it, and then a request that gets no
//! answer is reported, never done a second time on the store.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{self, ClientError};
use crate::config::Workspace;

/// Exit code when the store or the socket fails (SPEC §3).
pub const EXIT_STORE: u8 = 3;

/// Where a request went.
pub enum Route {
    /// The instance answered: HTTP status and body.
    Instance(u16, String),
    /// No instance runs: act on the files and the store.
    Files,
}

/// An error for the user and its exit code.
pub type Failure = (u8, String);

/// The agent a scripted agent's `nox` call acts for: `NOX_ACT_AS`, when it
/// is an agent name (`nox demo`'s generic agents delegate with it). Never
/// taken from `NOX_AGENT`, which every agent's environment has: a user who
/// types `nox task add` in an agent's shell acts for themselves.
pub fn acting_agent() -> Option<String> {
    std::env::var("NOX_ACT_AS")
        .ok()
        .filter(|a| crate::domain::agent::valid_agent_name(a))
}

/// Whether an instance holds the workspace's lock.
pub fn running(ws: &Workspace) -> bool {
    crate::sys::is_locked(&ws.dir().join("instance.lock")).unwrap_or(false)
}

/// Sends a request to the instance if one runs.
pub fn call(
    ws: &Workspace,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Result<Route, Failure> {
    let socket = ws.dir().join("nox.sock");
    let bytes = body.map(|b| b.to_string().into_bytes());
    let started = Instant::now();
    loop {
        match client::request(
            &socket,
            method,
            path,
            headers,
            bytes.as_deref(),
            client::answer_within(),
        ) {
            // Over the connection cap: nothing was read; try again shortly.
            Ok((503, text))
                if text.contains("\"busy\"") && started.elapsed() < Duration::from_secs(5) =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok((status, text)) => return Ok(Route::Instance(status, text)),
            Err(ClientError::NoInstance(_)) if !running(ws) => return Ok(Route::Files),
            // Starting: it holds the lock but has not bound the socket yet.
            Err(ClientError::NoInstance(_)) if started.elapsed() < Duration::from_secs(3) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                return Err((
                    EXIT_STORE,
                    format!(
                        "{e}. A nox instance runs for this workspace, so nothing was done \
                         here instead; the instance may still carry the request out when it \
                         resumes."
                    ),
                ));
            }
        }
    }
}

/// The JSON of a 2xx answer, or the error it carries (exit 2 for a refused
/// or unknown thing, 1 otherwise).
pub fn answer(status: u16, body: &str) -> Result<Value, Failure> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|e| (1, format!("bad answer from nox: {e}")))
    } else {
        let code = if matches!(status, 400 | 404 | 409 | 413 | 422) {
            2
        } else {
            1
        };
        Err((code, client::error_message(body)))
    }
}
