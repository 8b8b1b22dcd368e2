//! The Logs pane: nox's own log and the event log interleaved by time, at
//! or above the chosen level, newest at the bottom; long lines wrap at
//! words by display width. A log line that only echoes an event (a status
//! change or a task transition, logged as it is committed) is left to the
//! event.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use tracing::Level;

use super::{Ctx, pane_block};
use crate::domain::Event;
use crate::logging::LogLine;
use crate::tui::app::App;
use crate::tui::event_log::{echo, echoes, level};
use crate::tui::layout::Pane;
use crate::tui::text::{width, wrap};

/// How far apart in time a log line and the event it echoes may be.
const SAME_MOMENT_MS: u64 = 2000;

/// Marks an event's line (nox's own lines have none).
pub const EVENT_MARK: &str = "» ";

/// One entry of the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When, ms since the Unix epoch.
    pub ms: u64,
    /// Its level.
    pub level: Level,
    /// What it says.
    pub text: String,
    /// From the event log (else nox's own log).
    pub event: bool,
}

fn ms_of(l: &LogLine) -> u64 {
    l.time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `logs` and `events` (each oldest first) merged by time, a log line
/// first when times are equal. A log line that only echoes an event — it
/// begins as nox's log words that event ([`echo`]), within
/// [`SAME_MOMENT_MS`] of it, and the event is at least as severe — is left
/// to the event.
pub fn merge(logs: &[LogLine], events: &[&Event]) -> Vec<Entry> {
    let echoes_of: Vec<(u64, Level, String)> = events
        .iter()
        .map(|e| (e.ts_ms, level(&e.body), echo(&e.body)))
        .collect();
    let repeats = |l: &LogLine| {
        let ms = ms_of(l);
        echoes_of.iter().any(|(at, lv, echo)| {
            at.abs_diff(ms) <= SAME_MOMENT_MS && *lv <= l.level && echoes(&l.text, echo)
        })
    };
    let mut out: Vec<Entry> = logs
        .iter()
        .filter(|l| !repeats(l))
        .map(|l| Entry {
            ms: ms_of(l),
            level: l.level,
            text: l.text.clone(),
            event: false,
        })
        .collect();
    out.extend(events.iter().map(|e| Entry {
        ms: e.ts_ms,
        level: level(&e.body),
        text: e.body.describe(),
        event: true,
    }));
    out.sort_by_key(|e| (e.ms, e.event));
    out
}

fn style_of(level: Level, ctx: &Ctx<'_>) -> Style {
    match level {
        Level::ERROR => ctx.theme.log_error,
        Level::WARN => ctx.theme.log_warn,
        Level::INFO => ctx.theme.log_info,
        _ => ctx.theme.log_debug,
    }
}

/// `e` as lines of at most `w` columns: its local time, the event mark,
/// then its text wrapped at words.
fn lines_of<'a>(e: &Entry, w: usize, ctx: &Ctx<'_>) -> Vec<Line<'a>> {
    let style = style_of(e.level, ctx);
    let time = format!("{} ", crate::sys::time::clock(e.ms));
    let mark = if e.event { EVENT_MARK } else { "" };
    let head = width(&time) + width(mark);
    // A pane too narrow for the time stamp shows the text alone.
    let (time, mark, first) = if head + 8 <= w {
        (time, mark, w - head)
    } else {
        (String::new(), "", w)
    };
    super::timed_lines(time, mark, wrap(&e.text, first, w), style, ctx.theme)
}

/// Draws the Logs pane.
pub fn render(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let level = app.log_level.as_str().to_lowercase();
    let b = pane_block(app, Pane::Logs, format!(" Logs [{level}] "), ctx.theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let rows = usize::from(inner.height);
    let w = usize::from(inner.width).max(1);
    // Each entry takes a row at least: the newest `rows` of each source
    // are all that can show.
    let logs = ctx.logs.tail(rows, app.log_level);
    let events = app.events.tail(rows, app.log_level);
    let entries = merge(&logs, &events);
    let lines = super::newest_lines(entries.iter(), rows, |e| lines_of(e, w, ctx));
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::domain::{AgentStatus, EventBody};

    fn log(ms: u64, text: &str) -> LogLine {
        LogLine {
            time: SystemTime::UNIX_EPOCH + Duration::from_millis(ms),
            level: Level::INFO,
            text: text.into(),
        }
    }

    fn status(ms: u64, agent: &str, to: AgentStatus, detail: &str) -> Event {
        Event {
            id: ms,
            ts_ms: ms,
            body: EventBody::AgentStatus {
                agent: agent.into(),
                from: AgentStatus::Idle,
                to,
                detail: detail.into(),
            },
        }
    }

    fn hook(ms: u64) -> Event {
        Event {
            id: ms,
            ts_ms: ms,
            body: EventBody::Hook {
                agent: "a".into(),
                event: crate::domain::hook::HookEvent::SessionEnd {
                    reason: "exit".into(),
                },
            },
        }
    }

    fn leveled(ms: u64, level: Level, text: &str) -> LogLine {
        LogLine {
            level,
            ..log(ms, text)
        }
    }

    #[test]
    fn interleaves_by_time_and_folds_echoes_into_the_event() {
        let logs = [
            log(1000, "nox 0.1.0 in /w"),
            log(3000, "ghost crashed: os error 2 agent=ghost"),
            log(5000, "listening"),
            log(5500, "a exited agent=a"),
            log(5600, "a exitedly agent=a"),
            log(7000, "session 12 agent=a"),
            leveled(7100, Level::WARN, "a waiting for too long agent=a"),
            log(9000, "ghost crashed: os error 2 agent=ghost"),
        ];
        let mut waiting = status(7050, "a", AgentStatus::Waiting, "permission");
        waiting.id = 7050;
        let events = [
            status(2000, "a", AgentStatus::Waiting, ""),
            status(3001, "ghost", AgentStatus::Crashed, "os error 2"),
            status(5000, "a", AgentStatus::Exited, "exit code 0"),
            hook(7000),
            waiting,
        ];
        let merged = merge(&logs, &events.iter().collect::<Vec<_>>());
        let seen: Vec<(u64, bool, &str)> = merged
            .iter()
            .map(|e| (e.ms, e.event, e.text.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (1000, false, "nox 0.1.0 in /w"),
                (2000, true, "a waiting"),
                (3001, true, "ghost crashed: os error 2"),
                (5000, false, "listening"),
                (5000, true, "a exited: exit code 0"),
                // Not the same phrase.
                (5600, false, "a exitedly agent=a"),
                // An info line is not left to a debug event (the hook)…
                (7000, false, "session 12 agent=a"),
                (7000, true, "a hook SessionEnd exit"),
                // …nor a warning to an info event.
                (7050, true, "a waiting: permission"),
                (7100, false, "a waiting for too long agent=a"),
                // The same words long after the event are a new line.
                (9000, false, "ghost crashed: os error 2 agent=ghost"),
            ]
        );
        assert_eq!(merged[2].level, Level::ERROR);
    }
}
