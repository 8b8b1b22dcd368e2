//! Logging: tracing to `.nox/logs/nox.log.YYYY-MM-DD` (tracing-appender,
//! non-blocking, daily) and to an in-memory ring buffer that the Logs pane
//! shows. Nothing is printed to the terminal while the dashboard is up.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::Notify;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Lines kept by the ring buffer.
pub const RING_CAPACITY: usize = 2000;

/// One log line as the Logs pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was logged.
    pub time: SystemTime,
    /// Its level.
    pub level: Level,
    /// The message with its fields (`agent=x`).
    pub text: String,
}

/// The ring buffer behind the Logs pane; notifies `wake` on every line.
pub struct LogRing {
    lines: Mutex<VecDeque<LogLine>>,
    seq: std::sync::atomic::AtomicU64,
    wake: Arc<Notify>,
}

impl LogRing {
    /// An empty ring that wakes `wake` on new lines.
    pub fn new(wake: Arc<Notify>) -> Arc<Self> {
        Arc::new(Self {
            lines: Mutex::new(VecDeque::with_capacity(RING_CAPACITY)),
            seq: 0.into(),
            wake,
        })
    }

    /// Appends a line (dropping the oldest past [`RING_CAPACITY`]).
    pub fn push(&self, line: LogLine) {
        let mut l = self
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if l.len() == RING_CAPACITY {
            l.pop_front();
        }
        l.push_back(line);
        self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// A counter that changes whenever a line is added.
    pub fn seq(&self) -> u64 {
        self.seq.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The newest `n` lines at `min` level or more severe, oldest first.
    pub fn tail(&self, n: usize, min: Level) -> Vec<LogLine> {
        let l = self
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<LogLine> = l
            .iter()
            .rev()
            .filter(|x| x.level <= min)
            .take(n)
            .cloned()
            .collect();
        out.reverse();
        out
    }
}

struct RingLayer(Arc<LogRing>);

#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for RingLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut t = Text::default();
        event.record(&mut t);
        self.0.push(LogLine {
            time: SystemTime::now(),
            level: *event.metadata().level(),
            text: t.0,
        });
    }
}

/// Installs the global subscriber: daily file in `logs_dir` plus `ring`.
/// `verbose` lowers the level from info to debug; `RUST_LOG` overrides both.
/// Keep the returned guard alive: dropping it flushes the file writer.
pub fn init(
    logs_dir: &Path,
    ring: Arc<LogRing>,
    verbose: bool,
) -> tracing_appender::non_blocking::WorkerGuard {
    let _ = std::fs::create_dir_all(logs_dir);
    let appender = tracing_appender::rolling::daily(logs_dir, "nox.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let default = if verbose { "debug" } else { "info" };
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(format!("{default},hyper=warn,axum=warn")))
    };
    let file = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter());
    let _ = tracing_subscriber::registry()
        .with(file)
        .with(RingLayer(ring).with_filter(filter()))
        .try_init();
    guard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_filters_by_level_and_caps() {
        let ring = LogRing::new(Arc::new(Notify::new()));
        for i in 0..RING_CAPACITY + 5 {
            let level = if i % 2 == 0 {
                Level::ERROR
            } else {
                Level::DEBUG
            };
            ring.push(LogLine {
                time: SystemTime::now(),
                level,
                text: i.to_string(),
            });
        }
        let errors = ring.tail(3, Level::ERROR);
        assert_eq!(
            errors.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["2000", "2002", "2004"]
        );
        assert_eq!(ring.tail(usize::MAX, Level::TRACE).len(), RING_CAPACITY);
    }
}
