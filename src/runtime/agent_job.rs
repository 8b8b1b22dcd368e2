//! The task an agent holds, from the agent's side (SPEC §7): delivery of
//! the prompt is owned by the agent actor. It types the prompt only when
//! the agent is idle, the user has not typed into it for a few seconds and
//! its input box is empty; submits it; waits for the connector's evidence
//! that the program took it (Claude Code's `UserPromptSubmit` hook, or for
//! other programs output that is not the echo, a foreground job, the busy
//! pattern); clears and retypes once, then reports the delivery stalled;
//! and reports the end of the turn: completed, or interrupted.

use std::time::Duration;

use tokio::time::Instant;

use super::agent::{AgentActor, Deliver, Signal, Work};
use crate::connector::{Observation, TurnEnd};
use crate::domain::AgentStatus;
use crate::runtime::pty::keys::encode_paste;

/// How long a delivery waits for its confirmation.
pub const CONFIRM_WITHIN: Duration = Duration::from_secs(5);
/// No prompt is typed into an agent the user typed into this recently.
pub const TYPING_QUIET: Duration = Duration::from_secs(3);
/// Between the paste and Enter, so the paste lands as one input.
pub const SUBMIT_AFTER: Duration = Duration::from_millis(250);
/// How often a delivery looks for evidence that shows no output (a job
/// that took the foreground silently).
pub const EVIDENCE_POLL: Duration = Duration::from_millis(100);
/// An agent idle without a turn-end signal this long after its turn
/// looked over: the turn was interrupted.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(2);

/// News of a held task, for the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobUpdate {
    /// The prompt was typed.
    Sent { bytes: usize },
    /// The program took it.
    Confirmed { evidence: String },
    /// Not confirmed in time: cleared and typed again.
    Retried,
    /// Not confirmed after the retry.
    Stalled,
    /// The agent works on it (renews the lease).
    Progress,
    /// The turn ended with a result.
    Done { result: String },
    /// The turn was interrupted (no result).
    Interrupted,
    /// The agent's process ended or was stopped.
    Lost { why: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The input is being cleared; the paste follows at `at`.
    Clearing { retried: bool },
    /// The paste is typed; Enter follows at `at`.
    Typing { retried: bool },
    /// Enter is typed; evidence is awaited until `deadline`.
    Confirming { retried: bool, deadline: Instant },
    /// The program took it; the turn runs. `idle_since`: it looked over
    /// without a turn-end signal at this moment.
    Running { idle_since: Option<Instant> },
}

/// The task (or the inbox's messages) an agent holds.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) work: Work,
    pub(crate) text: String,
    pub(crate) phase: Phase,
    /// When the job needs the actor next (submit, poll, deadline, grace).
    pub(crate) at: Option<Instant>,
    last_progress: Instant,
}

impl Job {
    /// In words: what it is and where its delivery stands.
    pub(crate) fn describe(&self) -> String {
        let phase = match self.phase {
            Phase::Clearing { .. } => "clearing the input box",
            Phase::Typing { .. } => "typing the prompt",
            Phase::Confirming { retried: false, .. } => "waiting for the agent to take the prompt",
            Phase::Confirming { retried: true, .. } => {
                "typed again, waiting for the agent to take it"
            }
            Phase::Running { .. } => "taken; the turn runs",
        };
        format!("{}: {phase}", self.work)
    }
}

impl AgentActor {
    pub(crate) fn job_update(&self, work: Work, update: JobUpdate) {
        self.signal(Signal::Job {
            agent: self.spec.name.clone(),
            work,
            update,
        });
    }

    /// Types `d`'s prompt now, or says why not.
    pub(crate) fn deliver(&mut self, d: Deliver) -> Result<(), String> {
        let name = &self.spec.name;
        if self.pid.is_none() || !self.running_normally() {
            return Err(format!("waiting: agent {name} is not running"));
        }
        if let Some(j) = &self.job {
            return Err(format!("waiting: agent {name} holds {}", j.work));
        }
        if self.status != AgentStatus::Idle {
            return Err(format!("waiting: agent {name} is {}", self.status));
        }
        let typed = self.term.ms_since_user_input();
        if typed < TYPING_QUIET.as_millis() as u64 {
            return Err(format!(
                "waiting: the user is typing into {name} (a prompt goes {}s after the last key)",
                TYPING_QUIET.as_secs()
            ));
        }
        let screen = self.term.contents();
        let mut clear = false;
        if self.conn.input_pending(&screen) {
            // The prompt an interrupted turn put back, untouched since?
            let ours = self
                .restored_at
                .is_some_and(|t| Duration::from_millis(typed) > t.elapsed());
            if !ours {
                return Err(format!("waiting: {name}'s input box holds the user's text"));
            }
            clear = true;
        }
        self.restored_at = None;
        self.job = Some(Job {
            work: d.work,
            text: d.text,
            phase: Phase::Typing { retried: false },
            at: None,
            last_progress: Instant::now(),
        });
        if clear {
            self.clear_then_type(false, &screen);
        } else {
            self.type_prompt(false);
        }
        self.publish();
        Ok(())
    }

    /// Clears the agent's input, then types the prompt a moment later.
    fn clear_then_type(&mut self, retried: bool, screen: &str) {
        let bytes = self.conn.clear_input(screen);
        let Some(job) = self.job.as_mut() else { return };
        if bytes.is_empty() {
            self.type_prompt(retried);
            return;
        }
        self.term.write(&bytes);
        job.phase = Phase::Clearing { retried };
        job.at = Some(Instant::now() + SUBMIT_AFTER);
    }

    fn type_prompt(&mut self, retried: bool) {
        let bracketed = self.term.modes().bracketed_paste;
        let Some(job) = self.job.as_mut() else { return };
        let bytes = encode_paste(&job.text, bracketed);
        self.term.write(&bytes);
        job.phase = Phase::Typing { retried };
        job.at = Some(Instant::now() + SUBMIT_AFTER);
        let (work, len) = (job.work.clone(), job.text.len());
        if !retried {
            self.job_update(work, JobUpdate::Sent { bytes: len });
        }
    }

    /// A job timer fired: submit, look for evidence, retry, give up, or
    /// call an interrupted turn.
    pub(crate) fn on_job_due(&mut self) {
        let now = Instant::now();
        let Some(job) = self.job.as_mut() else { return };
        match job.phase {
            Phase::Clearing { retried } => self.type_prompt(retried),
            Phase::Typing { retried } => {
                self.term.start_capture();
                self.term.write(b"\r");
                job.phase = Phase::Confirming {
                    retried,
                    deadline: now + CONFIRM_WITHIN,
                };
                job.at = Some(now + EVIDENCE_POLL);
                // Output this fast is echo for the activity signal: make
                // sure a quiet check follows.
                self.quiet_at = Some(now + self.quiet_window());
            }
            Phase::Confirming { retried, deadline } => {
                self.check_delivery();
                let Some(job) = self.job.as_mut() else { return };
                if !matches!(job.phase, Phase::Confirming { .. }) {
                    return;
                }
                if now < deadline {
                    job.at = Some((now + EVIDENCE_POLL).min(deadline));
                    return;
                }
                let task = job.work.clone();
                let screen = self.term.contents();
                if retried {
                    tracing::warn!(agent = %self.spec.name, "delivery of {task} stalled");
                    self.drop_job();
                    self.job_update(task, JobUpdate::Stalled);
                    self.publish();
                } else if self.conn.prompt_still_typed(&screen) == Some(false) {
                    // The program took the text (its input is empty) but has
                    // not confirmed yet: typing it again would submit it
                    // twice. Wait once more instead.
                    tracing::warn!(agent = %self.spec.name, "delivery of {task} taken but not confirmed yet; waiting once more");
                    self.job_update(task, JobUpdate::Retried);
                    if let Some(job) = self.job.as_mut() {
                        job.phase = Phase::Confirming {
                            retried: true,
                            deadline: now + CONFIRM_WITHIN,
                        };
                        job.at = Some(now + EVIDENCE_POLL);
                    }
                } else {
                    tracing::warn!(agent = %self.spec.name, "delivery of {task} not confirmed; typing it again");
                    // Clear whatever half-typed input is there first.
                    self.job_update(task, JobUpdate::Retried);
                    self.clear_then_type(true, &screen);
                }
            }
            Phase::Running { idle_since } => {
                job.at = None;
                if idle_since.is_some() && self.status == AgentStatus::Idle {
                    let task = job.work.clone();
                    tracing::warn!(agent = %self.spec.name, "{task}: the turn ended without a Stop: interrupted");
                    self.job = None;
                    self.restored_at = Some(now);
                    self.term.take_capture();
                    self.job_update(task, JobUpdate::Interrupted);
                    self.publish();
                }
            }
        }
    }

    /// While confirming: asks the connector for evidence the program took
    /// the prompt.
    pub(crate) fn check_delivery(&mut self) {
        if !matches!(
            self.job.as_ref().map(|j| j.phase),
            Some(Phase::Confirming { .. })
        ) {
            return;
        }
        let evidence = self.conn.delivery_evidence(&self.observe().view());
        if let Some(evidence) = evidence {
            self.confirmed(evidence);
        }
    }

    /// The program took the prompt: the turn runs.
    pub(crate) fn confirmed(&mut self, evidence: String) {
        let Some(job) = self.job.as_mut() else { return };
        if matches!(job.phase, Phase::Running { .. }) {
            return;
        }
        job.phase = Phase::Running { idle_since: None };
        job.at = None;
        let task = job.work.clone();
        self.job_update(task, JobUpdate::Confirmed { evidence });
        self.quiet_at = Some(Instant::now() + self.quiet_window());
    }

    /// The agent is idle at a quiet moment: a running task's turn is over.
    pub(crate) fn idle_with_job(&mut self, obs: &Observation<'_>) {
        let Some(job) = self.job.as_mut() else { return };
        let Phase::Running { idle_since } = job.phase else {
            return;
        };
        match self.conn.idle_during_task(obs) {
            TurnEnd::Completed(result) => {
                let task = job.work.clone();
                self.job = None;
                self.term.take_capture();
                self.job_update(task, JobUpdate::Done { result });
                self.publish();
            }
            TurnEnd::Interrupted if idle_since.is_none() => {
                let now = Instant::now();
                job.phase = Phase::Running {
                    idle_since: Some(now),
                };
                job.at = Some(now + INTERRUPT_GRACE);
            }
            TurnEnd::Interrupted => {}
        }
    }

    /// The turn ended (Claude Code's Stop hook) with its final message.
    pub(crate) fn turn_ended(&mut self, result: String) {
        let Some(job) = &self.job else { return };
        if !matches!(job.phase, Phase::Running { .. }) {
            return;
        }
        let task = job.work.clone();
        self.job = None;
        self.term.take_capture();
        self.job_update(task, JobUpdate::Done { result });
        self.publish();
    }

    /// The agent shows it works on its task: renew the lease (at most
    /// four times a lease), and forget a turn that only looked over.
    pub(crate) fn progress(&mut self) {
        let quarter = self.shared.lease / 4;
        let Some(job) = self.job.as_mut() else { return };
        if let Phase::Running {
            idle_since: Some(_),
        } = job.phase
            && self.status != AgentStatus::Idle
        {
            job.phase = Phase::Running { idle_since: None };
            job.at = None;
        }
        if job.last_progress.elapsed() >= quarter {
            job.last_progress = Instant::now();
            let task = job.work.clone();
            self.job_update(task, JobUpdate::Progress);
        }
    }

    /// The scheduler took task `task` back.
    pub(crate) fn abandon(&mut self, task: crate::domain::TaskId) {
        if self
            .job
            .as_ref()
            .is_some_and(|j| j.work == Work::Task(task))
        {
            self.drop_job();
            self.publish();
        }
    }

    /// Forgets the held task; a prompt typed but never taken (before the
    /// turn runs) is cleared from the agent's input, so it neither blocks
    /// the next delivery nor has the next prompt appended to it.
    fn drop_job(&mut self) {
        let Some(job) = self.job.take() else { return };
        self.term.take_capture();
        if !matches!(job.phase, Phase::Running { .. }) && self.pid.is_some() {
            let bytes = self.conn.clear_input(&self.term.contents());
            self.term.write(&bytes);
        }
    }
}
