//! Claude Code hooks reaching an agent actor: the connector says what a
//! hook means (status, session, prompt accepted, turn over); the actor
//! applies it, records the session, follows its task, and logs the hook as
//! an event. Agents whose connector takes no hooks refuse them.

use super::agent::AgentActor;
use super::error::{Result, RuntimeError};
use crate::domain::EventBody;
use crate::domain::hook::HookEvent;

impl AgentActor {
    /// Applies hook `ev`; the answer is what `nox hook` prints (empty).
    pub(crate) fn on_hook(&mut self, ev: &HookEvent) -> Result<String> {
        let outcome = self.conn.on_hook(ev).map_err(RuntimeError::Refused)?;
        if self.pid.is_none() {
            // A late hook of a process that has ended says nothing now.
            return Ok(String::new());
        }
        self.shared.store.emit_later(EventBody::Hook {
            agent: self.spec.name.clone(),
            event: ev.clone(),
        });
        if let Some(id) = outcome.session {
            tracing::info!(agent = %self.spec.name, "session {id}");
            let agent = self.spec.name.clone();
            self.shared
                .store
                .write_later(move |c| crate::store::sessions::put(c, &agent, &id));
        }
        if let Some((status, evidence)) = outcome.status {
            self.set_status(status, evidence);
        }
        if outcome.prompt_accepted {
            self.confirmed("hook UserPromptSubmit".into());
        }
        if let Some(last) = outcome.turn_ended {
            self.turn_ended(last);
        }
        self.progress();
        Ok(String::new())
    }
}
