//! `/api/agents` routes (SPEC §6): list, create, one, remove, start, stop,
//! restart, screen, input, approve. An agent's JSON has its live status, pid,
//! restarts, uptime and current task, and its `env` keys only: values may
//! be secrets and never leave nox.

use std::time::SystemTime;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, json_body};
use crate::config::edit::NewAgent;
use crate::domain::{AgentKind, RestartPolicy};
use crate::runtime::{AgentInfo, RuntimeHandle};

pub(super) fn routes() -> Router<RuntimeHandle> {
    Router::new()
        .route("/api/agents", get(list).post(create))
        .route("/api/agents/{name}", get(one).delete(remove))
        .route("/api/agents/{name}/start", post(start))
        .route("/api/agents/{name}/stop", post(stop))
        .route("/api/agents/{name}/restart", post(restart))
        .route("/api/agents/{name}/screen", get(screen))
        .route("/api/agents/{name}/input", post(input))
        .route("/api/agents/{name}/approve", post(approve))
}

/// An agent as the API shows it.
pub fn agent_json(a: &AgentInfo) -> Value {
    let ms = |t: Option<SystemTime>| {
        t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
    };
    let uptime = a
        .started_at
        .filter(|_| a.status.is_live())
        .and_then(|t| t.elapsed().ok())
        .map(|d| d.as_secs());
    json!({
        "name": a.spec.name,
        "kind": a.spec.kind,
        "status": a.status,
        "detail": a.detail,
        "status_since_ms": ms(a.status_since),
        "pid": a.pid,
        "restarts": a.restarts,
        "started_ms": ms(a.started_at),
        "uptime_secs": uptime,
        "current_task": a.task,
        "approval": a.approval,
        "delivery": a.job,
        "inbox": a.inbox,
        "command": a.spec.command,
        "args": a.spec.args,
        "cwd": a.spec.cwd,
        "capabilities": a.spec.capabilities,
        "isolation": a.spec.isolation,
        "restart": a.spec.restart,
        "env_keys": a.spec.env.keys().collect::<Vec<_>>(),
    })
}

fn find(h: &RuntimeHandle, name: &str) -> Result<AgentInfo, ApiError> {
    h.agent(name)
        .ok_or_else(|| crate::runtime::error::no_agent(name).into())
}

async fn list(State(h): State<RuntimeHandle>) -> axum::Json<Value> {
    axum::Json(Value::Array(h.agents().iter().map(agent_json).collect()))
}

async fn one(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(agent_json(&find(&h, &name)?)))
}

/// The body of `POST /api/agents` (`nox agent add`): an agent definition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    /// `[a-z0-9][a-z0-9_-]{0,31}`.
    pub name: String,
    /// `claude` (default `generic`).
    #[serde(default)]
    pub kind: AgentKind,
    /// The program (default `claude` for claude agents).
    #[serde(default)]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Capabilities for routing.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// `worktree` or `none`.
    #[serde(default)]
    pub isolation: crate::domain::Isolation,
    /// Restart policy.
    #[serde(default)]
    pub restart: Option<RestartPolicy>,
}

impl AgentRequest {
    /// The definition to write into nox.toml.
    pub fn into_new(self) -> NewAgent {
        let program = self.command.unwrap_or_else(|| match self.kind {
            AgentKind::Claude => "claude".into(),
            AgentKind::Generic => String::new(),
        });
        let mut argv = vec![program];
        argv.extend(self.args);
        NewAgent {
            name: self.name,
            kind: self.kind,
            argv: argv.into_iter().filter(|a| !a.is_empty()).collect(),
            capabilities: self.capabilities,
            worktree: self.isolation == crate::domain::Isolation::Worktree,
            restart: self.restart,
        }
    }
}

async fn create(
    State(h): State<RuntimeHandle>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: AgentRequest = json_body(&body)?;
    let info = h.add_agent(req.into_new()).await?;
    Ok((StatusCode::CREATED, axum::Json(agent_json(&info))).into_response())
}

async fn remove(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<axum::Json<Value>, ApiError> {
    h.remove_agent(&name).await?;
    Ok(axum::Json(json!({"removed": name})))
}

fn control(
    h: &RuntimeHandle,
    name: &str,
    f: impl FnOnce(&RuntimeHandle, &str) -> crate::runtime::error::Result<()>,
) -> Result<Response, ApiError> {
    f(h, name)?;
    let info = find(h, name)?;
    Ok((StatusCode::ACCEPTED, axum::Json(agent_json(&info))).into_response())
}

async fn start(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    control(&h, &name, RuntimeHandle::start_agent)
}

async fn stop(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    control(&h, &name, RuntimeHandle::stop_agent)
}

async fn restart(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    control(&h, &name, RuntimeHandle::restart_agent)
}

async fn screen(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let s = h
        .screen(&name, 0)
        .ok_or_else(|| ApiError::from(crate::runtime::error::no_agent(&name)))?;
    Ok(axum::Json(json!({
        "rows": s.lines(),
        "cursor": s.cursor.map(|(r, c)| [r, c]),
        "cols": s.cols,
        "rows_n": s.rows,
        "title": s.title,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputRequest {
    text: String,
    #[serde(default)]
    submit: bool,
}

async fn input(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let req: InputRequest = json_body(&body)?;
    let modes = h
        .modes(&name)
        .ok_or_else(|| ApiError::from(crate::runtime::error::no_agent(&name)))?;
    let mut bytes = crate::runtime::pty::keys::encode_paste(&req.text, modes.bracketed_paste);
    if req.submit {
        bytes.push(b'\r');
    }
    if !h.input(&name, &bytes) {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "not_running",
            format!("agent {name:?} has no running process"),
        ));
    }
    Ok(axum::Json(json!({"typed": bytes.len()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveRequest {
    allow: bool,
}

/// Answers the agent's pending permission request: `{"allow": true}`; 409
/// when none is pending. Who decided is `api`, or `cli` for `nox` itself.
async fn approve(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let req: ApproveRequest = json_body(&body)?;
    let by = match headers.get("x-nox-client").and_then(|v| v.to_str().ok()) {
        Some("cli") => "cli",
        _ => "api",
    };
    let a = h.approve(&name, req.allow, by).await?;
    Ok(axum::Json(
        json!({"agent": name, "approval": a, "allow": req.allow, "by": by}),
    ))
}
