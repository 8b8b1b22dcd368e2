//! Every route of the API over real HTTP, on the control socket and on
//! loopback TCP behind the token: each answers a valid request with its
//! success status and body, and each provokable 4xx (400 malformed JSON,
//! 404 unknown name, id or route, 409 conflict, 413 over the limit, 422 an
//! invalid field; on TCP 401 without or with a wrong token and 403 for a
//! foreign `Host`, on every route) with `{"error": {"code", "message"}}`.
//! The walk is one table run on both listeners; its coverage is checked
//! against the routes the OpenAPI description names.

mod agents;
mod api;
mod guard;
mod hooks;
mod http;
mod instance;
mod messages;
mod tasks;

use std::collections::BTreeSet;

use serde_json::Value;

use self::api::Api;
use self::http::Listener;
use crate::e2e_headless::start;
use crate::support::{BASH_SH, Ws, kill};

/// A stopped generic agent and a claude agent whose "claude" is a script
/// that ignores the arguments nox gives it and sleeps: its hooks and
/// approvals are driven over the API alone.
const MORE: &str = r#"
[[agent]]
name = "off"
command = "sh"
autostart = false

[[agent]]
name = "cc"
kind = "claude"
command = "CC_SCRIPT"
"#;

/// `path` (its query left out) is an instance of the route `template`.
fn matches(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

/// A workspace with `sh` (bash, tasks complete), `off` (stopped) and `cc`
/// (a claude agent whose process sleeps).
fn workspace() -> Ws {
    let ws = Ws::new(BASH_SH);
    let script = crate::support::script(&ws, "cc.sh", "#!/bin/sh\nexec sleep 600\n");
    let toml = format!(
        "{BASH_SH}{}",
        MORE.replace("CC_SCRIPT", &script.display().to_string())
    );
    std::fs::write(ws.file(".nox/nox.toml"), toml).expect("nox.toml");
    ws
}

/// Walks every route on `api` with a valid request and with each error it
/// can be made to answer; `tag` marks what it makes. Returns the description.
fn walk(api: &Api, tag: &str) -> Value {
    api.wait("sh is idle", "/api/agents/sh", |a| a["status"] == "idle");
    api.wait("cc runs", "/api/agents/cc", |a| a["pid"].is_u64());
    let spec = instance::walk(api);
    agents::walk(api, tag);
    hooks::walk(api, tag);
    tasks::walk(api, tag);
    agents::restart(api);
    messages::walk(api, tag);
    spec
}

/// Every route the description names was answered with a 2xx, and every
/// status of `errors` was seen.
fn assert_covered(api: &Api, spec: &Value, errors: &[u16]) {
    let seen = api.seen.borrow();
    let (mut routes, mut missing) = (0, Vec::new());
    for (template, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes += 1;
            let served = seen.iter().any(|(m, p, st)| {
                m.eq_ignore_ascii_case(method) && matches(template, p) && (200..300).contains(st)
            });
            if !served {
                missing.push(format!("{} {template}", method.to_uppercase()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "never answered with a success: {missing:?}"
    );
    // e2e_openapi's ROUTES: 23 routes.
    assert!(routes >= 23, "the description names {routes} routes");
    let statuses: BTreeSet<u16> = seen.iter().map(|(_, _, s)| *s).collect();
    for want in errors {
        assert!(statuses.contains(want), "no {want} among {statuses:?}");
    }
}

/// A running `nox --headless`, stopped with SIGTERM when the test is done
/// or has failed.
struct Nox(Option<crate::e2e_headless::Headless>);

impl Nox {
    /// Stops nox with SIGTERM and checks it exits 0.
    fn stop(mut self) {
        let mut nox = self.0.take().expect("running");
        kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
        assert_eq!(nox.wait().expect("wait").code(), Some(0));
    }
}

impl Drop for Nox {
    fn drop(&mut self) {
        if let Some(mut nox) = self.0.take() {
            kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
            let _ = nox.wait();
        }
    }
}

#[test]
fn every_route_and_its_errors_on_the_socket() {
    let ws = workspace();
    let (nox, first) = start(&ws, &[]);
    let nox = Nox(Some(nox));
    assert!(first.starts_with("listening on unix:"), "{first}");
    let api = Api::new(Listener::Socket(ws.file(".nox/nox.sock")));
    let spec = walk(&api, "sock");
    assert_covered(&api, &spec, &[400, 404, 405, 409, 413, 422]);
    nox.stop();
}

#[test]
fn every_route_and_its_errors_on_loopback_behind_the_token() {
    let ws = workspace();
    let (nox, first) = start(&ws, &["--listen", "127.0.0.1:0"]);
    let nox = Nox(Some(nox));
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    let token = std::fs::read_to_string(ws.file(".nox/api-token")).expect("token");
    let bearer = format!("Bearer {}", token.trim());
    let to = Listener::Tcp {
        addr: addr.clone(),
        bearer: bearer.clone(),
    };
    let api = Api::new(to);
    let spec = walk(&api, "tcp");
    let guarded = guard::every_route(&api, &spec, &addr, &bearer);
    assert!(guarded >= 20, "{guarded} routes");
    assert_covered(&api, &spec, &[400, 401, 403, 404, 405, 409, 413, 422]);
    nox.stop();
}
