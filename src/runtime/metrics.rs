//! The instance's Prometheus metrics (`GET /metrics`), kept with the
//! maintained `prometheus-client` crate and written in its OpenMetrics text
//! format (which Prometheus reads; the OpenMetrics 1.0 specification).
//!
//! Counters that only grow while nox runs are fed where things happen:
//! every committed event passes [`Metrics::observe`] on the store thread
//! (deliveries, delivery failures, messages delivered or refused, events by
//! kind), and the HTTP middleware calls [`Metrics::http`]. What is a state —
//! agents by status, tasks by status, messages by state, restarts and PTY
//! bytes per agent — is read when scraped ([`Snapshot`]), so it can never
//! drift from the truth.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::domain::event::{Delivery, EventBody};
use crate::domain::message::MessageState;
use crate::domain::task::TaskStatus;
use crate::domain::{AgentStatus, Event};

/// The `Content-Type` of [`Metrics::render`]'s text (OpenMetrics 1.0).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Labels of an HTTP request: its route template (`/api/agents/:name`,
/// `unmatched` for none), method and status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The matched route, not the raw path: one series per route.
    pub route: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// The status code answered.
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    agent: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

/// The long-lived metrics of one instance (shared as `Arc<Metrics>`).
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    http: Family<HttpLabels, Histogram>,
    deliveries: Family<DeliveryLabels, Counter>,
    messages: Family<Kind, Counter>,
    events: Family<Kind, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to ~16 s, doubling.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("nox");
        let http = Family::<HttpLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP requests by route, method and status: time from the request's head to the answer's head, in seconds (the _count is the number of requests)",
            http.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "task_deliveries",
            "Task prompts typed into agents, by agent and outcome: sent, confirmed, retried, stalled (a failure)",
            deliveries.clone(),
        );
        let messages = Family::<Kind, Counter>::default();
        registry.register(
            "message_transitions",
            "Messages sent, delivered and refused since nox started",
            messages.clone(),
        );
        let events = Family::<Kind, Counter>::default();
        registry.register(
            "events",
            "Events committed to the log since nox started, by kind",
            events.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            http,
            deliveries,
            messages,
            events,
        }
    }
}

impl Metrics {
    /// Counts a committed event (called on the store thread: never blocks).
    pub fn observe(&self, e: &Event) {
        self.events
            .get_or_create(&Kind {
                kind: e.body.kind(),
            })
            .inc();
        match &e.body {
            EventBody::TaskDelivery { agent, outcome, .. } => {
                let outcome = match outcome {
                    Delivery::Sent { .. } => "sent",
                    Delivery::Confirmed { .. } => "confirmed",
                    Delivery::Retried => "retried",
                    Delivery::Stalled => "stalled",
                };
                self.deliveries
                    .get_or_create(&DeliveryLabels {
                        agent: agent.clone(),
                        outcome,
                    })
                    .inc();
            }
            EventBody::MessageSent { .. } => self.message("sent"),
            EventBody::MessageDelivered { .. } => self.message("delivered"),
            EventBody::MessageRefused { .. } => self.message("refused"),
            _ => {}
        }
    }

    fn message(&self, kind: &'static str) {
        self.messages.get_or_create(&Kind { kind }).inc();
    }

    /// Records one answered HTTP request.
    pub fn http(&self, labels: &HttpLabels, took: Duration) {
        self.http.get_or_create(labels).observe(took.as_secs_f64());
    }

    /// The exposition: the long-lived metrics, then `now`'s states, then
    /// the `# EOF` marker.
    pub fn render(&self, now: &Snapshot) -> String {
        let mut out = String::new();
        let lock = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing to a String cannot fail.
        let _ = encode_registry(&mut out, &lock);
        drop(lock);
        let _ = encode_registry(&mut out, &now.registry());
        let _ = encode_eof(&mut out);
        out
    }
}

/// One agent's state at a scrape.
#[derive(Debug, Clone)]
pub struct AgentSample {
    /// The agent's name.
    pub name: String,
    /// Its status.
    pub status: AgentStatus,
    /// Restarts the supervisor performed since nox started.
    pub restarts: u32,
    /// Bytes read from its PTY (its output) since nox started.
    pub bytes_in: u64,
    /// Bytes written to its PTY (input, prompts, answers to queries).
    pub bytes_out: u64,
}

/// What is read at each scrape.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every agent.
    pub agents: Vec<AgentSample>,
    /// Tasks by status (`queued`, `running`, …).
    pub tasks: BTreeMap<String, usize>,
    /// Messages by state (`queued`, `delivered`, `refused`).
    pub messages: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

/// `counts` with every one of `all` present, zero included, so a series
/// does not vanish when nothing is in that status.
fn with_zeros(all: &[String], counts: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = all.iter().map(|s| (s.clone(), 0)).collect();
    out.extend(counts.iter().map(|(k, v)| (k.clone(), *v)));
    out
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Agent {
    agent: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Pty {
    agent: String,
    direction: &'static str,
}

impl Snapshot {
    fn registry(&self) -> Registry {
        let mut r = Registry::with_prefix("nox");
        let agents = Family::<Status, Gauge>::default();
        // Every status, zero included, so a series does not vanish.
        for s in AgentStatus::ALL {
            let n = self.agents.iter().filter(|a| a.status == s).count();
            let mut status = String::new();
            let _ = write!(status, "{s}");
            agents.get_or_create(&Status { status }).set(n as i64);
        }
        r.register("agents", "Agents by status", agents);
        let restarts = Family::<Agent, Counter>::default();
        let pty = Family::<Pty, Counter>::default();
        for a in &self.agents {
            let agent = a.name.clone();
            restarts
                .get_or_create(&Agent {
                    agent: agent.clone(),
                })
                .inc_by(u64::from(a.restarts));
            for (direction, n) in [("in", a.bytes_in), ("out", a.bytes_out)] {
                pty.get_or_create(&Pty {
                    agent: agent.clone(),
                    direction,
                })
                .inc_by(n);
            }
        }
        r.register(
            "agent_restarts",
            "Restarts the supervisor performed, by agent, since nox started",
            restarts,
        );
        r.register(
            "pty_bytes",
            "Bytes through each agent's PTY since nox started: in = its output, out = what nox wrote to it",
            pty,
        );
        let tasks = TaskStatus::ALL.map(|s| s.to_string());
        let family = Family::<Status, Gauge>::default();
        for (status, n) in with_zeros(&tasks, &self.tasks) {
            family.get_or_create(&Status { status }).set(n as i64);
        }
        r.register("tasks", "Tasks by status", family);
        let states = [
            MessageState::Queued,
            MessageState::Delivered,
            MessageState::Refused,
        ]
        .map(|s| s.to_string());
        let family = Family::<State, Gauge>::default();
        for (state, n) in with_zeros(&states, &self.messages) {
            family.get_or_create(&State { state }).set(n as i64);
        }
        r.register("messages", "Messages by state", family);
        r
    }
}
