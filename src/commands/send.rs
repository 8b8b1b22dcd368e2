//! `nox send AGENT TEXT` (SPEC §3): a message from the user. Through the
//! running instance it is queued and delivered as SPEC §7 says (the exit
//! code says whether it was accepted: 0 queued, 1 refused); with no
//! instance it is stored as queued and the next instance delivers it.

use serde_json::json;

use super::instance::{EXIT_STORE, Failure, Route, answer, call};
use crate::config::Workspace;
use crate::domain::message::USER;
use crate::domain::{MessageKind, MessageState, NewMessage};
use crate::say;

/// Sends `text` from the user to `agent`; returns the exit code.
pub fn run(ws: &Workspace, agent: &str, text: &str) -> u8 {
    match go(ws, agent, text) {
        Ok(()) => 0,
        Err((code, msg)) => {
            eprintln!("nox: {msg}");
            code
        }
    }
}

fn go(ws: &Workspace, agent: &str, text: &str) -> Result<(), Failure> {
    let from = super::instance::acting_agent().unwrap_or_else(|| USER.to_string());
    let body = json!({"from": from, "to": agent, "text": text});
    match call(
        ws,
        "POST",
        "/api/messages",
        Some(&body),
        &[("X-Nox-Client", "cli")],
    )? {
        Route::Instance(status, body) => {
            let m = answer(status, &body).map_err(|(code, msg)| {
                if status == 429 {
                    (1, format!("refused: {msg}"))
                } else {
                    (code, msg)
                }
            })?;
            say!(
                "message {} to {agent} {}",
                m["id"].as_u64().unwrap_or(0),
                m["state"].as_str().unwrap_or("queued")
            );
            Ok(())
        }
        Route::Files => offline(ws, agent, text),
    }
}

/// No instance: checks the receiver in nox.toml and queues the message in
/// the store.
fn offline(ws: &Workspace, agent: &str, text: &str) -> Result<(), Failure> {
    let cfg =
        crate::config::load_config(&ws.config_path(), &ws.root).map_err(|e| (2, e.to_string()))?;
    if !cfg.agents.iter().any(|a| a.name == agent) {
        return Err((
            2,
            format!("no agent named {agent:?} in {}", ws.config_path().display()),
        ));
    }
    if text.trim().is_empty() {
        return Err((2, "the message text is empty".into()));
    }
    let limit = crate::domain::limits::MAX_TASK_BODY;
    if text.len() > limit {
        return Err((
            2,
            format!(
                "the message is {} bytes; the limit is {limit} bytes",
                text.len()
            ),
        ));
    }
    let db = ws.dir().join("nox.db");
    let store = crate::store::Store::open(&db).map_err(|e| {
        (
            EXIT_STORE,
            format!("cannot open the store {}: {e}", db.display()),
        )
    })?;
    let new = NewMessage {
        from: super::instance::acting_agent().unwrap_or_else(|| USER.to_string()),
        to: agent.into(),
        text: text.into(),
        kind: MessageKind::Message,
        task: None,
    };
    let m = store
        .write(move |c| crate::store::messages::send(c, &new, MessageState::Queued, None))
        .map_err(|e| (EXIT_STORE, format!("cannot write the store: {e}")))?;
    say!(
        "message {} to {agent} queued (no nox instance runs; it is delivered when one starts)",
        m.id
    );
    Ok(())
}
