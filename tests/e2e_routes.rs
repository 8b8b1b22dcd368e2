//! Every route of the API over real HTTP, on the control socket and on
//! loopback TCP behind the token: each answers a valid request with its
//! success status and body, and each provokable 4xx (400 malformed JSON,
//! 404 unknown name, id or route, 409 conflict, 413 over the limit, 422 an
//! invalid field; on TCP 401 without or with a wrong token and 403 for a
//! foreign `Host`, on every route) with `{"error": {"code", "message"}}`.
//! The walk is one table run on both listeners; its coverage is checked
//! against the routes the OpenAPI description names.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::e2e_headless::start;
use crate::support::{BASH_SH, Ws, eventually, kill};

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

/// One HTTP answer: status, head (status line and headers), body (chunked
/// transfer coding undone).
struct Reply {
    status: u16,
    head: String,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.head.lines().next().unwrap_or_default(),
                self.body
            )
        })
    }
}

/// Undoes the chunked transfer coding (RFC 9112 §7.1).
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let line = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|e| panic!("chunk size {line:?}: {e}"));
        raw = &raw[eol + 2..];
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
    out
}

/// Writes one request on `s` (a `Connection: close` one) and reads its answer.
fn exchange<S: Read + Write>(mut s: S, head: &str, body: &[u8]) -> Reply {
    // The server may answer (413) before it has read all of the body: a
    // failed write still leaves its answer to read.
    let _ = s
        .write_all(head.as_bytes())
        .and_then(|()| s.write_all(body));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer to {head}: {}", String::from_utf8_lossy(&raw)));
    let head_text = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head_text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut reply = Reply {
        status,
        head: head_text,
        body: String::new(),
    };
    let rest = &raw[end + 4..];
    let chunked = reply
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    reply.body = if chunked {
        String::from_utf8_lossy(&dechunk(rest)).into_owned()
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    reply
}

/// Where requests go: the control socket, or loopback TCP with its token.
#[derive(Clone)]
enum Listener {
    Socket(PathBuf),
    Tcp { addr: String, bearer: String },
}

impl Listener {
    /// `METHOD path` with exactly `headers` (and the framing ones).
    fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let body = body.unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        for (k, v) in headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        head.push_str("\r\n");
        let timeout = Some(Duration::from_secs(30));
        match self {
            Self::Socket(path) => {
                let s = UnixStream::connect(path).expect("the control socket");
                s.set_read_timeout(timeout).expect("timeout");
                exchange(s, &head, body)
            }
            Self::Tcp { addr, .. } => {
                let s = TcpStream::connect(addr).expect("loopback");
                s.set_read_timeout(timeout).expect("timeout");
                exchange(s, &head, body)
            }
        }
    }

    /// `METHOD path` as a client of this listener sends it: on TCP with
    /// its `Host` and the bearer token.
    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let mut all: Vec<(&str, &str)> = match self {
            Self::Socket(_) => vec![("Host", "nox")],
            Self::Tcp { addr, bearer } => vec![("Host", addr), ("Authorization", bearer)],
        };
        all.extend_from_slice(headers);
        self.raw(method, path, &all, body)
    }
}

/// A listener and every (method, path, status) asked of it.
struct Api {
    to: Listener,
    seen: RefCell<Vec<(String, String, u16)>>,
}

impl Api {
    fn new(to: Listener) -> Self {
        Self {
            to,
            seen: RefCell::new(Vec::new()),
        }
    }

    fn note(&self, method: &str, path: &str, status: u16) {
        self.seen
            .borrow_mut()
            .push((method.to_string(), path.to_string(), status));
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let r = self.to.call(method, path, headers, body);
        self.note(method, path, r.status);
        r
    }

    /// Asserts `METHOD path` answers `want` with JSON, and returns it.
    fn ok_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
        want: u16,
    ) -> Value {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let r = self.send(method, path, headers, bytes.as_deref());
        assert_eq!(r.status, want, "{method} {path}: {}", r.body);
        assert!(
            r.header("content-type")
                .is_some_and(|v| v.starts_with("application/json")),
            "{method} {path}: {}",
            r.head
        );
        r.json()
    }

    fn ok(&self, method: &str, path: &str, body: Option<&Value>, want: u16) -> Value {
        self.ok_with(method, path, &[], body, want)
    }

    fn get(&self, path: &str) -> Value {
        self.ok("GET", path, None, 200)
    }

    /// Asserts `METHOD path` fails with `want` and the JSON error `code`.
    fn fails_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        want: u16,
        code: &str,
    ) -> String {
        let r = self.send(method, path, headers, body);
        assert_error(&r, want, code, &format!("{method} {path}"))
    }

    fn fails(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        want: u16,
        code: &str,
    ) -> String {
        let bytes = body.map(|b| b.to_string().into_bytes());
        self.fails_with(method, path, &[], bytes.as_deref(), want, code)
    }

    /// Polls `GET path` (not noted) until `pred` holds.
    fn wait(&self, what: &str, path: &str, pred: impl Fn(&Value) -> bool) {
        eventually(what, 30, || {
            let r = self.to.call("GET", path, &[], None);
            r.status == 200 && pred(&r.json())
        });
    }
}

/// Asserts `r` is the error `want` with `code` in the JSON shape; its message.
fn assert_error(r: &Reply, want: u16, code: &str, what: &str) -> String {
    assert_eq!(r.status, want, "{what}: {} {}", r.head, r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|v| v.starts_with("application/json")),
        "{what}: {}",
        r.head
    );
    let v = r.json();
    assert_eq!(v["error"]["code"], code, "{what}: {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: {v}"
    );
    assert_eq!(
        v.as_object().map(serde_json::Map::len),
        Some(1),
        "{what}: only `error`: {v}"
    );
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

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

    // The instance itself.
    let health = api.get("/health");
    assert_eq!(
        (health["status"].as_str(), health["agents"].as_u64()),
        (Some("ok"), Some(3))
    );
    let spec = api.get("/api/openapi.json");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    let metrics = api.send("GET", "/metrics", &[], None);
    assert_eq!(metrics.status, 200, "{}", metrics.body);
    assert!(
        metrics.body.trim_end().ends_with("# EOF"),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains("nox_agents{"), "{}", metrics.body);
    let events = api.send("GET", "/api/events?follow=false", &[], None);
    assert_eq!(events.status, 200, "{}", events.body);
    assert!(
        events
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/event-stream")),
        "{}",
        events.head
    );
    assert!(
        events.body.lines().any(|l| l.starts_with("id:"))
            && events.body.contains("event: agent.status"),
        "{}",
        events.body
    );
    api.fails("GET", "/api/events?since=soon", None, 400, "bad_request");
    api.fails_with(
        "GET",
        "/api/events",
        &[("Last-Event-ID", "x")],
        None,
        400,
        "bad_id",
    );
    api.fails("GET", "/no/such/route", None, 404, "not_found");
    api.fails("DELETE", "/health", None, 405, "method_not_allowed");

    // Agents: list, create, one, remove.
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
    api.fails(
        "POST",
        "/api/agents",
        Some(&json!({"name": extra, "command": "cat"})),
        409,
        "conflict",
    );
    api.fails(
        "POST",
        "/api/agents",
        Some(&json!({"name": "Bad Name!", "command": "cat"})),
        422,
        "refused",
    );
    api.fails_with(
        "POST",
        "/api/agents",
        &[],
        Some(b"{\"name\": "),
        400,
        "bad_json",
    );
    api.fails(
        "POST",
        "/api/agents",
        Some(&json!({"name": "x", "colour": "red"})),
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
    api.fails(
        "POST",
        "/api/agents/off/input",
        Some(&json!({"text": "x"})),
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
    api.fails_with(
        "POST",
        "/api/agents/sh/input",
        &[],
        Some(b"echo hi"),
        400,
        "bad_json",
    );
    api.fails(
        "POST",
        "/api/agents/sh/input",
        Some(&json!({"text": 7})),
        400,
        "bad_json",
    );

    // cc: its permission hook waits for the API's answer.
    let asking = {
        let to = api.to.clone();
        let payload =
            json!({"tool_name": "Bash", "tool_input": {"command": format!("touch {tag}")}});
        std::thread::spawn(move || {
            to.call(
                "POST",
                "/hook/PermissionRequest?agent=cc",
                &[],
                Some(payload.to_string().as_bytes()),
            )
        })
    };
    let what = format!("touch {tag}");
    api.wait("cc waits for an approval", "/api/agents/cc", |a| {
        a["approval"]["what"] == what.as_str()
    });
    let decided = api.ok(
        "POST",
        "/api/agents/cc/approve",
        Some(&json!({"allow": true})),
        200,
    );
    assert_eq!(
        (
            decided["agent"].as_str(),
            decided["allow"].as_bool(),
            decided["by"].as_str()
        ),
        (Some("cc"), Some(true), Some("api")),
        "{decided}"
    );
    assert_eq!(decided["approval"]["what"], what.as_str(), "{decided}");
    let hooked = asking.join().expect("the hook request");
    api.note("POST", "/hook/PermissionRequest?agent=cc", hooked.status);
    assert_eq!(hooked.status, 200, "{}", hooked.body);
    let answer: Value = serde_json::from_str(&hooked.body).expect("the hook's answer");
    assert_eq!(
        answer["hookSpecificOutput"]["decision"]["behavior"], "allow",
        "{answer}"
    );
    api.fails(
        "POST",
        "/api/agents/cc/approve",
        Some(&json!({"allow": false})),
        409,
        "conflict",
    );
    api.fails_with(
        "POST",
        "/api/agents/cc/approve",
        &[],
        Some(b"yes"),
        400,
        "bad_json",
    );
    api.fails(
        "POST",
        "/api/agents/cc/approve",
        Some(&json!({"allow": "yes"})),
        400,
        "bad_json",
    );
    let stop = api.send("POST", "/hook/Stop?agent=cc", &[], Some(b"{}"));
    assert_eq!(
        (stop.status, stop.body.as_str()),
        (200, ""),
        "a Stop hook says nothing"
    );
    api.fails(
        "POST",
        "/hook/Stop?agent=sh",
        Some(&json!({})),
        422,
        "refused",
    );
    api.fails(
        "POST",
        "/hook/Stop?agent=ghost",
        Some(&json!({})),
        404,
        "not_found",
    );
    api.fails_with(
        "POST",
        "/hook/Stop?agent=cc",
        &[],
        Some(b"{"),
        400,
        "bad_json",
    );
    api.fails(
        "POST",
        "/hook/Stop?agent=cc",
        Some(&json!({"session_id": "nope"})),
        400,
        "bad_hook",
    );

    // Tasks: one that holds sh, one blocked behind it.
    let hold = api.ok(
        "POST",
        "/api/tasks",
        Some(&json!({"title": format!("hold-{tag}"), "body": "sleep 600", "assign": "sh"})),
        201,
    );
    let hold_id = hold["id"].as_u64().expect("id");
    let hold_path = format!("/api/tasks/{hold_id}");
    api.wait("sh runs the task", &hold_path, |t| {
        t["task"]["status"] == "running"
    });
    let keyed = [("Idempotency-Key", tag)];
    let later = api.ok_with(
        "POST",
        "/api/tasks",
        &keyed,
        Some(&json!({"title": format!("later-{tag}"), "after": [hold_id]})),
        201,
    );
    assert_eq!(later["status"], "blocked", "{later}");
    let again = api.ok_with(
        "POST",
        "/api/tasks",
        &keyed,
        Some(&json!({"title": format!("later-{tag}"), "after": [hold_id]})),
        200,
    );
    assert_eq!(again["id"], later["id"], "the key's task, not a new one");
    let later_id = later["id"].as_u64().expect("id");
    let listed = api.get("/api/tasks?status=blocked");
    assert!(
        listed
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["id"] == later_id),
        "{listed}"
    );
    api.fails("GET", "/api/tasks?status=sleepy", None, 400, "bad_status");
    let detail = api.get(&hold_path);
    assert_eq!(detail["task"]["title"], format!("hold-{tag}"), "{detail}");
    assert!(
        detail["events"].as_array().is_some_and(|e| !e.is_empty()),
        "{detail}"
    );
    let assigned = api.ok(
        "POST",
        &format!("/api/tasks/{later_id}/assign"),
        Some(&json!({"agent": "sh"})),
        200,
    );
    assert_eq!(
        (assigned["assignee"].as_str(), assigned["pinned"].as_bool()),
        (Some("sh"), Some(true)),
        "{assigned}"
    );
    // An unknown agent in the body is an invalid field, as at creation.
    api.fails(
        "POST",
        &format!("/api/tasks/{later_id}/assign"),
        Some(&json!({"agent": "ghost"})),
        422,
        "refused",
    );
    api.fails_with(
        "POST",
        &format!("/api/tasks/{later_id}/assign"),
        &[],
        Some(b"sh"),
        400,
        "bad_json",
    );
    let cancelled = api.ok("POST", &format!("/api/tasks/{later_id}/cancel"), None, 200);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    api.fails(
        "POST",
        &format!("/api/tasks/{later_id}/cancel"),
        None,
        409,
        "conflict",
    );
    api.fails(
        "POST",
        &format!("/api/tasks/{later_id}/assign"),
        Some(&json!({"agent": "sh"})),
        409,
        "conflict",
    );
    let complete = format!("{hold_path}/complete");
    let summary = json!({"summary": format!("held-{tag}")});
    api.fails("POST", &complete, Some(&summary), 422, "no_agent");
    api.fails_with(
        "POST",
        &complete,
        &[("X-Nox-Agent", "cc")],
        Some(summary.to_string().as_bytes()),
        409,
        "conflict",
    );
    api.fails_with(
        "POST",
        &complete,
        &[("X-Nox-Agent", "Not An Agent")],
        Some(summary.to_string().as_bytes()),
        400,
        "bad_agent",
    );
    api.fails_with(
        "POST",
        &complete,
        &[("X-Nox-Agent", "sh")],
        Some(b"done"),
        400,
        "bad_json",
    );
    api.fails_with(
        "POST",
        "/api/tasks/x/complete",
        &[("X-Nox-Agent", "sh")],
        Some(summary.to_string().as_bytes()),
        400,
        "bad_id",
    );
    let done = api.ok_with(
        "POST",
        &complete,
        &[("X-Nox-Agent", "sh")],
        Some(&summary),
        200,
    );
    assert_eq!(done["status"], "done", "{done}");
    assert!(
        done["result"]
            .as_str()
            .is_some_and(|r| r.contains(&format!("held-{tag}"))),
        "{done}"
    );
    api.fails(
        "POST",
        "/api/tasks",
        Some(&json!({"title": " "})),
        422,
        "refused",
    );
    api.fails(
        "POST",
        "/api/tasks",
        Some(&json!({"title": "t", "assign": "ghost"})),
        422,
        "refused",
    );
    // Under the 2 MiB request limit: the runtime refuses the body itself.
    let why = api.fails(
        "POST",
        "/api/tasks",
        Some(&json!({"title": "t", "body": "x".repeat(1024 * 1024 + 1)})),
        413,
        "too_large",
    );
    assert!(why.contains("task body") && why.contains("1 MiB"), "{why}");
    api.fails_with(
        "POST",
        "/api/tasks",
        &[],
        Some(b"{\"title\": \"t\",}"),
        400,
        "bad_json",
    );
    api.fails(
        "POST",
        "/api/tasks",
        Some(&json!({"title": 5})),
        400,
        "bad_json",
    );
    api.fails("GET", "/api/tasks/999999", None, 404, "not_found");
    api.fails("GET", "/api/tasks/abc", None, 400, "bad_request");
    api.fails("POST", "/api/tasks/999999/cancel", None, 404, "not_found");
    api.fails(
        "POST",
        "/api/tasks/999999/assign",
        Some(&json!({"agent": "sh"})),
        404,
        "not_found",
    );
    api.fails_with(
        "POST",
        "/api/tasks/999999/complete",
        &[("X-Nox-Agent", "sh")],
        Some(summary.to_string().as_bytes()),
        404,
        "not_found",
    );

    // sh still runs `sleep 600`: a restart gives it a new shell.
    let pid = api.get("/api/agents/sh")["pid"].as_u64().expect("pid");
    let restarting = api.ok("POST", "/api/agents/sh/restart", None, 202);
    assert_eq!(restarting["name"], "sh", "{restarting}");
    api.wait("sh is back and idle", "/api/agents/sh", |a| {
        a["status"] == "idle" && a["pid"].as_u64().is_some_and(|p| p != pid)
    });

    // Messages.
    let text = format!("note-{tag}");
    let sent = api.ok(
        "POST",
        "/api/messages",
        Some(&json!({"from": "off", "to": "user", "text": text})),
        201,
    );
    assert_eq!(
        (sent["to"].as_str(), sent["state"].as_str()),
        (Some("user"), Some("delivered")),
        "{sent}"
    );
    let flow = api.get("/api/messages?agent=off&limit=10");
    assert!(
        flow.as_array()
            .expect("messages")
            .iter()
            .any(|m| m["text"] == text.as_str()),
        "{flow}"
    );
    api.fails(
        "POST",
        "/api/messages",
        Some(&json!({"to": "ghost", "text": "hi"})),
        404,
        "not_found",
    );
    api.fails(
        "POST",
        "/api/messages",
        Some(&json!({"to": "sh", "text": " "})),
        422,
        "refused",
    );
    api.fails(
        "POST",
        "/api/messages",
        Some(&json!({"from": "nobody", "to": "sh", "text": "hi"})),
        422,
        "refused",
    );
    api.fails_with(
        "POST",
        "/api/messages",
        &[("X-Nox-Agent", "cc")],
        Some(
            json!({"from": "off", "to": "user", "text": "hi"})
                .to_string()
                .as_bytes(),
        ),
        422,
        "bad_sender",
    );
    let why = api.fails(
        "POST",
        "/api/messages",
        Some(&json!({"to": "user", "from": "off", "text": "x".repeat(1024 * 1024 + 1)})),
        413,
        "too_large",
    );
    assert!(why.contains("the message is"), "{why}");
    api.fails_with(
        "POST",
        "/api/messages",
        &[],
        Some(b"[1, 2"),
        400,
        "bad_json",
    );
    api.fails("GET", "/api/messages?limit=many", None, 400, "bad_query");

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
struct Nox(Option<std::process::Child>);

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
    let api = Api::new(to.clone());
    let spec = walk(&api, "tcp");

    // The guard, on every route: 401 without the token or with a wrong
    // one (`/health` is open), 403 for a foreign `Host` even with it.
    let host = ("Host", addr.as_str());
    let mut guarded = 0;
    for (template, item) in spec["paths"].as_object().expect("paths") {
        let path = template
            .replace("{name}", "sh")
            .replace("{id}", "1")
            .replace("{event}", "Stop");
        for method in item.as_object().expect("path item").keys() {
            let method = method.to_uppercase();
            let what = format!("{method} {path}");
            let bare = to.raw(&method, &path, &[host], None);
            let wrong = to.raw(
                &method,
                &path,
                &[host, ("Authorization", "Bearer 0123")],
                None,
            );
            let foreign = to.raw(
                &method,
                &path,
                &[("Host", "evil.example"), ("Authorization", bearer.as_str())],
                None,
            );
            for r in [&bare, &wrong, &foreign] {
                api.note(&method, &path, r.status);
            }
            if path == "/health" {
                assert_eq!((bare.status, wrong.status), (200, 200), "{what} is open");
            } else {
                assert_error(
                    &bare,
                    401,
                    "unauthorized",
                    &format!("{what} without a token"),
                );
                assert_error(
                    &wrong,
                    401,
                    "unauthorized",
                    &format!("{what} with a wrong token"),
                );
                assert_eq!(bare.header("www-authenticate"), Some("Bearer"), "{what}");
            }
            assert_error(
                &foreign,
                403,
                "foreign_host",
                &format!("{what} for evil.example"),
            );
            guarded += 1;
        }
    }
    assert!(guarded >= 20, "{guarded} routes");
    assert_covered(&api, &spec, &[400, 401, 403, 404, 405, 409, 413, 422]);
    nox.stop();
}
