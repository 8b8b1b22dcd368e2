//! `/api/agents` routes (SPEC §6): list, create, one, remove, start, stop,
//! restart (screen, input and approve are in [`super::agents_io`]). An
//! agent's JSON ([`AgentView`]) has its live status, pid, restarts, uptime
//! and current task, and its `env` keys only: values may be secrets and
//! never leave nox.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::views::{AgentView, Removed};
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
        .merge(super::agents_io::routes())
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
        (status = 202, description = "Accepted; the agent as it is now (its status changes in a moment). Idempotent: starting a running agent or stopping a stopped one is accepted and changes nothing", body = AgentView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
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
        (status = 202, description = "Accepted; the agent as it is now (its status changes in a moment). Idempotent: starting a running agent or stopping a stopped one is accepted and changes nothing", body = AgentView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
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
        (status = 202, description = "Accepted; the agent as it is now (its status changes in a moment). Idempotent: starting a running agent or stopping a stopped one is accepted and changes nothing", body = AgentView),
        (status = 404, description = "No such agent (`not_found`)", body = ErrorBody),
    )
)]
async fn restart(
    State(h): State<RuntimeHandle>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, ApiError> {
    control(&h, &name, RuntimeHandle::restart_agent)
}
