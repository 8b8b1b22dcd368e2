//! `/api/tasks` routes (SPEC §6): list, create (with an `Idempotency-Key`
//! header: a repeated request returns the task the first one made, 200
//! instead of 201, and creates nothing), one task with its events, cancel,
//! assign.

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, json_body};
use crate::domain::{NewTask, TaskStatus};
use crate::runtime::RuntimeHandle;

/// The header carrying a request's idempotency key (the IETF draft
/// "The Idempotency-Key HTTP Header Field").
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub(super) fn routes() -> Router<RuntimeHandle> {
    Router::new()
        .route("/api/tasks", get(list).post(create))
        .route("/api/tasks/{id}", get(one))
        .route("/api/tasks/{id}/cancel", post(cancel))
        .route("/api/tasks/{id}/assign", post(assign))
        .route("/api/tasks/{id}/complete", post(complete))
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

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(h): State<RuntimeHandle>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let filter =
        match q.status.as_deref() {
            None => None,
            Some(s) => Some(TaskStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request("bad_status", format!("unknown status {s:?}"))
            })?),
        };
    let mut tasks = h.tasks().await?;
    tasks.retain(|t| filter.is_none_or(|f| t.status == f));
    Ok(axum::Json(json!(tasks)))
}

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
    Ok((status, axum::Json(json!(t))).into_response())
}

async fn one(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
) -> Result<axum::Json<Value>, ApiError> {
    let (t, events) = h.task(id).await?;
    Ok(axum::Json(json!({"task": t, "events": events})))
}

async fn cancel(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(json!(h.cancel_task(id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignRequest {
    #[serde(default)]
    agent: Option<String>,
}

async fn assign(
    State(h): State<RuntimeHandle>,
    UrlPath(id): UrlPath<u64>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let req: AssignRequest = if body.is_empty() {
        AssignRequest { agent: None }
    } else {
        json_body(&body)?
    };
    Ok(axum::Json(json!(h.assign_task(id, req.agent).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteRequest {
    summary: String,
}

/// The agent named by `X-Nox-Agent` says its running task is done with
/// `summary` (the MCP `complete_task` tool): 200 with the task; 409 when it
/// is not that agent's current task; 422 without the header.
async fn complete(
    State(h): State<RuntimeHandle>,
    id: Result<UrlPath<u64>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let UrlPath(id) = id.map_err(|e| ApiError::bad_request("bad_id", e.body_text()))?;
    let req: CompleteRequest = json_body(&body)?;
    let Some(agent) = acting_agent(&headers)? else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_agent",
            "only an agent completes a task: send X-Nox-Agent".into(),
        ));
    };
    Ok(axum::Json(json!(
        h.complete_task(id, &agent, req.summary).await?
    )))
}
