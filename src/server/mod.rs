//! The control socket `.nox/nox.sock` (HTTP over a Unix socket, mode 0600,
//! SPEC §2, §6): how the CLI, `nox hook` and later `nox mcp` reach the
//! running instance. Routes live in one file per resource; errors are
//! `{"error": {"code", "message"}}` ([`error`]); serving has connection,
//! time and size limits ([`listen`]).

pub mod agents;
pub mod agents_io;
pub mod auth;
pub mod error;
pub mod events;
pub mod feed;
pub mod layers;
pub mod listen;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod slot;
pub mod stall;
pub mod tasks;
pub mod views;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use serde::Deserialize;
use serde_json::Value;
use tokio::net::UnixListener;
use utoipa::IntoParams;

pub use error::ApiError;
use error::ErrorBody;

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

/// The routes served on the socket and on `--listen` (each described in
/// [`openapi::api`], which puts the handler deadline on all but the routes
/// that wait), in the middleware of [`layers::apply`].
pub fn router(handle: RuntimeHandle) -> Router {
    let (routes, _) = openapi::api().split_for_parts();
    layers::apply(routes.fallback(error::no_route))
        // Added last, so it times the whole stack; as a `Router::layer`, it
        // still sees the matched route.
        .layer(axum::middleware::from_fn_with_state(
            handle.clone(),
            metrics::track,
        ))
        .with_state(handle)
}

/// Parses a JSON body; a 400 naming what is wrong.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("bad_json", format!("bad request body: {e}")))
}

/// Whether the instance answers; needs no token on TCP.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "health",
    responses((status = 200, description = "The instance answers", body = views::Health))
)]
async fn health(State(h): State<RuntimeHandle>) -> Result<axum::Json<views::Health>, ApiError> {
    let counts = h.task_counts()?;
    Ok(axum::Json(views::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        agents: h.agent_count(),
        tasks: counts,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HookQuery {
    /// The agent the hook ran for.
    agent: String,
}

/// Internal: a Claude Code hook event of an agent.
///
/// Sent by `nox hook EVENT --agent NAME`, which Claude Code runs; not a
/// public interface.
#[utoipa::path(
    post,
    path = "/hook/{event}",
    operation_id = "hook",
    tag = "internal",
    params(
        ("event" = String, Path, description = "The hook event (`SessionStart`, `UserPromptSubmit`, `PreToolUse`, `PermissionRequest`, `PostToolUse`, `Notification`, `Stop`, `SessionEnd`)"),
        HookQuery,
    ),
    request_body(content = Object, description = "The hook's JSON payload as Claude Code wrote it on stdin", content_type = "application/json"),
    responses(
        (status = 200, description = "What the hook prints for Claude Code (JSON text, often empty)", body = String, content_type = "text/plain"),
        (status = 400, description = "The payload is not JSON (`bad_json`) or not a valid hook (`bad_hook`)", body = ErrorBody),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
        (status = 422, description = "The agent takes no hooks (`refused`)", body = ErrorBody),
    ),
    extensions(("x-internal" = json!(true)))
)]

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
