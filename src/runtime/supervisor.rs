//! The supervisor actor: owns the set of agent actors, adds and removes
//! them, routes commands, and shuts everything down (no orphan processes).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot};

use super::agent::{AgentActor, AgentCmd, Shared};
use super::handle::{Command, Event, Registry, RuntimeHandle, RuntimeOptions};
use super::stubs::StubPool;
use crate::domain::AgentSpec;

pub(crate) fn spawn(opts: RuntimeOptions, agents: Vec<AgentSpec>) -> RuntimeHandle {
    let (cmd_tx, cmd_rx) = mpsc::channel(256);
    let (events, _) = broadcast::channel(1024);
    let registry = Arc::new(Registry::default());
    *registry
        .size
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = opts.size;
    let sched = opts.store.clone().map(|store| {
        super::scheduler::spawn(
            store,
            Arc::clone(&registry),
            events.clone(),
            cmd_tx.clone(),
            opts.workspace.clone(),
        )
    });
    let shared = Arc::new(Shared {
        workspace: opts.workspace.clone(),
        backend: opts.backend,
        events: events.clone(),
        registry: Arc::clone(&registry),
        wake: opts.wake,
        scrollback: opts.scrollback,
        stop_grace: opts.stop_grace,
        nox_exe: opts.nox_exe,
        store: opts.store,
        stubs: StubPool::default(),
    });
    let handle = RuntimeHandle {
        cmd: cmd_tx,
        events,
        registry,
        sched,
        workspace: opts.workspace,
    };
    let mut sup = Supervisor {
        shared,
        actors: HashMap::new(),
    };
    for spec in agents {
        if let Err(e) = sup.add(spec) {
            tracing::error!("{e}");
        }
    }
    tokio::spawn(sup.run(cmd_rx));
    handle
}

struct Supervisor {
    shared: Arc<Shared>,
    actors: HashMap<String, mpsc::UnboundedSender<AgentCmd>>,
}

impl Supervisor {
    fn add(&mut self, spec: AgentSpec) -> Result<(), String> {
        if self.actors.contains_key(&spec.name) {
            return Err(format!("an agent named {:?} already exists", spec.name));
        }
        let name = spec.name.clone();
        let tx = AgentActor::spawn(Arc::clone(&self.shared), spec);
        self.actors.insert(name, tx);
        Ok(())
    }

    fn tell(&self, name: &str, cmd: AgentCmd) {
        if let Some(tx) = self.actors.get(name) {
            let _ = tx.send(cmd);
        } else {
            tracing::warn!("no agent named {name:?}");
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                Command::Add(spec, reply) => {
                    let _ = reply.send(self.add(*spec));
                }
                Command::Remove(name, reply) => {
                    let Some(tx) = self.actors.remove(&name) else {
                        let _ = reply.send(Err(format!("no agent named {name:?}")));
                        continue;
                    };
                    let (done_tx, done_rx) = oneshot::channel();
                    let _ = tx.send(AgentCmd::Shutdown(done_tx));
                    let _ = done_rx.await;
                    self.shared.registry.lock().retain(|a| a.spec.name != name);
                    let _ = self.shared.events.send(Event::AgentRemoved(name.clone()));
                    self.shared.wake.notify_one();
                    let _ = reply.send(Ok(()));
                }
                Command::Start(n) => self.tell(&n, AgentCmd::Start),
                Command::Stop(n) => self.tell(&n, AgentCmd::Stop),
                Command::Restart(n) => self.tell(&n, AgentCmd::Restart),
                Command::Delivered(n) => self.tell(&n, AgentCmd::Delivered),
                Command::Hook(n, ev, reply) => match self.actors.get(&n) {
                    Some(tx) => {
                        let _ = tx.send(AgentCmd::Hook(ev, reply));
                    }
                    None => {
                        let _ = reply.send(Err(format!("no agent named {n:?}")));
                    }
                },
                Command::Shutdown(reply) => {
                    let mut waits = Vec::new();
                    for tx in self.actors.values() {
                        let (done_tx, done_rx) = oneshot::channel();
                        if tx.send(AgentCmd::Shutdown(done_tx)).is_ok() {
                            waits.push(done_rx);
                        }
                    }
                    for w in waits {
                        let _ = w.await;
                    }
                    let _ = reply.send(());
                    return;
                }
            }
        }
    }
}
