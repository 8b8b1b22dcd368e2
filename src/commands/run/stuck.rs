//! Tasks nobody can take any more, and why: a task that waits for one that
//! ended other than done, a task assigned to an agent that will not run
//! again, a task whose capabilities only such agents had. The run cancels
//! them with this reason instead of waiting for its timeout.

use std::fmt::Write as _;

use super::plan::PlanTask;
use crate::domain::{AgentStatus, RestartPolicy, TaskStatus};
use crate::runtime::AgentInfo;

/// A task's dependency as the run knows it.
pub struct Dep {
    /// `task KEY (#ID)`.
    pub name: String,
    /// Its status.
    pub status: TaskStatus,
    /// Its status in the run's words (`timed out`).
    pub shown: &'static str,
}

/// Whether an agent will not run again during the run: `failed`; ended
/// under a restart policy that leaves it ended; or stopped and not started
/// by itself (`autostart = false`).
pub fn is_gone(a: &AgentInfo) -> bool {
    match a.status {
        AgentStatus::Failed => true,
        AgentStatus::Crashed => a.spec.restart == RestartPolicy::Never,
        AgentStatus::Exited => a.spec.restart != RestartPolicy::Always,
        AgentStatus::Stopped => !a.spec.autostart,
        _ => false,
    }
}

/// Why task `t` (not ended yet) can never run, if so.
pub fn reason(t: &PlanTask, deps: &[Dep], agents: &[AgentInfo]) -> Option<String> {
    if let Some(d) = deps
        .iter()
        .find(|d| d.status.is_final() && d.status != TaskStatus::Done)
    {
        return Some(format!("its dependency {} ended {}", d.name, d.shown));
    }
    if let Some(name) = &t.assign {
        return agents
            .iter()
            .find(|a| &a.spec.name == name)
            .filter(|a| is_gone(a))
            .map(gone_words);
    }
    let able = |a: &&AgentInfo| t.needs.iter().all(|c| a.spec.capabilities.contains(c));
    if agents.iter().filter(able).any(|a| !is_gone(a)) {
        return None;
    }
    let words: Vec<String> = agents.iter().filter(able).map(gone_words).collect();
    Some(format!(
        "no agent left that could take it ({})",
        words.join("; ")
    ))
}

/// `agent NAME STATUS: DETAIL`.
fn gone_words(a: &AgentInfo) -> String {
    let mut s = format!("agent {} {}", a.spec.name, a.status);
    if !a.detail.is_empty() {
        let _ = write!(s, ": {}", a.detail);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AgentKind, AgentSpec};

    fn agent(name: &str, caps: &[&str], status: AgentStatus, restart: RestartPolicy) -> AgentInfo {
        let mut spec = AgentSpec::new(name, AgentKind::Generic, "sh", "/w");
        spec.capabilities = caps.iter().map(|c| (*c).to_string()).collect();
        spec.restart = restart;
        let mut a = AgentInfo::new(spec);
        a.status = status;
        a.detail = "why".into();
        a
    }

    fn task(assign: Option<&str>, needs: &[&str]) -> PlanTask {
        PlanTask {
            key: "k".into(),
            title: "k".into(),
            body: "k".into(),
            assign: assign.map(Into::into),
            needs: needs.iter().map(|c| (*c).to_string()).collect(),
            after: Vec::new(),
            priority: 0,
            max_attempts: None,
        }
    }

    #[test]
    fn agents_that_will_not_run_again_are_gone() {
        use AgentStatus as S;
        use RestartPolicy as R;
        let gone = |s, r| is_gone(&agent("a", &[], s, r));
        assert!(gone(S::Failed, R::Always));
        assert!(gone(S::Crashed, R::Never) && !gone(S::Crashed, R::OnFailure));
        assert!(gone(S::Exited, R::OnFailure) && !gone(S::Exited, R::Always));
        assert!(
            !gone(S::Stopped, R::OnFailure),
            "stopped before its first start"
        );
        assert!(!gone(S::Restarting, R::OnFailure) && !gone(S::Idle, R::Never));
        let mut idle = agent("a", &[], S::Stopped, R::OnFailure);
        idle.spec.autostart = false;
        assert!(is_gone(&idle));
    }

    #[test]
    fn reasons_name_the_dependency_or_the_agents() {
        use AgentStatus as S;
        let r = RestartPolicy::OnFailure;
        let agents = [
            agent("ghost", &["go"], S::Failed, r),
            agent("sh", &["sh"], S::Idle, r),
        ];
        let dep = |status, shown| Dep {
            name: "task a (#1)".into(),
            status,
            shown,
        };
        let t = task(Some("sh"), &[]);
        assert_eq!(reason(&t, &[dep(TaskStatus::Done, "done")], &agents), None);
        assert_eq!(
            reason(&t, &[dep(TaskStatus::Cancelled, "timed out")], &agents).as_deref(),
            Some("its dependency task a (#1) ended timed out")
        );
        assert_eq!(
            reason(&task(Some("ghost"), &[]), &[], &agents).as_deref(),
            Some("agent ghost failed: why")
        );
        assert_eq!(
            reason(&task(None, &["go"]), &[], &agents).as_deref(),
            Some("no agent left that could take it (agent ghost failed: why)")
        );
        assert_eq!(reason(&task(None, &["sh"]), &[], &agents), None);
        assert_eq!(reason(&task(None, &[]), &[], &agents), None);
    }
}
