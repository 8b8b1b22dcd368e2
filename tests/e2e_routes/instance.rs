//! The instance itself: `/health`, the OpenAPI description, `/metrics`,
//! the event stream (and its bad `since` and `Last-Event-ID`), an unknown
//! route and a method a route does not take.

use serde_json::Value;

use super::api::Api;

/// Walks the instance's routes on `api`; returns the description.
pub(super) fn walk(api: &Api) -> Value {
    let health = api.get("/health");
    assert_eq!(
        (health["status"].as_str(), health["agents"].as_u64()),
        (Some("ok"), Some(3))
    );
    let spec = api.get("/api/openapi.json");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    let metrics = api.send("GET", "/metrics", &[], None);
    assert_eq!(metrics.status, 200, "{}", metrics.body);
    assert!(
        metrics.body.trim_end().ends_with("# EOF"),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains("nox_agents{"), "{}", metrics.body);
    let events = api.send("GET", "/api/events?follow=false", &[], None);
    assert_eq!(events.status, 200, "{}", events.body);
    assert!(
        events
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/event-stream")),
        "{}",
        events.head
    );
    assert!(
        events.body.lines().any(|l| l.starts_with("id:"))
            && events.body.contains("event: agent.status"),
        "{}",
        events.body
    );
    api.fails("GET", "/api/events?since=soon", None, 400, "bad_request");
    api.fails_with(
        "GET",
        "/api/events",
        &[("Last-Event-ID", "x")],
        None,
        400,
        "bad_id",
    );
    api.fails("GET", "/no/such/route", None, 404, "not_found");
    api.fails("DELETE", "/health", None, 405, "method_not_allowed");
    spec
}
