//! What needs the user: agents `waiting` (a permission prompt, a question)
//! and turns that ended while their pane was not shown (`done · unseen`
//! until it is). Each transition into one of them is an [`Alert`], which
//! the loop turns into one BEL and one desktop notification (OSC 9 or OSC
//! 777, ended with ST so BELs stay countable) written to the outer
//! terminal between frames; nothing repeats while the state holds.

use std::collections::BTreeSet;

use crate::config::parse::Notify;
use crate::domain::AgentStatus;
use crate::runtime::AgentInfo;

/// A transition that calls the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The agent.
    pub agent: String,
    /// What happened.
    pub kind: AlertKind,
}

/// What an [`Alert`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertKind {
    /// The agent started waiting for the user; why, in words (may be empty).
    Waiting(String),
    /// The agent's turn ended while its pane was not shown.
    Done,
}

impl Alert {
    /// The notification's text.
    pub fn text(&self) -> String {
        match &self.kind {
            AlertKind::Waiting(why) if why.is_empty() => format!("{} needs you", self.agent),
            AlertKind::Waiting(why) => format!("{} needs you: {why}", self.agent),
            AlertKind::Done => format!("{} finished its turn", self.agent),
        }
    }
}

/// The attention state of the dashboard.
#[derive(Debug, Default)]
pub struct Attention {
    waiting: BTreeSet<String>,
    unseen: BTreeSet<String>,
    alerts: Vec<Alert>,
}

impl Attention {
    /// Takes the current statuses as known, with no alert (the dashboard
    /// opens: nothing has changed yet).
    pub fn seed(&mut self, agents: &[AgentInfo]) {
        self.waiting = agents
            .iter()
            .filter(|a| a.status == AgentStatus::Waiting)
            .map(|a| a.spec.name.clone())
            .collect();
    }

    /// Agent `agent` went from `from` to `to` (`detail`: why), while its
    /// pane was `shown` or not.
    pub fn on_status(
        &mut self,
        agent: &str,
        from: AgentStatus,
        to: AgentStatus,
        detail: &str,
        shown: bool,
    ) {
        if to == AgentStatus::Waiting {
            if self.waiting.insert(agent.to_string()) {
                self.alerts.push(Alert {
                    agent: agent.to_string(),
                    kind: AlertKind::Waiting(detail.to_string()),
                });
            }
        } else {
            self.waiting.remove(agent);
        }
        if to != AgentStatus::Idle {
            self.unseen.remove(agent);
        } else if from == AgentStatus::Busy && !shown && self.unseen.insert(agent.to_string()) {
            self.alerts.push(Alert {
                agent: agent.to_string(),
                kind: AlertKind::Done,
            });
        }
    }

    /// After events were lost (a lagging observer): the statuses as they
    /// are now. An agent waiting that was not known to wait alerts; nothing
    /// else does.
    pub fn resync(&mut self, agents: &[AgentInfo]) {
        for a in agents {
            let name = a.spec.name.as_str();
            if a.status == AgentStatus::Waiting {
                self.on_status(name, AgentStatus::Waiting, a.status, &a.detail, false);
            } else {
                self.waiting.remove(name);
                if a.status != AgentStatus::Idle {
                    self.unseen.remove(name);
                }
            }
        }
        self.waiting
            .retain(|w| agents.iter().any(|a| a.spec.name == *w));
        self.unseen
            .retain(|w| agents.iter().any(|a| a.spec.name == *w));
    }

    /// Agent `agent`'s pane is shown: its ended turn is seen.
    pub fn seen(&mut self, agent: &str) {
        self.unseen.remove(agent);
    }

    /// Agent `agent` was removed.
    pub fn removed(&mut self, agent: &str) {
        self.waiting.remove(agent);
        self.unseen.remove(agent);
    }

    /// Whether `agent`'s ended turn has not been seen.
    pub fn is_unseen(&self, agent: &str) -> bool {
        self.unseen.contains(agent)
    }

    /// The alerts since the last call, oldest first.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.alerts)
    }
}

/// `text` made safe inside an OSC: no control characters (an ESC or BEL
/// would end it early), no `;` (OSC 777 separates fields with it), at most
/// 200 characters.
fn osc_text(text: &str) -> String {
    text.chars()
        .map(|c| if c == ';' { ',' } else { c })
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// The bytes for `alerts`: per alert one BEL (when `bell`) and one
/// notification in the `notify` escape, each OSC ended with ST (`ESC \`).
pub fn alert_bytes(alerts: &[Alert], bell: bool, notify: Notify) -> Vec<u8> {
    let mut out = Vec::new();
    for a in alerts {
        if bell {
            out.push(0x07);
        }
        let text = osc_text(&format!("nox: {}", a.text()));
        match notify {
            Notify::Osc9 => out.extend_from_slice(format!("\x1b]9;{text}\x1b\\").as_bytes()),
            Notify::Osc777 => {
                out.extend_from_slice(format!("\x1b]777;notify;nox;{text}\x1b\\").as_bytes());
            }
            Notify::Off => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgentStatus::{Busy, Idle, Starting, Waiting};

    fn kinds(a: &mut Attention) -> Vec<(String, AlertKind)> {
        a.take_alerts()
            .into_iter()
            .map(|a| (a.agent, a.kind))
            .collect()
    }

    #[test]
    fn one_alert_per_transition_into_waiting_never_repeated_while_it_holds() {
        let mut a = Attention::default();
        a.on_status("x", Idle, Busy, "", false);
        a.on_status("x", Busy, Waiting, "Bash: touch a", false);
        // The same status again (a new detail, a second hook): no alert.
        a.on_status("x", Waiting, Waiting, "Notification", false);
        assert_eq!(
            kinds(&mut a),
            [("x".into(), AlertKind::Waiting("Bash: touch a".into()))]
        );
        assert!(kinds(&mut a).is_empty(), "taken once");
        a.on_status("x", Waiting, Busy, "", true);
        a.on_status("x", Busy, Waiting, "", true);
        assert_eq!(
            kinds(&mut a),
            [("x".into(), AlertKind::Waiting(String::new()))],
            "a new transition alerts again, shown or not"
        );
    }

    #[test]
    fn a_turn_that_ends_unseen_alerts_once_until_seen_or_busy_again() {
        let mut a = Attention::default();
        a.on_status("x", Busy, Idle, "", true);
        assert!(!a.is_unseen("x") && kinds(&mut a).is_empty(), "shown: seen");
        a.on_status("x", Starting, Idle, "", false);
        assert!(!a.is_unseen("x"), "a start is not a turn");
        a.on_status("x", Busy, Idle, "", false);
        a.on_status("x", Idle, Idle, "ready", false);
        assert!(a.is_unseen("x"));
        assert_eq!(kinds(&mut a), [("x".into(), AlertKind::Done)]);
        a.seen("x");
        assert!(!a.is_unseen("x"));
        a.on_status("x", Idle, Busy, "", false);
        a.on_status("x", Busy, Idle, "", false);
        a.on_status("x", Idle, Busy, "", false);
        assert!(!a.is_unseen("x"), "busy again: not done");
        a.on_status("x", Busy, Idle, "", false);
        assert_eq!(kinds(&mut a).len(), 2, "one per ended turn");
        a.removed("x");
        assert!(!a.is_unseen("x"));
    }

    #[test]
    fn a_resync_alerts_only_for_waits_it_missed() {
        use crate::domain::{AgentKind, AgentSpec};
        let info = |name: &str, status| {
            let mut i = AgentInfo::new(AgentSpec::new(name, AgentKind::Generic, "sh", "/"));
            i.status = status;
            i
        };
        let mut a = Attention::default();
        a.seed(&[info("x", Waiting), info("y", Idle)]);
        a.resync(&[info("x", Waiting), info("y", Waiting)]);
        assert_eq!(
            kinds(&mut a),
            [("y".into(), AlertKind::Waiting(String::new()))]
        );
        a.resync(&[info("x", Busy), info("y", Waiting)]);
        a.resync(&[info("x", Waiting)]);
        assert_eq!(kinds(&mut a).len(), 1, "x waits anew");
    }

    fn alert(kind: AlertKind) -> Alert {
        Alert {
            agent: "x".into(),
            kind,
        }
    }

    #[test]
    fn bytes_are_one_bel_and_one_osc_per_alert_with_off_switches() {
        let two = [
            alert(AlertKind::Waiting("Bash; rm\x07 -x\x1b".into())),
            alert(AlertKind::Done),
        ];
        let b = alert_bytes(&two, true, Notify::Osc9);
        assert_eq!(
            String::from_utf8(b.clone()).expect("utf8"),
            "\x07\x1b]9;nox: x needs you: Bash, rm -x\x1b\\\x07\x1b]9;nox: x finished its turn\x1b\\"
        );
        assert_eq!(b.split(|c| *c == 0x07).count() - 1, 2, "BELs exact");
        let b = alert_bytes(&two[1..], true, Notify::Osc777);
        assert_eq!(b, b"\x07\x1b]777;notify;nox;nox: x finished its turn\x1b\\");
        assert_eq!(
            alert_bytes(&two[1..], false, Notify::Osc9),
            b"\x1b]9;nox: x finished its turn\x1b\\"
        );
        assert_eq!(alert_bytes(&two, true, Notify::Off), b"\x07\x07");
        assert!(alert_bytes(&two, false, Notify::Off).is_empty());
        assert!(alert_bytes(&[], true, Notify::Osc9).is_empty());
    }
}
