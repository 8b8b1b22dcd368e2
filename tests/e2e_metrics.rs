//! `GET /metrics` on the socket and on loopback (behind the token), read
//! back with a Prometheus text parser (`prometheus-parse`): agents, tasks
//! and messages by status, restarts, deliveries, PTY bytes per agent, and
//! HTTP requests as latency histograms by route and status.

use std::time::Duration;

use prometheus_parse::{Scrape, Value};
use serde_json::json;

use crate::e2e_headless::{http, start_listening};
use crate::support::{Ws, eventually, socket_call};

const FLAKY: &str = r#"
[[agent]]
name = "flaky"
command = "sh"
args = ["-c", "exit 1"]
"#;

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text")
}

/// The value of the sample `metric` whose labels include all of `labels`.
/// (Counts, so whole numbers.)
fn value(s: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<i64> {
    s.samples
        .iter()
        .find(|x| {
            x.metric == metric
                && labels
                    .iter()
                    .all(|(k, v)| x.labels.get(k).is_some_and(|l| l == *v))
        })
        .and_then(|x| match &x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v.round() as i64),
            Value::Histogram(_) | Value::Summary(_) => None,
        })
}

fn scrape_socket(ws: &Ws) -> Scrape {
    let (status, text) = nox::client::request(
        &ws.file(".nox/nox.sock"),
        "GET",
        "/metrics",
        &[],
        None,
        Duration::from_secs(10),
    )
    .expect("metrics");
    assert_eq!(status, 200, "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    parse(&text)
}

#[test]
fn metrics_parse_and_count_what_happened_on_both_listeners() {
    let ws = Ws::new(&format!("{}{FLAKY}", crate::support::BASH_SH));
    let (mut nox, addr, token) = start_listening(&ws, &[]);
    let bearer = format!("Bearer {token}");

    eventually("sh is idle", 30, || {
        crate::support::socket_get(ws.path(), "/api/agents/sh")["status"] == "idle"
    });
    let (st, _) = socket_call(
        ws.path(),
        "POST",
        "/api/tasks",
        Some(&json!({"title": "greet", "body": "echo hello-metrics", "assign": "sh"})),
    );
    assert_eq!(st, 201);
    eventually("the task is done", 30, || {
        crate::support::socket_get(ws.path(), "/api/tasks/1")["task"]["status"] == "done"
    });
    let (st, _) = socket_call(
        ws.path(),
        "POST",
        "/api/messages",
        Some(&json!({"from": "user", "to": "sh", "text": "echo a-note"})),
    );
    assert_eq!(st, 201);
    let (st, _) = socket_call(ws.path(), "GET", "/api/agents/ghost", None);
    assert_eq!(st, 404);
    let (st, _) = socket_call(ws.path(), "GET", "/no/such/route", None);
    assert_eq!(st, 404);

    eventually("the message is delivered and flaky restarted", 30, || {
        let s = scrape_socket(&ws);
        value(&s, "nox_messages", &[("state", "delivered")]) == Some(1)
            && value(&s, "nox_agent_restarts_total", &[("agent", "flaky")]).is_some_and(|n| n >= 1)
    });
    let s = scrape_socket(&ws);
    let v = |m: &str, l: &[(&str, &str)]| value(&s, m, l).unwrap_or(-1);
    assert_eq!(v("nox_agents", &[("status", "idle")]), 1);
    assert_eq!(
        v("nox_agents", &[("status", "busy")]),
        0,
        "every status has a series"
    );
    assert_eq!(v("nox_tasks", &[("status", "done")]), 1);
    assert_eq!(v("nox_tasks", &[("status", "failed")]), 0);
    assert_eq!(v("nox_messages", &[("state", "refused")]), 0);
    let sent = [("agent", "sh"), ("outcome", "sent")];
    let confirmed = [("agent", "sh"), ("outcome", "confirmed")];
    assert_eq!(v("nox_task_deliveries_total", &sent), 1);
    assert_eq!(v("nox_task_deliveries_total", &confirmed), 1);
    assert_eq!(v("nox_message_transitions_total", &[("kind", "sent")]), 1);
    assert_eq!(
        v("nox_message_transitions_total", &[("kind", "delivered")]),
        1
    );
    assert!(v("nox_events_total", &[("kind", "task.created")]) >= 1);
    // What nox typed into sh, and what sh printed back.
    assert!(
        v(
            "nox_pty_bytes_total",
            &[("agent", "sh"), ("direction", "out")]
        ) >= 5
    );
    assert!(
        v(
            "nox_pty_bytes_total",
            &[("agent", "sh"), ("direction", "in")]
        ) > 10
    );

    // HTTP: histograms by route template and status.
    let hist = |route: &str, status: &str| {
        s.samples.iter().find_map(|x| match &x.value {
            Value::Histogram(h)
                if x.metric == "nox_http_request_duration_seconds"
                    && x.labels.get("route") == Some(route)
                    && x.labels.get("status") == Some(status) =>
            {
                h.last().map(|b| b.count.round() as i64)
            }
            _ => None,
        })
    };
    assert_eq!(
        hist("/api/agents/:name", "404"),
        Some(1),
        "one series per route, not per name"
    );
    assert_eq!(hist("unmatched", "404"), Some(1));
    assert_eq!(hist("/api/tasks", "201"), Some(1));
    assert!(hist("/metrics", "200").is_some_and(|n| n >= 1));

    // Loopback: the same text behind the token.
    let host_header = ("Host", addr.as_str());
    let (st, _) = http(&addr, "GET", "/metrics", &[host_header]);
    assert_eq!(st, 401);
    let (st, text) = http(
        &addr,
        "GET",
        "/metrics",
        &[host_header, ("Authorization", &bearer)],
    );
    assert_eq!(st, 200);
    let tcp = parse(&text);
    assert_eq!(value(&tcp, "nox_tasks", &[("status", "done")]), Some(1));

    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}
