//! The layering docs/ARCHITECTURE.md promises, checked on the sources: the
//! dashboard imports neither the store nor the server; the domain imports
//! no config, runtime or I/O layer; connectors know nothing of the runtime;
//! the runtime never branches on an agent's kind (the connector does); and
//! the scheduler takes no control signal from the observers' broadcast.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("src dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                out.push((p.display().to_string(), text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

fn forbid(dir: &str, needles: &[&str]) {
    for (path, text) in sources(dir) {
        for n in needles {
            assert!(!text.contains(n), "{path} uses {n}");
        }
    }
}

#[test]
fn the_dashboard_imports_neither_the_store_nor_the_server() {
    forbid(
        "tui",
        &[
            "crate::store",
            "crate::server",
            "crate::core",
            "crate::commands",
        ],
    );
}

#[test]
fn the_domain_is_pure() {
    forbid(
        "domain",
        &[
            "crate::config",
            "crate::runtime",
            "crate::store",
            "crate::tui",
            "tokio::",
            "rusqlite::",
            "ratatui::",
        ],
    );
}

#[test]
fn connectors_know_nothing_of_the_runtime() {
    forbid(
        "connector",
        &[
            "crate::runtime",
            "crate::store",
            "crate::tui",
            "crate::server",
        ],
    );
}

#[test]
fn the_runtime_never_branches_on_an_agent_kind() {
    forbid(
        "runtime",
        &["AgentKind", "connector::claude", "connector::generic"],
    );
}

#[test]
fn control_paths_do_not_read_the_broadcast() {
    for (path, text) in sources("runtime") {
        if path.ends_with("scheduler.rs")
            || path.contains("agent")
            || path.ends_with("supervisor.rs")
        {
            assert!(
                !text.contains(".subscribe()"),
                "{path} subscribes to the broadcast"
            );
        }
    }
}
