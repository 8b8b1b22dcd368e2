//! `/api/messages` routes (SPEC §6): the message flow (`GET`, optionally of
//! one agent, newest `limit`, oldest first) and sending (`POST
//! {"from","to","text"}` → 201 with the message; 404 unknown receiver, 422
//! unknown sender or empty text, 413 too large, 429 rate limited — that
//! message is kept as `refused`).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::tasks::AGENT_HEADER;
use super::{ApiError, json_body};
use crate::domain::message::USER;
use crate::domain::{Message, MessageKind, NewMessage};
use crate::runtime::RuntimeHandle;

pub(super) fn routes() -> OpenApiRouter<RuntimeHandle> {
    OpenApiRouter::new().routes(routes!(list, send))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only the messages sent by or to this agent (or `user`).
    agent: Option<String>,
    /// The newest `limit` messages; 0 (the default): all.
    #[serde(default)]
    #[param(minimum = 0)]
    limit: usize,
}

/// The message flow, oldest first.
#[utoipa::path(
    get,
    path = "/api/messages",
    operation_id = "listMessages",
    tag = "messages",
    params(ListQuery),
    responses(
        (status = 200, description = "The messages, oldest first", body = Vec<Message>),
        (status = 400, description = "A bad query, e.g. a `limit` that is not a number (`bad_query`)", body = ErrorBody),
    )
)]
async fn list(
    State(h): State<RuntimeHandle>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Vec<Message>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    Ok(axum::Json(h.messages(q.agent, q.limit).await?))
}

/// The body of `POST /api/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// Sender (default `user`); an agent's MCP server sends its own name,
    /// and `X-Nox-Agent` must agree.
    #[serde(default)]
    pub from: Option<String>,
    /// Receiver: an agent, or `user`.
    pub to: String,
    /// The text.
    pub text: String,
}

/// Sends a message: it waits in the receiver's inbox until delivered.
#[utoipa::path(
    post,
    path = "/api/messages",
    operation_id = "sendMessage",
    tag = "messages",
    params(("X-Nox-Agent" = Option<String>, Header, description = "The sending agent (`nox mcp --agent`); `from` must agree")),
    request_body = MessageRequest,
    responses(
        (status = 201, description = "The message, queued (or shown, when sent to the user)", body = Message),
        (status = 400, description = "The body is not a message (`bad_json`)", body = ErrorBody),
        (status = 404, description = "No such receiver (`not_found`)", body = ErrorBody),
        (status = 413, description = "The text is over the limit (`too_large`)", body = ErrorBody),
        (status = 422, description = "An unknown sender, empty text (`refused`), or `X-Nox-Agent` and `from` disagree (`bad_sender`)", body = ErrorBody),
        (status = 429, description = "Too many messages between the two (`rate_limited`); the message is kept as `refused`", body = ErrorBody),
    )
)]
async fn send(
    State(h): State<RuntimeHandle>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: MessageRequest = json_body(&body)?;
    let agent = headers.get(AGENT_HEADER).and_then(|v| v.to_str().ok());
    let from = req
        .from
        .or_else(|| agent.map(str::to_string))
        .unwrap_or_else(|| USER.to_string());
    if agent.is_some_and(|a| a != from) {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_sender",
            format!(
                "X-Nox-Agent says {:?}, `from` says {from:?}",
                agent.unwrap_or_default()
            ),
        ));
    }
    let m = h
        .send_message(NewMessage {
            from,
            to: req.to,
            text: req.text,
            kind: MessageKind::Message,
            task: None,
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(m)).into_response())
}
