//! What an agent actor reads off its terminal: output activity, the
//! foreground process group, and the status its connector sees at a quiet
//! moment (idle, busy with a job, waiting).

use std::time::Duration;

use tokio::time::Instant;

use super::agent::AgentActor;
use crate::connector::Observation;
use crate::domain::AgentStatus;

/// An owned [`Observation`]: the screen's text, the foreground job, the
/// output since a prompt was submitted, and the held task's prompt.
pub(crate) struct Observed {
    pub(crate) screen: String,
    pub(crate) foreground: Option<String>,
    pub(crate) since: Vec<u8>,
    pub(crate) prompt: String,
}

impl Observed {
    pub(crate) fn view(&self) -> Observation<'_> {
        Observation {
            screen: &self.screen,
            foreground: self.foreground.as_deref(),
            since_submit: &self.since,
            prompt: &self.prompt,
        }
    }
}

impl AgentActor {
    /// Reads what the connector needs to judge the agent now.
    pub(crate) fn observe(&self) -> Observed {
        Observed {
            screen: self.term.contents(),
            foreground: self.foreground_job(),
            since: self.term.captured(),
            prompt: self
                .job
                .as_ref()
                .map(|j| j.text.clone())
                .unwrap_or_default(),
        }
    }

    pub(crate) fn on_activity(&mut self) {
        self.progress();
        if self.conn.busy_on_output()
            && matches!(
                self.status,
                AgentStatus::Starting | AgentStatus::Idle | AgentStatus::Waiting
            )
        {
            self.set_status(AgentStatus::Busy, "output");
        }
        self.check_delivery();
        self.quiet_at = Some(Instant::now() + self.quiet_window());
    }

    /// The command name of the terminal's foreground job when it is not
    /// the agent's own process (a shell running `sleep 15`), from
    /// tcgetpgrp on the PTY master and /proc/PGRP/comm.
    pub(crate) fn foreground_job(&self) -> Option<String> {
        let own = i32::try_from(self.pid?).ok()?;
        let fg = self.term.foreground_pgrp()?;
        if fg == own || fg <= 0 {
            return None;
        }
        let comm = std::fs::read_to_string(format!("/proc/{fg}/comm")).unwrap_or_default();
        Some(match comm.trim() {
            "" => format!("process group {fg}"),
            c => c.to_string(),
        })
    }

    pub(crate) fn on_quiet(&mut self) {
        let quiet = Duration::from_millis(self.term.ms_since_output());
        if quiet < self.quiet_window() {
            // Still printing: that is progress (rate-limited in `progress`).
            self.progress();
            self.quiet_at = Some(Instant::now() + self.quiet_window().saturating_sub(quiet));
            return;
        }
        self.quiet_at = None;
        self.term.set_quiet();
        if self.pid.is_none() {
            return;
        }
        let screen = self.term.contents();
        let fg = self.foreground_job();
        let since = self.term.captured();
        let prompt = self
            .job
            .as_ref()
            .map(|j| j.text.clone())
            .unwrap_or_default();
        let obs = Observation {
            screen: &screen,
            foreground: fg.as_deref(),
            since_submit: &since,
            prompt: &prompt,
        };
        let next = self.conn.status_at_quiet(&obs);
        if self.approval.is_some()
            && next
                .as_ref()
                .is_some_and(|(s, _)| *s != AgentStatus::Waiting)
        {
            self.release_approval("its dialog left the screen");
        }
        if let Some((status, why)) = next
            && (status != self.status || (status == AgentStatus::Busy && fg.is_some()))
        {
            self.set_status(status, why);
        }
        if fg.is_some() {
            // A job in the foreground works on the task (a silent build).
            self.progress();
            // Look again: it ends without a sound.
            self.quiet_at = Some(Instant::now() + self.quiet_window());
        }
        self.check_delivery();
        if self.status == AgentStatus::Idle {
            self.idle_with_job(&obs);
        }
        if self.status == AgentStatus::Waiting {
            self.progress();
        }
    }
}
