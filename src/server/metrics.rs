//! `GET /metrics` (the instance's Prometheus metrics, from
//! [`crate::runtime::metrics`]) and the middleware that times every HTTP
//! request into them by route, method and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiError;
use crate::runtime::RuntimeHandle;
use crate::runtime::metrics::{CONTENT_TYPE, HttpLabels};

pub(super) fn routes() -> OpenApiRouter<RuntimeHandle> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// The metrics in the OpenMetrics text format Prometheus scrapes.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "meta",
    responses(
        (status = 200, description = "Prometheus metrics (OpenMetrics 1.0 text): nox_agents{status}, nox_tasks{status}, nox_messages{state}, nox_agent_restarts_total{agent}, nox_task_deliveries_total{agent,outcome}, nox_message_transitions_total{kind}, nox_events_total{kind}, nox_pty_bytes_total{agent,direction}, nox_http_request_duration_seconds{route,method,status} (a histogram)", body = String, content_type = "application/openmetrics-text"),
    )
)]
async fn metrics(State(h): State<RuntimeHandle>) -> Result<Response, ApiError> {
    let text = h.metrics_text().await?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// A route template as a label value: `/api/agents/{name}` becomes
/// `/api/agents/:name`, as braces inside label values trip up some
/// exposition parsers (the text format allows them).
fn route_label(template: &str) -> String {
    template.replace('{', ":").replace('}', "")
}

/// Times a request from its head to its answer's head and counts it under
/// its route template (`unmatched` when no route matched).
pub async fn track(State(h): State<RuntimeHandle>, req: Request, next: Next) -> Response {
    let began = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| route_label(p.as_str()));
    let method = req.method().to_string();
    let resp = next.run(req).await;
    h.metrics().http(
        &HttpLabels {
            route,
            method,
            status: resp.status().as_u16(),
        },
        began.elapsed(),
    );
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_templates_become_colon_labels() {
        assert_eq!(
            super::route_label("/api/agents/{name}/input"),
            "/api/agents/:name/input"
        );
        assert_eq!(super::route_label("/health"), "/health");
    }
}
