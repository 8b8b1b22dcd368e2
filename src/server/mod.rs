//! The control socket `.nox/nox.sock` (HTTP over a Unix socket, mode 0600,
//! SPEC §2, §6): how the CLI, `nox hook` and later `nox mcp` reach the
//! running instance. Routes live in one file per resource; errors are
//! `{"error": {"code", "message"}}` ([`error`]); serving has connection,
//! time and size limits ([`listen`]).

pub mod agents;
pub mod auth;
pub mod error;
pub mod events;
pub mod feed;
pub mod layers;
pub mod listen;
pub mod messages;
pub mod stall;
pub mod tasks;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::UnixListener;

pub use error::ApiError;

use crate::domain::hook::HookEvent;
use crate::runtime::RuntimeHandle;

/// Binds the control socket at `path` (mode 0600). A stale socket file is
/// replaced: the caller holds the workspace's instance lock, so no other
/// instance answers on it.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if path.symlink_metadata().is_ok() {
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// The routes served on the socket and on `--listen`: those that answer at
/// once under the handler deadline ([`layers::handler_deadline`]), the hook
/// routes (which wait for a decision) and the event stream without it, all
/// in the middleware of [`layers::apply`].
pub fn router(handle: RuntimeHandle) -> Router {
    let prompt = Router::new()
        .route("/health", get(health))
        .merge(agents::routes())
        .merge(tasks::routes())
        .merge(messages::routes())
        .route_layer(layers::handler_deadline());
    let waiting = Router::new()
        .route("/hook/{event}", post(hook))
        .merge(events::routes());
    layers::apply(
        Router::new()
            .merge(prompt)
            .merge(waiting)
            .fallback(error::no_route),
    )
    .with_state(handle)
}

/// Parses a JSON body; a 400 naming what is wrong.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("bad_json", format!("bad request body: {e}")))
}

async fn health(State(h): State<RuntimeHandle>) -> Result<axum::Json<Value>, ApiError> {
    let counts = h.task_counts().await?;
    Ok(axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "agents": h.agents().len(),
        "tasks": counts,
    })))
}

#[derive(Deserialize)]
struct HookQuery {
    agent: String,
}

async fn hook(
    State(h): State<RuntimeHandle>,
    UrlPath(event): UrlPath<String>,
    Query(q): Query<HookQuery>,
    body: axum::body::Bytes,
) -> Result<String, ApiError> {
    let payload: Value = serde_json::from_slice(&body).map_err(|e| {
        tracing::warn!(agent = %q.agent, "hook {event}: payload is not JSON: {e}");
        ApiError::bad_request("bad_json", format!("the hook payload is not JSON: {e}"))
    })?;
    let ev = HookEvent::parse(&event, &payload).map_err(|e| {
        tracing::warn!(agent = %q.agent, "hook {event}: {e}");
        ApiError::bad_request("bad_hook", e)
    })?;
    tracing::debug!(agent = %q.agent, "hook {event}");
    h.hook(&q.agent, ev).await.map_err(|e| {
        tracing::warn!("hook {event} for {}: {e}", q.agent);
        ApiError::from(e)
    })
}
