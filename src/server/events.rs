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

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;
use serde::Deserialize;

use super::{ApiError, feed};
use crate::runtime::RuntimeHandle;

pub(super) fn routes() -> Router<RuntimeHandle> {
    Router::new().route("/api/events", get(events))
}

#[derive(Deserialize)]
struct EventsQuery {
    since: Option<u64>,
    follow: Option<bool>,
}

async fn events(
    State(h): State<RuntimeHandle>,
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
