//! `nox mcp` end to end: the real binary driven over stdio with
//! newline-delimited JSON-RPC against a real running instance, and the real
//! Claude Code CLI calling its tools through the `mcp.json` nox writes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::e2e_claude::{claude_bin, transcript_text};
use crate::support::{NoxPty, Ws, eventually, nox_bin, wait_socket};

/// `nox mcp --agent NAME` with pipes, speaking JSON-RPC line by line.
struct Mcp {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    next_id: u64,
}

impl Mcp {
    /// Starts it in `ws` (no `NOX_SOCKET`: it finds `.nox/nox.sock`) and
    /// completes the MCP handshake; returns it with the `initialize` result.
    fn start(ws: &Ws, agent: &str) -> (Self, Value) {
        let mut child = Command::new(nox_bin())
            .args(["mcp", "--agent", agent])
            .current_dir(ws.path())
            .env("HOME", ws.file("home"))
            .env_remove("NOX_SOCKET")
            .env_remove("NOX_ANSWER_WITHIN_MS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("nox mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut mcp = Self {
            child,
            stdin,
            lines,
            next_id: 1,
        };
        let init = mcp.request(
            "initialize",
            &json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "e2e", "version": "0"}}),
        );
        mcp.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        (mcp, init)
    }

    fn send(&mut self, msg: &Value) {
        writeln!(self.stdin, "{msg}").expect("write to nox mcp");
        self.stdin.flush().expect("flush");
    }

    /// Sends a request; the `result` of its response (panics on an error).
    fn request(&mut self, method: &str, params: &Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(l) => l,
                Err(RecvTimeoutError::Timeout) => panic!("no answer to {method} in 20 s"),
                Err(RecvTimeoutError::Disconnected) => panic!("nox mcp closed stdout"),
            };
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not JSON-RPC ({e}): {line}"));
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
        }
    }

    /// `tools/call`: (`isError`, the text content).
    fn call(&mut self, tool: &str, args: &Value) -> (bool, String) {
        let r = self.request("tools/call", &json!({"name": tool, "arguments": args}));
        let text = r["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("no text content: {r}"))
            .to_string();
        (r["isError"] == true, text)
    }

    /// `tools/call` that must succeed: its text as JSON.
    fn ok(&mut self, tool: &str, args: &Value) -> Value {
        let (err, text) = self.call(tool, args);
        assert!(!err, "{tool} {args} failed: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{tool}: not JSON ({e}): {text}"))
    }
}

impl Drop for Mcp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TWO_AGENTS: &str = "[[agent]]\nname = \"x\"\ncommand = \"sh\"\ncapabilities = [\"rust\"]\n\
                          [[agent]]\nname = \"y\"\ncommand = \"sh\"\n";

/// A running instance of `ws` (its dashboard in a PTY).
fn instance(ws: &Ws) -> NoxPty {
    let nox = NoxPty::start(ws, &[], 30, 110);
    wait_socket(ws.path(), 20);
    nox
}

#[test]
fn tools_are_listed_with_schemas_and_answer_from_the_instance() {
    let ws = Ws::new(TWO_AGENTS);
    let _nox = instance(&ws);
    let (mut mcp, init) = Mcp::start(&ws, "x");
    assert_eq!(init["serverInfo"]["name"], "nox", "{init}");
    assert!(init["capabilities"]["tools"].is_object(), "{init}");

    let tools = mcp.request("tools/list", &json!({}));
    let tools = tools["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "complete_task",
            "delegate_task",
            "list_agents",
            "list_tasks",
            "send_message",
            "task_result"
        ]
    );
    for t in tools {
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert!(
            t["description"].as_str().is_some_and(|d| d.len() > 40),
            "{t}"
        );
    }
    let schema = |name: &str| {
        tools
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["inputSchema"].clone())
            .expect("tool")
    };
    let delegate = schema("delegate_task");
    for field in ["title", "body", "to", "needs", "after"] {
        assert!(
            delegate["properties"][field].is_object(),
            "{field}: {delegate}"
        );
    }
    let mut required: Vec<&str> = delegate["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["body", "title"]);
    assert!(schema("send_message")["properties"]["to"].is_object());
    assert!(schema("task_result")["properties"]["id"].is_object());

    // list_agents: both agents, with kind, status, capabilities; x is "you".
    eventually("both agents listed", 20, || {
        mcp_agents(&ws).as_array().is_some_and(|a| a.len() == 2)
    });
    let agents = mcp.ok("list_agents", &json!({}));
    let x = agents
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "x"))
        .unwrap_or_else(|| panic!("x listed: {agents}"));
    assert_eq!(x["kind"], "generic");
    assert_eq!(x["capabilities"], json!(["rust"]));
    assert_eq!(x["you"], true);
    assert!(
        x["status"].is_string() && x.get("current_task").is_some(),
        "{x}"
    );
    assert!(agents.to_string().contains("\"name\":\"y\""), "{agents}");

    // task_result of an unknown task: a tool error with the reason.
    let (err, why) = mcp.call("task_result", &json!({"id": 999}));
    assert!(err, "an unknown task is a tool error: {why}");
    assert!(
        why.contains("HTTP 404") && why.contains("list_tasks"),
        "{why}"
    );

    // delegate_task: a task no agent can take (nobody has the capability)
    // stays queued; list_tasks and task_result show it.
    let t = mcp.ok(
        "delegate_task",
        &json!({"title": "port the parser", "body": "Port it; done when cargo test passes.",
               "needs": ["cobol"]}),
    );
    let id = t["id"].as_u64().unwrap_or_else(|| panic!("an id: {t}"));
    assert_eq!(t["status"], "queued", "{t}");
    let queued = mcp.ok("list_tasks", &json!({"status": "queued"}));
    assert!(
        queued.as_array().is_some_and(|a| a
            .iter()
            .any(|q| q["id"] == id && q["title"] == "port the parser" && q["created_by"] == "x")),
        "{queued}"
    );
    assert_eq!(mcp.ok("list_tasks", &json!({"status": "done"})), json!([]));
    let r = mcp.ok("task_result", &json!({"id": id}));
    assert_eq!(r["status"], "queued", "{r}");
    assert!(r["result"].is_null(), "{r}");

    // Refusals come back as tool errors the model can act on.
    let (err, why) = mcp.call(
        "delegate_task",
        &json!({"title": "t", "body": "b", "to": "ghost"}),
    );
    assert!(
        err && why.contains("ghost") && why.contains("list_agents"),
        "{why}"
    );
    let (err, why) = mcp.call(
        "delegate_task",
        &json!({"title": "t", "body": "b", "after": [4242]}),
    );
    assert!(err && why.contains("4242"), "{why}");
    let (err, why) = mcp.call(
        "delegate_task",
        &json!({"title": "t", "body": "x".repeat(2 << 20)}),
    );
    assert!(err && why.contains("HTTP 413"), "{why}");
}

/// The agents as the instance lists them.
fn mcp_agents(ws: &Ws) -> Value {
    crate::support::socket_get(ws.path(), "/api/agents")
}

#[test]
fn without_an_instance_every_tool_says_none_answers() {
    let ws = Ws::new(TWO_AGENTS);
    let (mut mcp, init) = Mcp::start(&ws, "x");
    assert_eq!(init["serverInfo"]["name"], "nox");
    for (tool, args) in [
        ("list_agents", json!({})),
        ("task_result", json!({"id": 1})),
        ("send_message", json!({"to": "y", "text": "hi"})),
    ] {
        let (err, why) = mcp.call(tool, &args);
        assert!(err, "{tool}: {why}");
        assert!(
            why.starts_with("no nox instance answers at "),
            "{tool}: {why}"
        );
        assert!(why.contains(".nox/nox.sock"), "{why}");
    }
}

#[test]
fn send_message_reaches_the_instance_from_this_agent() {
    let ws = Ws::new(&format!("{TWO_AGENTS}[routing]\nmessage_limit = 2\n"));
    let _nox = instance(&ws);
    let (mut mcp, _) = Mcp::start(&ws, "x");
    let m = mcp.ok(
        "send_message",
        &json!({"to": "y", "text": "the parser is ported"}),
    );
    assert!(m["id"].is_u64(), "{m}");
    assert_eq!(m["to"], "y", "{m}");
    assert!(m["state"].is_string(), "{m}");
    let (err, why) = mcp.call("send_message", &json!({"to": "ghost", "text": "hi"}));
    assert!(
        err && why.contains("HTTP 404") && why.contains("list_agents"),
        "{why}"
    );
    let (err, why) = mcp.call("send_message", &json!({"to": "y", "text": ""}));
    assert!(err && why.contains("HTTP 422"), "{why}");
    // The instance knows who sent it: the header, not the model, says so.
    let sent = crate::support::socket_get(ws.path(), "/api/messages");
    assert!(sent.to_string().contains("\"from\":\"x\""), "{sent}");
    // Past the pair's limit (2 here) a message is refused, and kept.
    mcp.ok("send_message", &json!({"to": "y", "text": "second"}));
    let (err, why) = mcp.call("send_message", &json!({"to": "y", "text": "third"}));
    assert!(
        err && why.contains("HTTP 429") && why.contains("kept as refused"),
        "{why}"
    );
}

#[test]
fn complete_task_finishes_only_the_agents_own_running_task() {
    let ws = Ws::new(
        r#"
[[agent]]
name = "x"
command = "bash"
args = ["--norc", "--noprofile", "-i"]
env = { PS1 = "ready> " }
ready_pattern = 'ready>\s*$'
[[agent]]
name = "y"
command = "sh"
"#,
    );
    let nox = instance(&ws);
    nox.wait_for("x idle", 20, |s| s.contains("x · idle"));
    let (mut boss, _) = Mcp::start(&ws, "y");
    let t = boss.ok(
        "delegate_task",
        &json!({"title": "wait", "body": "sleep 30", "to": "x"}),
    );
    let id = t["id"].as_u64().expect("id");
    let end = Instant::now() + Duration::from_secs(20);
    while boss.ok("task_result", &json!({"id": id}))["status"] != "running" {
        assert!(Instant::now() < end, "x never ran task {id}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // y does not hold it: refused, with which task can be completed.
    let (err, why) = boss.call("complete_task", &json!({"id": id, "summary": "not mine"}));
    assert!(
        err && why.contains("HTTP 409") && why.contains("current_task"),
        "{why}"
    );
    let (mut worker, _) = Mcp::start(&ws, "x");
    let done = worker.ok(
        "complete_task",
        &json!({"id": id, "summary": "waited 30 s"}),
    );
    assert_eq!(done["status"], "done", "{done}");
    let r = boss.ok("task_result", &json!({"id": id}));
    assert_eq!(r["status"], "done", "{r}");
    assert!(r.to_string().contains("waited 30 s"), "{r}");
}

const LIST_AGENTS_SCRIPT: &str = r#"
[[turn]]
[[turn.step]]
text = "Asking nox who is here."
tool = "mcp__nox__list_agents"
input = {}
[[turn.step]]
text = "Listed the team."
"#;

#[test]
fn claude_code_calls_list_agents_through_the_mcp_config_nox_writes() {
    let ws = Ws::new(&format!(
        "[[agent]]\nname = \"claude\"\nkind = \"claude\"\ncommand = {:?}\nmodel_script = \"script.toml\"\npermission_mode = \"default\"\n\
         [[agent]]\nname = \"helper\"\ncommand = \"sh\"\ncapabilities = [\"docs\"]\n",
        claude_bin().display().to_string()
    ));
    std::fs::write(ws.file("script.toml"), LIST_AGENTS_SCRIPT).expect("script");
    let mut nox = NoxPty::start(&ws, &[], 40, 130);
    nox.wait_for("claude idle", 60, |s| s.contains("claude · idle"));
    let cfg: Value = serde_json::from_slice(
        &std::fs::read(ws.file(".nox/run/claude/mcp.json")).expect("mcp.json"),
    )
    .expect("json");
    assert_eq!(
        cfg["mcpServers"]["nox"]["args"],
        json!(["mcp", "--agent", "claude"])
    );
    nox.type_str("who is on the team?");
    std::thread::sleep(Duration::from_millis(400));
    nox.type_str("\r");
    // In permission mode "default" the call runs without a prompt only
    // because nox allowed its tools (--allowedTools mcp__nox__*).
    nox.wait_text("Listed the team.", 60);
    eventually("the tool result is in the transcript", 30, || {
        transcript_text(&ws, "claude").lines().any(|l| {
            l.contains("tool_result")
                && l.contains(r#"\"name\":\"helper\""#)
                && l.contains(r#"\"name\":\"claude\""#)
        })
    });
    let t = transcript_text(&ws, "claude");
    let line = t
        .lines()
        .find(|l| l.contains("tool_result") && l.contains("helper"))
        .unwrap_or_default();
    assert!(!line.contains(r#""is_error":true"#), "{line}");
    assert!(line.contains(r#"\"you\":true"#), "{line}");
}
