//! `GET /api/events`: the event log as Server-Sent Events (the WHATWG HTML
//! standard, "Server-sent events"): each event's id is its store id, its
//! `event:` name its kind (`agent.status`, `task.updated`, …), its data the
//! event as JSON. A client resumes with `Last-Event-ID` (or `?since=ID`):
//! events after it are replayed from the store, then live ones follow,
//! without a gap or a repeat. `?follow=false` ends the stream after the
//! replay.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::broadcast;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiError;
use super::error::ErrorBody;
use crate::domain::Event;
use crate::runtime::RuntimeHandle;

/// Events read from the store per step of a replay.
const PAGE: usize = 500;

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

struct Feed {
    handle: RuntimeHandle,
    live: broadcast::Receiver<Event>,
    last: u64,
    follow: bool,
    pending: VecDeque<Event>,
    replaying: bool,
}

fn sse(e: &Event) -> SseEvent {
    SseEvent::default()
        .id(e.id.to_string())
        .event(e.body.kind())
        .data(serde_json::to_string(e).unwrap_or_default())
}

impl Feed {
    /// The next event after `last`: from the store while replaying (and
    /// after a lagging receiver lost events), then live.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                self.last = e.id;
                return Some(e);
            }
            if self.replaying {
                let page = self.handle.events(self.last, PAGE).await.ok()?;
                if page.rows < PAGE {
                    self.replaying = false;
                }
                // Rows this version cannot read still move the replay on.
                if let Some(last) = page.last.filter(|_| page.events.is_empty()) {
                    self.last = last;
                }
                self.pending.extend(page.events);
                if !self.pending.is_empty() || self.replaying {
                    continue;
                }
            }
            if !self.follow {
                return None;
            }
            match self.live.recv().await {
                Ok(e) if e.id > self.last => self.pending.push_back(e),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => self.replaying = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// The event log as Server-Sent Events.
///
/// Each event's `id` is its store id, its `event` its kind, its `data` the
/// event as JSON (the `Event` schema). Events after `Last-Event-ID` (or
/// `since`) are replayed, then live ones follow, without a gap or a repeat.
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
        (status = 200, description = "A `text/event-stream`: `id: <event id>`, `event: <kind>`, `data: <Event as JSON>`; a comment line every 15 s keeps it open", body = String, content_type = "text/event-stream"),
        (status = 400, description = "`Last-Event-ID` is not an event id (`bad_id`), or a bad query (`bad_request`)", body = ErrorBody),
    )
)]
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
    // Subscribe before the replay: nothing committed meanwhile is missed,
    // and what the replay already sent is skipped by id.
    let feed = Feed {
        live: h.subscribe(),
        handle: h,
        last: from_header.or(q.since).unwrap_or(0),
        follow: q.follow.unwrap_or(true),
        pending: VecDeque::new(),
        replaying: true,
    };
    let stream = futures_util::stream::unfold(feed, |mut f| async move {
        f.next().await.map(|e| (Ok(sse(&e)), f))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
