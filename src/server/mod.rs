//! The control socket `.nox/nox.sock` (HTTP over a Unix socket, mode 0600,
//! SPEC §2): how `nox hook` (and later the CLI and MCP) reach the running
//! instance. Errors are `{"error": {"code", "message"}}` with a 4xx status.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::UnixListener;

use crate::domain::hook::HookEvent;
use crate::runtime::RuntimeHandle;

/// An API error: status, machine code, human message.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub &'static str, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            axum::Json(json!({"error": {"code": self.1, "message": self.2}})),
        )
            .into_response()
    }
}

/// Binds the control socket at `path`. A stale socket file (no instance
/// answers) is replaced; a live one means another nox runs for this
/// workspace, which is an `AddrInUse` error saying so.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!(
                    "another nox instance is running for this workspace ({} answers)",
                    path.display()
                ),
            ));
        }
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// The routes served on the socket.
pub fn router(handle: RuntimeHandle) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/agents", get(agents))
        .route("/hook/{event}", post(hook))
        .route("/api/tasks", get(list_tasks).post(add_task))
        .route("/api/tasks/{id}", get(show_task))
        .route("/api/tasks/{id}/cancel", post(cancel_task))
        .with_state(handle)
}

/// Serves `router` on `listener` until the runtime ends; removes the socket
/// file when the server stops.
pub fn spawn(listener: UnixListener, path: PathBuf, handle: RuntimeHandle) {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(handle)).await {
            tracing::error!("control socket {}: {e}", path.display());
        }
        let _ = std::fs::remove_file(&path);
    });
}

async fn health(State(h): State<RuntimeHandle>) -> impl IntoResponse {
    axum::Json(
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "agents": h.agents().len()}),
    )
}

async fn agents(State(h): State<RuntimeHandle>) -> impl IntoResponse {
    let list: Vec<Value> = h
        .agents()
        .into_iter()
        .map(|a| {
            json!({"name": a.spec.name, "kind": a.spec.kind, "status": a.status, "detail": a.detail,
                   "pid": a.pid, "restarts": a.restarts})
        })
        .collect();
    axum::Json(list)
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
        ApiError(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the hook payload is not JSON: {e}"),
        )
    })?;
    let ev = HookEvent::parse(&event, &payload).map_err(|e| {
        tracing::warn!(agent = %q.agent, "hook {event}: {e}");
        ApiError(StatusCode::BAD_REQUEST, "bad_hook", e)
    })?;
    tracing::debug!(agent = %q.agent, "hook {event}");
    h.hook(&q.agent, ev).await.map_err(|e| {
        tracing::warn!("hook {event}: {e}");
        ApiError(StatusCode::NOT_FOUND, "unknown_agent", e)
    })
}

/// The body of `POST /api/tasks` (SPEC §3 `nox task add`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    /// One line.
    pub title: String,
    /// The prompt (default: the title).
    #[serde(default)]
    pub body: Option<String>,
    /// Higher first.
    #[serde(default)]
    pub priority: i32,
    /// Required capabilities.
    #[serde(default)]
    pub needs: Vec<String>,
    /// Dependencies (task ids).
    #[serde(default)]
    pub after: Vec<u64>,
    /// Explicit assignee.
    #[serde(default)]
    pub assign: Option<String>,
}

impl TaskRequest {
    /// The store's form of this request.
    pub fn into_new(self) -> crate::store::tasks::NewTask {
        crate::store::tasks::NewTask {
            body: self.body.unwrap_or_else(|| self.title.clone()),
            title: self.title,
            priority: self.priority,
            needs: self.needs,
            after: self.after,
            assignee: self.assign,
            max_attempts: None,
        }
    }
}

async fn list_tasks(State(h): State<RuntimeHandle>) -> Result<axum::Json<Value>, ApiError> {
    let tasks = h
        .tasks()
        .await
        .map_err(|e| ApiError(StatusCode::CONFLICT, "store", e))?;
    Ok(axum::Json(json!(tasks)))
}

async fn add_task(
    State(h): State<RuntimeHandle>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: TaskRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("bad task: {e}"),
        )
    })?;
    if req.title.trim().is_empty() {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_task",
            "a task needs a title".into(),
        ));
    }
    if let Some(a) = &req.assign
        && h.agent(a).is_none()
    {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_agent",
            format!("no agent named {a:?}"),
        ));
    }
    let t = h
        .add_task(req.into_new())
        .await
        .map_err(|e| ApiError(StatusCode::UNPROCESSABLE_ENTITY, "refused", e))?;
    Ok((StatusCode::CREATED, axum::Json(json!(t))).into_response())
}

async fn show_task(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
) -> Result<axum::Json<Value>, ApiError> {
    match h
        .task(id)
        .await
        .map_err(|e| ApiError(StatusCode::CONFLICT, "store", e))?
    {
        Some((t, events)) => Ok(axum::Json(json!({"task": t, "events": events}))),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            "no_task",
            format!("no task {id}"),
        )),
    }
}

async fn cancel_task(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
) -> Result<axum::Json<Value>, ApiError> {
    h.cancel_task(id)
        .await
        .map(|t| axum::Json(json!(t)))
        .map_err(|e| ApiError(StatusCode::CONFLICT, "refused", e))
}
