//! `/api/agents/{name}/screen`, `/input` and `/approve` (SPEC §6): what an
//! agent's terminal shows, and what is typed or answered into it.

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::views::{Decision, ScreenView, Typed};
use super::{ApiError, json_body};
use crate::runtime::RuntimeHandle;

pub(super) fn routes() -> OpenApiRouter<RuntimeHandle> {
    OpenApiRouter::new()
        .routes(routes!(screen))
        .routes(routes!(input))
        .routes(routes!(approve))
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
