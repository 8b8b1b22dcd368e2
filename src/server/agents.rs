//! `/api/agents` routes (SPEC §6): list, create, one, remove, start, stop,
//! restart, screen, input, approve. An agent's JSON has its live status, pid,
//! restarts, uptime and current task, and its `env` keys only: values may
//! be secrets and never leave nox.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::views::{AgentView, Decision, Removed, ScreenView, Typed};
use super::{ApiError, json_body};
use crate::config::edit::NewAgent;
use crate::domain::{AgentKind, RestartPolicy};
use crate::runtime::{AgentInfo, RuntimeHandle};

pub(super) fn routes() -> OpenApiRouter<RuntimeHandle> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one, remove))
        .routes(routes!(start))
        .routes(routes!(stop))
        .routes(routes!(restart))
        .routes(routes!(screen))
        .routes(routes!(input))
        .routes(routes!(approve))
}

/// An agent as the API shows it ([`AgentView`]), as a JSON value.
pub fn agent_json(a: &AgentInfo) -> Value {
    serde_json::to_value(AgentView::from(a)).unwrap_or(Value::Null)
}

fn find(h: &RuntimeHandle, name: &str) -> Result<AgentInfo, ApiError> {
    h.agent(name)
        .ok_or_else(|| crate::runtime::error::no_agent(name).into())
}

/// Every agent.
#[utoipa::path(
    get,
    path = "/api/agents",
    operation_id = "listAgents",
    tag = "agents",
    responses((status = 200, description = "The agents, in nox.toml's order", body = Vec<AgentView>))
)]
async fn list(State(h): State<RuntimeHandle>) -> axum::Json<Vec<AgentView>> {
    axum::Json(h.agents().iter().map(AgentView::from).collect())
}

/// One agent.
#[utoipa::path(
    get,
    path = "/api/agents/{name}",
    operation_id = "getAgent",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    responses(
        (status = 200, description = "The agent", body = AgentView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
    )
)]
async fn one(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<axum::Json<AgentView>, ApiError> {
    Ok(axum::Json(AgentView::from(&find(&h, &name)?)))
}

/// The body of `POST /api/agents` (`nox agent add`): an agent definition.
#[derive(Debug, Deserialize, ToSchema)]
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

/// Adds an agent: writes it into nox.toml and starts it.
#[utoipa::path(
    post,
    path = "/api/agents",
    operation_id = "createAgent",
    tag = "agents",
    request_body = AgentRequest,
    responses(
        (status = 201, description = "The new agent", body = AgentView),
        (status = 400, description = "The body is not an agent definition (`bad_json`)", body = ErrorBody),
        (status = 409, description = "The name is taken (`conflict`)", body = ErrorBody),
        (status = 422, description = "The definition is refused: a bad name, a reserved name, no command (`refused`)", body = ErrorBody),
    )
)]
async fn create(
    State(h): State<RuntimeHandle>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: AgentRequest = json_body(&body)?;
    let info = h.add_agent(req.into_new()).await?;
    Ok((StatusCode::CREATED, axum::Json(AgentView::from(&info))).into_response())
}

/// Stops an agent and removes it from nox.toml.
#[utoipa::path(
    delete,
    path = "/api/agents/{name}",
    operation_id = "removeAgent",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    responses(
        (status = 200, description = "The agent was removed", body = Removed),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
    )
)]
async fn remove(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<axum::Json<Removed>, ApiError> {
    h.remove_agent(&name).await?;
    Ok(axum::Json(Removed { removed: name }))
}

fn control(
    h: &RuntimeHandle,
    name: &str,
    f: impl FnOnce(&RuntimeHandle, &str) -> crate::runtime::error::Result<()>,
) -> Result<Response, ApiError> {
    f(h, name)?;
    let info = find(h, name)?;
    Ok((StatusCode::ACCEPTED, axum::Json(AgentView::from(&info))).into_response())
}

/// Starts the agent's process.
#[utoipa::path(
    post,
    path = "/api/agents/{name}/start",
    operation_id = "startAgent",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    responses(
        (status = 202, description = "Accepted; the agent as it is now (its status changes in a moment)", body = AgentView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not possible in the agent's state (`conflict`)", body = ErrorBody),
    )
)]
async fn start(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    control(&h, &name, RuntimeHandle::start_agent)
}

/// Stops the agent's process (SIGTERM, then SIGKILL after the grace period).
#[utoipa::path(
    post,
    path = "/api/agents/{name}/stop",
    operation_id = "stopAgent",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    responses(
        (status = 202, description = "Accepted; the agent as it is now (its status changes in a moment)", body = AgentView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not possible in the agent's state (`conflict`)", body = ErrorBody),
    )
)]
async fn stop(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    control(&h, &name, RuntimeHandle::stop_agent)
}

/// Stops and starts the agent's process.
#[utoipa::path(
    post,
    path = "/api/agents/{name}/restart",
    operation_id = "restartAgent",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    responses(
        (status = 202, description = "Accepted; the agent as it is now (its status changes in a moment)", body = AgentView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not possible in the agent's state (`conflict`)", body = ErrorBody),
    )
)]
async fn restart(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    control(&h, &name, RuntimeHandle::restart_agent)
}

/// The agent's terminal screen as text.
#[utoipa::path(
    get,
    path = "/api/agents/{name}/screen",
    operation_id = "agentScreen",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    responses(
        (status = 200, description = "The screen", body = ScreenView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
    )
)]
async fn screen(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<axum::Json<ScreenView>, ApiError> {
    let s = h
        .screen(&name, 0)
        .ok_or_else(|| ApiError::from(crate::runtime::error::no_agent(&name)))?;
    Ok(axum::Json(ScreenView::from(&s)))
}

/// The body of `POST /api/agents/{name}/input`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InputRequest {
    /// Text to type (as a bracketed paste when the program asked for it).
    text: String,
    /// Press Enter after it.
    #[serde(default)]
    submit: bool,
}

/// Types text into the agent's terminal.
#[utoipa::path(
    post,
    path = "/api/agents/{name}/input",
    operation_id = "agentInput",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    request_body = InputRequest,
    responses(
        (status = 200, description = "Typed", body = Typed),
        (status = 400, description = "The body is not an input request (`bad_json`)", body = ErrorBody),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
        (status = 409, description = "The agent has no running process (`not_running`)", body = ErrorBody),
    )
)]
async fn input(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Typed>, ApiError> {
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
    Ok(axum::Json(Typed { typed: bytes.len() }))
}

/// The body of `POST /api/agents/{name}/approve`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ApproveRequest {
    /// Let the tool run (`true`) or refuse it (`false`).
    allow: bool,
}

/// Answers the agent's pending permission request.
///
/// `{"allow": true}` lets the tool run; 409 when none is pending. Who
/// decided is `api`, or `cli` for `nox` itself.
#[utoipa::path(
    post,
    path = "/api/agents/{name}/approve",
    operation_id = "approveAgent",
    tag = "agents",
    params(
        ("name" = String, Path, description = "The agent"),
        ("X-Nox-Client" = Option<String>, Header, description = "`cli` when `nox approve` decides; anything else counts as `api`"),
    ),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "The request was answered", body = Decision),
        (status = 400, description = "The body is not an approval (`bad_json`)", body = ErrorBody),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
        (status = 409, description = "No permission request is pending (`conflict`)", body = ErrorBody),
    )
)]
async fn approve(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::Json<Decision>, ApiError> {
    let req: ApproveRequest = json_body(&body)?;
    let by = match headers.get("x-nox-client").and_then(|v| v.to_str().ok()) {
        Some("cli") => "cli",
        _ => "api",
    };
    let a = h.approve(&name, req.allow, by).await?;
    Ok(axum::Json(Decision {
        agent: name,
        approval: a,
        allow: req.allow,
        by: by.to_string(),
    }))
}
