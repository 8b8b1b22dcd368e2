//! `GET /api/events`: the event log as Server-Sent Events (the WHATWG HTML
//! standard, "Server-sent events"): each event's id is its store id, its
//! `event:` name its kind (`agent.status`, `task.updated`, …), its data the
//! event as JSON. A client resumes with `Last-Event-ID` (or `?since=ID`):
//! events after it are replayed from the store, then live ones follow,
//! without a gap or a repeat. `?follow=false` ends the stream after the
//! replay. Each client has a feed of its own ([`feed`]); one that reads too
//! slowly is dropped, never waited for.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::slot::Slot;
use super::{ApiError, feed};
use crate::domain::limits::MAX_STREAMS;
use crate::runtime::RuntimeHandle;

pub(super) fn routes() -> OpenApiRouter<RuntimeHandle> {
    OpenApiRouter::new().routes(routes!(events))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Replay the events after this id (`Last-Event-ID` wins when both are sent).
    since: Option<u64>,
    /// Keep the stream open for live events after the replay (default `true`).
    follow: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/api/events",
    operation_id = "events",
    tag = "events",
    params(
        EventsQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event id (the SSE reconnection header)"),
    ),
    responses(
        (status = 200, description = "A `text/event-stream`: `id: <event id>`, `event: <kind>`, `data: <Event as JSON>`; a comment line every 15 s keeps it open. A client that leaves 1024 events (or 8 MiB) unread is dropped and may reconnect with `Last-Event-ID`", body = String, content_type = "text/event-stream"),
        (status = 400, description = "`Last-Event-ID` is not an event id (`bad_id`), or a bad query (`bad_request`)", body = ErrorBody),
        (status = 503, description = "All 256 event streams of this listener are open (`busy`); streams do not count against the 64 connections served for requests", body = ErrorBody),
    )
)]
async fn events(
    State(h): State<RuntimeHandle>,
    slot: Option<Extension<Slot>>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let from_header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim().parse::<u64>().map_err(|_| {
                ApiError::bad_request("bad_id", format!("Last-Event-ID {v:?} is not an event id"))
            })
        })
        .transpose()?;
    // A stream stays open: its connection leaves the request budget for
    // the stream budget.
    if let Some(Extension(slot)) = slot {
        if !slot.into_stream() {
            return Err(ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!("{MAX_STREAMS} event streams are open on this listener; try again later"),
            ));
        }
    }
    let outlet = feed::start(
        h,
        from_header.or(q.since).unwrap_or(0),
        q.follow.unwrap_or(true),
    );
    let stream =
        futures_util::stream::unfold(
            outlet,
            |mut o| async move { o.next().await.map(|e| (Ok(e), o)) },
        );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
