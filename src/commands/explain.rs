//! `nox agent explain NAME` (SPEC §3): why an agent has its status — the
//! evidence (a hook, a screen rule, an exit code, an OS error) and when it
//! was seen — and what it waits on: a pending permission request, a prompt
//! being delivered, queued messages.

use serde_json::Value;

use super::instance::{EXIT_STORE, Failure, Route, answer, call};
use super::out::local_time;
use crate::config::Workspace;
use crate::say;

/// Prints the explanation of agent `name` (JSON with `as_json`).
pub fn go(ws: &Workspace, name: &str, as_json: bool) -> Result<(), Failure> {
    let a = match call(ws, "GET", &format!("/api/agents/{name}"), None, &[])? {
        Route::Instance(status, body) => answer(status, &body)?,
        Route::Files => {
            return Err((
                EXIT_STORE,
                format!(
                    "no nox instance runs for {}: agent {name} has no live status to explain (start nox first)",
                    ws.root.display()
                ),
            ));
        }
    };
    if as_json {
        say!("{}", serde_json::to_string_pretty(&a).unwrap_or_default());
        return Ok(());
    }
    for line in explain(&a) {
        say!("{line}");
    }
    Ok(())
}

/// The explanation of an agent's JSON (`GET /api/agents/{name}`), in lines.
pub fn explain(a: &Value) -> Vec<String> {
    let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
    let since = a["status_since_ms"]
        .as_u64()
        .map_or_else(|| "-".to_string(), local_time);
    let mut out = vec![format!(
        "{} ({}) is {} since {since}",
        s("name"),
        s("kind"),
        s("status")
    )];
    let detail = s("detail");
    out.push(format!(
        "  evidence: {}",
        if detail.is_empty() {
            "none recorded"
        } else {
            &detail
        }
    ));
    if let Some(p) = a["approval"].as_object() {
        let asked = p
            .get("since_ms")
            .and_then(Value::as_u64)
            .map_or_else(|| "-".to_string(), local_time);
        out.push(format!(
            "  pending approval: {} {} (asked {asked}; answer with prefix y / N in the dashboard, or POST /api/agents/{}/approve)",
            p.get("tool").and_then(Value::as_str).unwrap_or("?"),
            p.get("what").and_then(Value::as_str).unwrap_or(""),
            s("name"),
        ));
    }
    if let Some(d) = a["delivery"].as_str() {
        out.push(format!("  delivery: {d}"));
    }
    match a["inbox"].as_u64().unwrap_or(0) {
        0 => {}
        1 => out.push("  inbox: 1 message queued".into()),
        n => out.push(format!("  inbox: {n} messages queued")),
    }
    if let Some(t) = a["current_task"].as_u64() {
        out.push(format!("  task: #{t}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_status_evidence_approval_delivery_and_inbox() {
        let a = serde_json::json!({
            "name": "b", "kind": "claude", "status": "waiting",
            "detail": "permission: Bash touch x", "status_since_ms": 0,
            "approval": {"id": 1, "tool": "Bash", "what": "touch x", "since_ms": 0},
            "delivery": "task 3: taken; the turn runs", "inbox": 2, "current_task": 3,
        });
        let text = explain(&a).join("\n");
        assert!(text.starts_with("b (claude) is waiting since "), "{text}");
        assert!(
            text.contains("evidence: permission: Bash touch x"),
            "{text}"
        );
        assert!(text.contains("pending approval: Bash touch x"), "{text}");
        assert!(text.contains("delivery: task 3: taken"), "{text}");
        assert!(text.contains("inbox: 2 messages queued"), "{text}");
    }
}
