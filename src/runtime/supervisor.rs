//! The supervisor actor: owns the set of agent actors, adds agents (from
//! nox.toml at start, or new ones written to nox.toml under the config
//! lock), removes them, and shuts everything down (no orphan processes).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::agent::{AgentActor, AgentCmd, Shared};
use super::error::{Result, RuntimeError, no_agent};
use super::handle::{AgentInfo, HandleParts, Registry, RuntimeHandle, RuntimeOptions};
use crate::config::edit::{EditError, NewAgent, add_agent, remove_agent};
use crate::connector::stubs::StubPool;
use crate::domain::{AgentSpec, EventBody};

/// Requests to the supervisor.
pub(crate) enum SupCmd {
    Add(Box<NewAgent>, oneshot::Sender<Result<AgentInfo>>),
    Remove(String, oneshot::Sender<Result<()>>),
    Shutdown(oneshot::Sender<Result<()>>),
}

pub(crate) fn spawn(opts: RuntimeOptions, agents: Vec<AgentSpec>) -> RuntimeHandle {
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let registry = Arc::new(Registry::default());
    *registry
        .size
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = opts.size;
    let (signals, signals_rx) = mpsc::unbounded_channel();
    let inbox = Arc::new(super::inbox::Inbox::default());
    let shared = Arc::new(Shared {
        workspace: opts.workspace.clone(),
        backend: opts.backend,
        registry: Arc::clone(&registry),
        wake: opts.wake,
        scrollback: opts.scrollback,
        stop_grace: opts.stop_grace,
        nox_exe: opts.nox_exe,
        store: opts.store.clone(),
        stubs: StubPool::default(),
        signals,
        lease: opts.lease,
        instance: opts.instance,
        cgroups: opts.cgroups,
        inbox: Arc::clone(&inbox),
        policies: opts.policies,
    });
    // The agents register first: the scheduler starts by recovering tasks
    // and inboxes, which asks who is known.
    let mut sup = Supervisor { shared };
    for spec in agents {
        sup.start_actor(spec);
    }
    let sched = super::scheduler::spawn(super::scheduler::Init {
        store: opts.store.clone(),
        registry: Arc::clone(&registry),
        signals: signals_rx,
        workspace: opts.workspace.clone(),
        lease: opts.lease,
        inbox: Arc::clone(&inbox),
        rate: crate::domain::message::RateLimit::new(opts.message_limit.0, opts.message_limit.1),
    });
    let handle = RuntimeHandle::new(HandleParts {
        cmd: cmd_tx,
        events: opts.events,
        registry,
        sched,
        store: opts.store,
        workspace: opts.workspace,
        inbox,
        metrics: opts.metrics,
    });
    tokio::spawn(sup.run(cmd_rx));
    handle
}

struct Supervisor {
    shared: Arc<Shared>,
}

fn edit_error(e: EditError) -> RuntimeError {
    match e {
        EditError::NoSuchAgent(n) => no_agent(&n),
        EditError::Config(c) if c.message.contains("duplicate agent name") => {
            RuntimeError::Conflict(c.to_string())
        }
        other => RuntimeError::Refused(other.to_string()),
    }
}

impl Supervisor {
    fn start_actor(&mut self, spec: AgentSpec) {
        let name = spec.name.clone();
        if self.shared.registry.tx(&name).is_some() {
            tracing::error!("an agent named {name:?} already exists");
            return;
        }
        AgentActor::spawn(Arc::clone(&self.shared), spec);
    }

    async fn add(&mut self, new: NewAgent) -> Result<AgentInfo> {
        if self.shared.registry.tx(&new.name).is_some() {
            return Err(RuntimeError::Conflict(format!(
                "an agent named {:?} already exists",
                new.name
            )));
        }
        let ws = self.shared.workspace.clone();
        let name = new.name.clone();
        let cfg = tokio::task::spawn_blocking(move || add_agent(&ws.config_path(), &ws.root, &new))
            .await
            .map_err(|e| RuntimeError::Gone(e.to_string()))?
            .map_err(edit_error)?;
        let spec = cfg
            .agents
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                RuntimeError::Refused("the new agent is missing from nox.toml".into())
            })?;
        self.shared.store.emit_later(EventBody::AgentAdded {
            agent: name.clone(),
            agent_kind: spec.kind,
        });
        tracing::info!("added agent {name}");
        self.start_actor(spec);
        self.shared
            .registry
            .lock()
            .iter()
            .find(|e| e.info.spec.name == name)
            .map(|e| e.info.clone())
            .ok_or_else(|| no_agent(&name))
    }

    async fn remove(&mut self, name: String) -> Result<()> {
        let tx = self
            .shared
            .registry
            .tx(&name)
            .ok_or_else(|| no_agent(&name))?;
        let (done_tx, done_rx) = oneshot::channel();
        let _ = tx.send(AgentCmd::Shutdown(done_tx));
        let _ = done_rx.await;
        self.shared
            .registry
            .lock()
            .retain(|e| e.info.spec.name != name);
        self.shared.wake.notify_one();
        let ws = self.shared.workspace.clone();
        let n2 = name.clone();
        let edited =
            tokio::task::spawn_blocking(move || remove_agent(&ws.config_path(), &ws.root, &n2))
                .await
                .map_err(|e| RuntimeError::Gone(e.to_string()))?;
        match edited {
            Ok(_) | Err(EditError::NoSuchAgent(_)) => {}
            Err(e) => return Err(edit_error(e)),
        }
        self.shared.store.emit_later(EventBody::AgentRemoved {
            agent: name.clone(),
        });
        // Its inbox goes with it: refused, never delivered to a later
        // agent of the same name.
        let left: Vec<_> = self.shared.inbox.take(&name).iter().map(|m| m.id).collect();
        let why = format!("agent {name} was removed");
        self.shared
            .store
            .write_later(move |c| crate::store::messages::refuse(c, &left, &why).map(|_| ()));
        tracing::info!("removed agent {name}");
        Ok(())
    }

    async fn run(mut self, mut rx: mpsc::Receiver<SupCmd>) {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                SupCmd::Add(new, reply) => {
                    let _ = reply.send(self.add(*new).await);
                }
                SupCmd::Remove(name, reply) => {
                    let _ = reply.send(self.remove(name).await);
                }
                SupCmd::Shutdown(reply) => {
                    let txs: Vec<_> = self
                        .shared
                        .registry
                        .lock()
                        .iter()
                        .map(|e| e.tx.clone())
                        .collect();
                    let mut waits = Vec::new();
                    for tx in txs {
                        let (done_tx, done_rx) = oneshot::channel();
                        if tx.send(AgentCmd::Shutdown(done_tx)).is_ok() {
                            waits.push(done_rx);
                        }
                    }
                    for w in waits {
                        let _ = w.await;
                    }
                    let _ = reply.send(Ok(()));
                    return;
                }
            }
        }
    }
}
