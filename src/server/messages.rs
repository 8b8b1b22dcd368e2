//! `/api/messages` routes (SPEC §6): the message flow (`GET`, optionally of
//! one agent, newest `limit`, oldest first) and sending (`POST
//! {"from","to","text"}` → 201 with the message; 404 unknown receiver, 422
//! unknown sender or empty text, 413 too large, 429 rate limited — that
//! message is kept as `refused`).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::tasks::AGENT_HEADER;
use super::{ApiError, json_body};
use crate::domain::message::USER;
use crate::domain::{MessageKind, NewMessage};
use crate::runtime::RuntimeHandle;

pub(super) fn routes() -> Router<RuntimeHandle> {
    Router::new().route("/api/messages", get(list).post(send))
}

#[derive(Deserialize)]
struct ListQuery {
    agent: Option<String>,
    #[serde(default)]
    limit: usize,
}

async fn list(
    State(h): State<RuntimeHandle>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    Ok(axum::Json(json!(h.messages(q.agent, q.limit).await?)))
}

/// The body of `POST /api/messages`.
#[derive(Debug, Deserialize)]
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
    Ok((StatusCode::CREATED, axum::Json(json!(m))).into_response())
}
