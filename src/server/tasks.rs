//! `/api/tasks` routes (SPEC §6): list, create (with an `Idempotency-Key`
//! header: a repeated request returns the task the first one made, 200
//! instead of 201, and creates nothing), one task with its events, cancel,
//! assign.

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::views::TaskDetail;
use super::{ApiError, json_body};
use crate::domain::{NewTask, Task, TaskStatus};
use crate::runtime::RuntimeHandle;

/// The header carrying a request's idempotency key (the IETF draft
/// "The Idempotency-Key HTTP Header Field").
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub(super) fn routes() -> OpenApiRouter<RuntimeHandle> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one))
        .routes(routes!(cancel))
        .routes(routes!(assign))
        .routes(routes!(complete))
}

/// The header naming the agent a request acts for (`nox mcp --agent`).
pub const AGENT_HEADER: &str = "x-nox-agent";

fn acting_agent(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(AGENT_HEADER)
        .map(|v| {
            v.to_str()
                .ok()
                .filter(|s| crate::domain::agent::valid_agent_name(s))
                .map(str::to_string)
                .ok_or_else(|| {
                    ApiError::bad_request("bad_agent", "X-Nox-Agent is not an agent name")
                })
        })
        .transpose()
}

/// The body of `POST /api/tasks` (SPEC §3 `nox task add`).
#[derive(Debug, Deserialize, ToSchema)]
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
    /// The domain's form of this request, created by `by` under `key`.
    pub fn into_new(self, key: Option<String>, by: &str) -> NewTask {
        NewTask {
            body: self.body.unwrap_or_else(|| self.title.clone()),
            title: self.title,
            priority: self.priority,
            needs: self.needs,
            after: self.after,
            assignee: self.assign,
            max_attempts: None,
            key,
            created_by: by.into(),
            parent: None,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only the tasks with this status.
    #[param(value_type = Option<TaskStatus>)]
    status: Option<String>,
}

/// Every task, by priority then id.
#[utoipa::path(
    get,
    path = "/api/tasks",
    operation_id = "listTasks",
    tag = "tasks",
    params(ListQuery),
    responses(
        (status = 200, description = "The tasks", body = Vec<Task>),
        (status = 400, description = "An unknown status (`bad_status`) or a bad query (`bad_request`)", body = ErrorBody),
    )
)]
async fn list(
    State(h): State<RuntimeHandle>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Vec<Task>>, ApiError> {
    let filter =
        match q.status.as_deref() {
            None => None,
            Some(s) => Some(TaskStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request("bad_status", format!("unknown status {s:?}"))
            })?),
        };
    let mut tasks = h.tasks().await?;
    tasks.retain(|t| filter.is_none_or(|f| t.status == f));
    Ok(axum::Json(tasks))
}

/// Creates a task.
///
/// With an `Idempotency-Key`, a repeat returns the task the first request
/// made (200) and creates nothing.
#[utoipa::path(
    post,
    path = "/api/tasks",
    operation_id = "createTask",
    tag = "tasks",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 200 characters: a repeated request with the same key returns the first one's task"),
        ("X-Nox-Agent" = Option<String>, Header, description = "The agent that creates (delegates) it (`nox mcp --agent`)"),
        ("X-Nox-Client" = Option<String>, Header, description = "`cli` when `nox task add` creates it; otherwise the creator is `api`"),
    ),
    request_body = TaskRequest,
    responses(
        (status = 201, description = "The new task", body = Task),
        (status = 200, description = "The task an earlier request with the same `Idempotency-Key` made", body = Task),
        (status = 400, description = "The body is not a task (`bad_json`), a bad `Idempotency-Key` (`bad_key`) or `X-Nox-Agent` (`bad_agent`)", body = ErrorBody),
        (status = 404, description = "The `X-Nox-Agent` or a dependency does not exist (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not possible now (`conflict`)", body = ErrorBody),
        (status = 413, description = "The body text is over the limit (`too_large`)", body = ErrorBody),
        (status = 422, description = "Refused: an unknown assignee, a dependency cycle, an empty title (`refused`)", body = ErrorBody),
    )
)]
async fn create(
    State(h): State<RuntimeHandle>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: TaskRequest = json_body(&body)?;
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| {
            v.to_str()
                .map(str::to_string)
                .map_err(|_| ApiError::bad_request("bad_key", "the Idempotency-Key is not text"))
        })
        .transpose()?;
    if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 200) {
        return Err(ApiError::bad_request(
            "bad_key",
            "the Idempotency-Key must be 1 to 200 characters",
        ));
    }
    let agent = acting_agent(&headers)?;
    let by = if let Some(a) = &agent {
        if h.agent(a).is_none() {
            return Err(crate::runtime::error::no_agent(a).into());
        }
        a.as_str()
    } else if headers.get("x-nox-client").is_some_and(|v| v == "cli") {
        "cli"
    } else {
        "api"
    };
    let (t, made) = h.add_task(req.into_new(key, by)).await?;
    let status = if made {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(t)).into_response())
}

/// One task and its events.
#[utoipa::path(
    get,
    path = "/api/tasks/{id}",
    operation_id = "getTask",
    tag = "tasks",
    params(("id" = u64, Path, description = "The task id")),
    responses(
        (status = 200, description = "The task and its events", body = TaskDetail),
        (status = 400, description = "The id is not a number (`bad_request`)", body = ErrorBody),
        (status = 404, description = "No such task (`not_found`)", body = ErrorBody),
    )
)]
async fn one(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
) -> Result<axum::Json<TaskDetail>, ApiError> {
    let (task, events) = h.task(id).await?;
    Ok(axum::Json(TaskDetail { task, events }))
}

/// Cancels a task (and stops delivering it).
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/cancel",
    operation_id = "cancelTask",
    tag = "tasks",
    params(("id" = u64, Path, description = "The task id")),
    responses(
        (status = 200, description = "The cancelled task", body = Task),
        (status = 400, description = "The id is not a number (`bad_request`)", body = ErrorBody),
        (status = 404, description = "No such task (`not_found`)", body = ErrorBody),
        (status = 409, description = "The task has already ended (`conflict`)", body = ErrorBody),
    )
)]
async fn cancel(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
) -> Result<axum::Json<Task>, ApiError> {
    Ok(axum::Json(h.cancel_task(id).await?))
}

/// The body of `POST /api/tasks/{id}/assign` (an empty body is `{}`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AssignRequest {
    /// The agent to give it to; none: routing decides.
    #[serde(default)]
    agent: Option<String>,
}

/// Sets a queued or blocked task's assignee.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/assign",
    operation_id = "assignTask",
    tag = "tasks",
    params(("id" = u64, Path, description = "The task id")),
    request_body(content = Option<AssignRequest>, description = "Optional: an empty body lets routing decide"),
    responses(
        (status = 200, description = "The task", body = Task),
        (status = 400, description = "The id is not a number or the body not an assignment (`bad_json`)", body = ErrorBody),
        (status = 404, description = "No such task (`not_found`)", body = ErrorBody),
        (status = 409, description = "The task is no longer queued or blocked (`conflict`)", body = ErrorBody),
        (status = 422, description = "An unknown agent (`refused`)", body = ErrorBody),
    )
)]
async fn assign(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Task>, ApiError> {
    let req: AssignRequest = if body.is_empty() {
        AssignRequest { agent: None }
    } else {
        json_body(&body)?
    };
    Ok(axum::Json(h.assign_task(id, req.agent).await?))
}

/// The body of `POST /api/tasks/{id}/complete`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CompleteRequest {
    /// What was done: the task's result.
    summary: String,
}

/// An agent reports its running task done.
///
/// The agent named by `X-Nox-Agent` says its running task is done with
/// `summary` (the MCP `complete_task` tool): 200 with the task; 409 when it
/// is not that agent's current task; 422 without the header.
#[utoipa::path(
    post,
    path = "/api/tasks/{id}/complete",
    operation_id = "completeTask",
    tag = "tasks",
    params(
        ("id" = u64, Path, description = "The task id"),
        ("X-Nox-Agent" = String, Header, description = "The agent whose current task it is"),
    ),
    request_body = CompleteRequest,
    responses(
        (status = 200, description = "The task, done", body = Task),
        (status = 400, description = "The id is not a number (`bad_id`), the body not a completion (`bad_json`), or `X-Nox-Agent` not an agent name (`bad_agent`)", body = ErrorBody),
        (status = 404, description = "No such task (`not_found`)", body = ErrorBody),
        (status = 409, description = "It is not that agent's current task (`conflict`)", body = ErrorBody),
        (status = 413, description = "The summary is over the limit (`too_large`)", body = ErrorBody),
        (status = 422, description = "No `X-Nox-Agent` header (`no_agent`)", body = ErrorBody),
    )
)]
async fn complete(
    State(h): State<RuntimeHandle>,
    id: Result<UrlPath<u64>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::Json<Task>, ApiError> {
    let UrlPath(id) = id.map_err(|e| ApiError::bad_request("bad_id", e.body_text()))?;
    let req: CompleteRequest = json_body(&body)?;
    let Some(agent) = acting_agent(&headers)? else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_agent",
            "only an agent completes a task: send X-Nox-Agent".into(),
        ));
    };
    Ok(axum::Json(h.complete_task(id, &agent, req.summary).await?))
}
