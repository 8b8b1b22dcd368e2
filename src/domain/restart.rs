//! Restart policy, exponential backoff and restart intensity, as Erlang/OTP
//! supervisors and systemd's `StartLimitBurst` do: backoff starts at 0.5 s and
//! doubles to 30 s, resets after 60 s of healthy running; more than
//! `max_restarts` restarts within `restart_window` means `failed`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::RestartPolicy;

/// First backoff delay.
pub const BACKOFF_START: Duration = Duration::from_millis(500);
/// Largest backoff delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A run at least this long resets the backoff to [`BACKOFF_START`].
pub const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// What the supervisor does after an agent's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartDecision {
    /// Leave it ended (`exited` or `crashed`).
    Stay,
    /// Start again after this delay (`restarting`).
    RestartAfter(Duration),
    /// Restart intensity exceeded (`failed`).
    GiveUp,
}

/// Per-agent restart bookkeeping. Pure: the caller passes the clock.
#[derive(Debug, Clone)]
pub struct RestartTracker {
    policy: RestartPolicy,
    max_restarts: u32,
    window: Duration,
    next_backoff: Duration,
    restarts: VecDeque<Instant>,
    started_at: Option<Instant>,
}

impl RestartTracker {
    /// A tracker for `policy`, allowing `max_restarts` within `window`.
    pub fn new(policy: RestartPolicy, max_restarts: u32, window: Duration) -> Self {
        Self {
            policy,
            max_restarts,
            window,
            next_backoff: BACKOFF_START,
            restarts: VecDeque::new(),
            started_at: None,
        }
    }

    /// Records that a process started at `now`.
    pub fn started(&mut self, now: Instant) {
        self.started_at = Some(now);
    }

    /// Forgets restart history (a manual start or restart by the user).
    pub fn reset(&mut self) {
        self.next_backoff = BACKOFF_START;
        self.restarts.clear();
    }

    /// Restarts counted in the current window.
    pub fn recent_restarts(&self) -> usize {
        self.restarts.len()
    }

    /// Decides what follows an exit at `now`; `success` is exit code 0.
    pub fn on_exit(&mut self, now: Instant, success: bool) -> RestartDecision {
        let wanted = match self.policy {
            RestartPolicy::Never => false,
            RestartPolicy::OnFailure => !success,
            RestartPolicy::Always => true,
        };
        if !wanted {
            return RestartDecision::Stay;
        }
        if let Some(start) = self.started_at.take()
            && now.saturating_duration_since(start) >= HEALTHY_AFTER
        {
            self.next_backoff = BACKOFF_START;
        }
        while let Some(first) = self.restarts.front() {
            if now.saturating_duration_since(*first) > self.window {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        if self.restarts.len() >= self.max_restarts as usize {
            return RestartDecision::GiveUp;
        }
        self.restarts.push_back(now);
        let delay = self.next_backoff;
        self.next_backoff = (self.next_backoff * 2).min(BACKOFF_MAX);
        RestartDecision::RestartAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn never_policy_stays() {
        let mut t = RestartTracker::new(RestartPolicy::Never, 5, ms(60_000));
        assert_eq!(t.on_exit(Instant::now(), false), RestartDecision::Stay);
    }

    #[test]
    fn on_failure_ignores_clean_exit() {
        let mut t = RestartTracker::new(RestartPolicy::OnFailure, 5, ms(60_000));
        let now = Instant::now();
        assert_eq!(t.on_exit(now, true), RestartDecision::Stay);
        assert_eq!(
            t.on_exit(now, false),
            RestartDecision::RestartAfter(ms(500))
        );
    }

    #[test]
    fn always_restarts_clean_exit() {
        let mut t = RestartTracker::new(RestartPolicy::Always, 5, ms(60_000));
        assert_eq!(
            t.on_exit(Instant::now(), true),
            RestartDecision::RestartAfter(ms(500))
        );
    }

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        let mut t = RestartTracker::new(RestartPolicy::Always, 100, ms(1_000_000));
        let t0 = Instant::now();
        let mut seen = Vec::new();
        for i in 0..9 {
            t.started(t0 + ms(i));
            if let RestartDecision::RestartAfter(d) = t.on_exit(t0 + ms(i + 1), false) {
                seen.push(d.as_millis());
            }
        }
        assert_eq!(
            seen,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
    }

    #[test]
    fn healthy_run_resets_backoff() {
        let mut t = RestartTracker::new(RestartPolicy::Always, 100, ms(1_000));
        let t0 = Instant::now();
        t.started(t0);
        t.on_exit(t0 + ms(1), false);
        t.started(t0 + ms(2));
        assert_eq!(
            t.on_exit(t0 + ms(3), false),
            RestartDecision::RestartAfter(ms(1000))
        );
        t.started(t0 + ms(10));
        let later = t0 + ms(10) + HEALTHY_AFTER;
        assert_eq!(
            t.on_exit(later, false),
            RestartDecision::RestartAfter(ms(500))
        );
    }

    #[test]
    fn intensity_exceeded_gives_up() {
        let mut t = RestartTracker::new(RestartPolicy::OnFailure, 2, ms(60_000));
        let t0 = Instant::now();
        assert!(matches!(
            t.on_exit(t0, false),
            RestartDecision::RestartAfter(_)
        ));
        assert!(matches!(
            t.on_exit(t0 + ms(1), false),
            RestartDecision::RestartAfter(_)
        ));
        assert_eq!(t.on_exit(t0 + ms(2), false), RestartDecision::GiveUp);
    }

    #[test]
    fn restarts_outside_window_are_forgotten() {
        let mut t = RestartTracker::new(RestartPolicy::OnFailure, 1, ms(1_000));
        let t0 = Instant::now();
        assert!(matches!(
            t.on_exit(t0, false),
            RestartDecision::RestartAfter(_)
        ));
        assert_eq!(t.on_exit(t0 + ms(500), false), RestartDecision::GiveUp);
        let mut t = RestartTracker::new(RestartPolicy::OnFailure, 1, ms(1_000));
        assert!(matches!(
            t.on_exit(t0, false),
            RestartDecision::RestartAfter(_)
        ));
        assert!(matches!(
            t.on_exit(t0 + ms(1_500), false),
            RestartDecision::RestartAfter(_)
        ));
        assert_eq!(t.recent_restarts(), 1);
    }
}
