//! How an agent actor takes its process's end: the restart policy with
//! backoff and restart intensity (a failed start counts), a program that
//! stopped at a step only the user can take (`waiting`, no restart), the
//! task it held (lost), and whatever the process left behind (reaped by its
//! tags and its cgroup before anything else of the agent starts).

use std::time::Duration;

use tokio::time::Instant;

use super::{AgentActor, JobUpdate, Stopping};
use crate::domain::{AgentStatus, RestartDecision};
use crate::runtime::pty::ExitInfo;

impl AgentActor {
    /// After a crash or a failed start: restart with backoff, or give up
    /// past the restart intensity (`failed`), as the policy says.
    pub(super) fn after_failure(&mut self, ended: AgentStatus, why: &str) {
        let success = ended == AgentStatus::Exited;
        match self.tracker.on_exit(std::time::Instant::now(), success) {
            RestartDecision::Stay => {}
            RestartDecision::RestartAfter(d) => {
                self.restart_at = Some(Instant::now() + d);
                self.set_status(
                    AgentStatus::Restarting,
                    format!("{ended} ({why}); restarting in {:.1}s", d.as_secs_f32()),
                );
            }
            RestartDecision::GiveUp => {
                let msg = format!(
                    "{ended} ({why}); more than {} restarts in {}s, giving up",
                    self.spec.max_restarts, self.spec.restart_window_secs
                );
                self.set_status(AgentStatus::Failed, msg);
            }
        }
    }

    pub(super) async fn on_exit(&mut self, info: &ExitInfo) {
        let quick = self
            .started_at
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|d| d < Duration::from_secs(10));
        let screen = self.term.contents();
        let (fresh, reason) =
            self.conn
                .on_exit(info, quick && self.stopping == Stopping::No, &screen);
        if let Some(id) = fresh {
            let agent = self.spec.name.clone();
            self.shared
                .store
                .write_later(move |c| crate::store::sessions::put(c, &agent, &id));
        }
        self.term.detach();
        self.release_approval("its process ended");
        self.pid = None;
        self.kill_at = None;
        self.quiet_at = None;
        self.answer_check_at = None;
        self.stop_blocks = 0;
        self.reap_leftovers().await;
        let why = std::mem::replace(&mut self.stopping, Stopping::No);
        if let Some(job) = self.job.take() {
            let lost = match why {
                Stopping::No => format!(
                    "agent {} {}",
                    self.spec.name,
                    if info.success() { "exited" } else { "crashed" }
                ),
                _ => format!("agent {} was stopped", self.spec.name),
            };
            self.job_update(job.work, JobUpdate::Lost { why: lost });
        }
        match why {
            Stopping::Shutdown => {
                self.stopping = Stopping::Shutdown;
                self.set_status(AgentStatus::Stopped, format!("nox is exiting ({info})"));
            }
            Stopping::User => self.set_status(
                AgentStatus::Stopped,
                format!("stopped by the user ({info})"),
            ),
            Stopping::Restart => self.start_process().await,
            Stopping::No if reason.is_some() => {
                // It stopped at a step only the user can take (a login):
                // restarting would only fail again. (However long it took
                // to get there: a loaded machine starts node slowly.)
                let why = format!("{info}; {}", reason.unwrap_or_default());
                self.set_status(AgentStatus::Waiting, why);
            }
            Stopping::No => {
                let ended = if info.success() {
                    AgentStatus::Exited
                } else {
                    AgentStatus::Crashed
                };
                let why = match reason {
                    Some(r) => format!("{info}; {r}"),
                    None => info.to_string(),
                };
                self.set_status(ended, why.clone());
                self.after_failure(ended, &info.to_string());
            }
        }
    }

    /// Ends what the agent's process left behind: descendants that carry
    /// its tag (a daemon started with `setsid` or `nohup`). SIGTERM, then
    /// SIGKILL after a short grace; done before a next process of the same
    /// agent starts, so only leftovers carry the tag.
    async fn reap_leftovers(&self) {
        let (instance, agent) = (self.shared.instance.clone(), self.spec.name.clone());
        let grace = self.shared.stop_grace.min(Duration::from_secs(2));
        let cgroups = self.shared.cgroups.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let mut n = crate::sys::kill_tagged(&instance, Some(&agent), grace);
            // What the tags missed (a cleared environment) the cgroup holds.
            n += cgroups.map_or(0, |c| c.kill(&agent));
            if n > 0 {
                tracing::info!(agent = %agent, "ended {n} process(es) {agent} left behind");
            }
        })
        .await;
    }
}
