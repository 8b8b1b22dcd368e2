//! The scheduler's leases (SPEC §4: renewed on progress and while the
//! agent waits for the user; a lapsed one puts the task back in the queue)
//! and the files an agent changed while it held a task (its worktree or
//! cwd, through git), which a result lists.

use tokio::time::Instant;

use super::{Held, Scheduler, db};
use crate::domain::{AgentStatus, TaskEvent};
use crate::runtime::agent::AgentCmd;
use crate::store::{now_ms, tasks};

impl Scheduler {
    pub(super) async fn renew(&mut self, agent: &str) {
        let lease = self.lease;
        let Some(h) = self.held.get_mut(agent) else {
            return;
        };
        h.lease_until = Instant::now() + lease;
        let lease_until = now_ms() + lease.as_millis() as u64;
        let task = h.task;
        let _ = db(&self.store, move |c| {
            tasks::apply(c, task, &TaskEvent::Renew { lease_until })
        })
        .await;
    }

    /// Leases whose time is up: an agent waiting for the user keeps its
    /// task (the lease is renewed); any other lapse puts the task back in
    /// the queue (attempts raised) and the agent is told to drop it.
    pub(super) async fn on_leases(&mut self) {
        let now = Instant::now();
        let due: Vec<(String, Held)> = self
            .held
            .iter()
            .filter(|(_, h)| h.lease_until <= now)
            .map(|(a, h)| (a.clone(), h.clone()))
            .collect();
        for (agent, held) in due {
            let waiting = self
                .registry
                .infos()
                .iter()
                .any(|a| a.spec.name == agent && a.status == AgentStatus::Waiting);
            if waiting {
                self.renew(&agent).await;
                continue;
            }
            self.held.remove(&agent);
            self.tell(&agent, AgentCmd::Abandon(held.task));
            let why = format!(
                "the lease of {agent} lapsed ({}s without progress)",
                self.lease.as_secs()
            );
            tracing::warn!(task = held.task, "task {}: {why}", held.task);
            self.apply(
                held.task,
                TaskEvent::Lost {
                    why,
                    now_ms: now_ms(),
                },
            )
            .await;
        }
        self.dispatch().await;
    }

    /// The directory an agent works in (its worktree with isolation).
    fn agent_dir(&self, agent: &str) -> Option<std::path::PathBuf> {
        let info = self
            .registry
            .infos()
            .into_iter()
            .find(|a| a.spec.name == agent)?;
        Some(match info.spec.isolation {
            crate::domain::Isolation::Worktree => {
                let tree = self.workspace.dir().join("worktrees").join(agent);
                crate::worktree::map_cwd(&self.workspace, &tree, &info.spec.cwd)
            }
            crate::domain::Isolation::None => info.spec.cwd,
        })
    }

    pub(super) async fn changed_files(&self, agent: &str) -> Vec<String> {
        let Some(dir) = self.agent_dir(agent) else {
            return Vec::new();
        };
        tokio::task::spawn_blocking(move || crate::worktree::changed_files(&dir))
            .await
            .unwrap_or_default()
    }

    /// `result`, plus the files the agent changed since delivery when it
    /// works in a git repository.
    pub(super) async fn with_changes(
        &self,
        agent: &str,
        result: String,
        before: &[String],
    ) -> String {
        let after = self.changed_files(agent).await;
        let changed: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
        if changed.is_empty() {
            return result;
        }
        let list: Vec<String> = changed.iter().map(|f| format!("- {f}")).collect();
        format!("{result}\n\nChanged files:\n{}", list.join("\n"))
    }
}
