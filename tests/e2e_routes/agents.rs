//! The agent routes: list, create, one, remove; start, stop and restart;
//! the screen and input; each with its 400, 404, 409 and 422.

use serde_json::json;

use super::api::Api;

/// Walks the agent routes on `api`; `tag` names the agent it makes.
pub(super) fn walk(api: &Api, tag: &str) {
    // List, create, one, remove.
    let list = api.get("/api/agents");
    let names: Vec<&str> = list
        .as_array()
        .expect("agents")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["sh", "off", "cc"], "{list}");
    let extra = format!("extra-{tag}");
    let made = api.ok(
        "POST",
        "/api/agents",
        Some(&json!({"name": extra, "command": "cat"})),
        201,
    );
    assert_eq!(
        (made["name"].as_str(), made["kind"].as_str()),
        (Some(extra.as_str()), Some("generic")),
        "{made}"
    );
    let one = api.get(&format!("/api/agents/{extra}"));
    assert_eq!(one["command"], "cat", "{one}");
    let agents = "/api/agents";
    api.post_fails(
        agents,
        &json!({"name": extra, "command": "cat"}),
        409,
        "conflict",
    );
    api.post_fails(
        agents,
        &json!({"name": "Bad Name!", "command": "cat"}),
        422,
        "refused",
    );
    api.bad_json(agents, b"{\"name\": ");
    api.post_fails(
        agents,
        &json!({"name": "x", "colour": "red"}),
        400,
        "bad_json",
    );
    let gone = api.ok("DELETE", &format!("/api/agents/{extra}"), None, 200);
    assert_eq!(gone, json!({"removed": extra}));
    api.fails(
        "GET",
        &format!("/api/agents/{extra}"),
        None,
        404,
        "not_found",
    );
    api.fails("DELETE", "/api/agents/ghost", None, 404, "not_found");
    api.fails("GET", "/api/agents/ghost", None, 404, "not_found");

    // Start and stop `off`; input to it while stopped.
    let started = api.ok("POST", "/api/agents/off/start", None, 202);
    assert_eq!(started["name"], "off", "{started}");
    api.wait("off runs", "/api/agents/off", |a| a["pid"].is_u64());
    let stopping = api.ok("POST", "/api/agents/off/stop", None, 202);
    assert_eq!(stopping["name"], "off", "{stopping}");
    api.wait("off is stopped", "/api/agents/off", |a| {
        a["status"] == "stopped" && a["pid"].is_null()
    });
    api.post_fails(
        "/api/agents/off/input",
        &json!({"text": "x"}),
        409,
        "not_running",
    );
    for action in ["start", "stop", "restart", "screen", "input", "approve"] {
        let method = if action == "screen" { "GET" } else { "POST" };
        let body = match action {
            "input" => Some(json!({"text": "x"})),
            "approve" => Some(json!({"allow": true})),
            _ => None,
        };
        api.fails(
            method,
            &format!("/api/agents/ghost/{action}"),
            body.as_ref(),
            404,
            "not_found",
        );
    }

    // sh's screen, and what is typed into it.
    let screen = api.get("/api/agents/sh/screen");
    assert!(screen["rows"].to_string().contains("ready>"), "{screen}");
    let typed = api.ok(
        "POST",
        "/api/agents/sh/input",
        Some(&json!({"text": format!("echo in-$((40+2))-{tag}"), "submit": true})),
        200,
    );
    assert!(typed["typed"].as_u64().is_some_and(|n| n > 10), "{typed}");
    let echoed = format!("in-42-{tag}");
    api.wait("sh echoes the input", "/api/agents/sh/screen", |s| {
        s["rows"].to_string().contains(&echoed)
    });
    api.wait("sh is idle again", "/api/agents/sh", |a| {
        a["status"] == "idle"
    });
    api.bad_json("/api/agents/sh/input", b"echo hi");
    api.post_fails("/api/agents/sh/input", &json!({"text": 7}), 400, "bad_json");
}

/// Restarts sh, which still runs the held task's `sleep 600`: a restart
/// gives it a new shell.
pub(super) fn restart(api: &Api) {
    let pid = api.get("/api/agents/sh")["pid"].as_u64().expect("pid");
    let restarting = api.ok("POST", "/api/agents/sh/restart", None, 202);
    assert_eq!(restarting["name"], "sh", "{restarting}");
    api.wait("sh is back and idle", "/api/agents/sh", |a| {
        a["status"] == "idle" && a["pid"].as_u64().is_some_and(|p| p != pid)
    });
}
