//! `nox --headless --listen`: the core with no screen, its first stdout
//! line naming the bound address, the API on loopback behind the bearer
//! token (401 without it, 403 for a foreign `Host`, `/health` open) and on
//! the socket without one, fixed PTY sizes, one instance per workspace, and
//! SIGTERM: exit 0, no socket, no agent process left.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Ws, eventually, nox_bin, socket_get};

const TOML: &str = r#"
[[agent]]
name = "sh"
command = "sh"
args = ["-c", "printf 'ready> '; while IFS= read -r l; do echo \"got: $l\"; printf 'ready> '; done"]
ready_pattern = 'ready>\s*$'
"#;

/// A `nox --headless` that is stopped when dropped (SIGTERM, then SIGKILL
/// after 10 s) unless it already ended, so a failing test leaves no
/// instance running; it is its `Child` otherwise.
pub struct Headless(Child);

impl std::ops::Deref for Headless {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Headless {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        crate::support::kill(self.0.id() as i32, nix::sys::signal::Signal::SIGTERM);
        let end = std::time::Instant::now() + Duration::from_secs(10);
        while matches!(self.0.try_wait(), Ok(None)) && std::time::Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `nox --headless ARGS` in `ws`, and the first line it printed.
pub fn start(ws: &Ws, args: &[&str]) -> (Headless, String) {
    let mut child = Command::new(nox_bin())
        .arg("--headless")
        .args(args)
        .current_dir(ws.path())
        .env("HOME", ws.file("home"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nox --headless");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    (Headless(child), first.trim().to_string())
}

/// `nox --headless --listen :0 ARGS` in `ws`: the instance, its bound
/// address (`127.0.0.1:PORT`) and its bearer token.
pub fn start_listening(ws: &Ws, args: &[&str]) -> (Headless, String, String) {
    let mut all = vec!["--listen", ":0"];
    all.extend_from_slice(args);
    let (nox, first) = start(ws, &all);
    let addr = first.trim_start_matches("listening on http://").to_string();
    let token = std::fs::read_to_string(ws.file(".nox/api-token")).expect("token");
    (nox, addr, token.trim().to_string())
}

/// One HTTP/1.1 request on TCP: (status, body).
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n");
    for (k, v) in headers {
        use std::fmt::Write as _;
        let _ = write!(req, "{k}: {v}\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("write");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn code(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn headless_serves_the_api_on_loopback_behind_its_token_and_stops_cleanly() {
    let ws = Ws::new(TOML);
    let (mut nox, first) = start(&ws, &["--listen", ":0", "--size", "100x30"]);
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let host = ("Host", addr.as_str());
    let token = std::fs::read_to_string(ws.file(".nox/api-token")).expect("token file");
    let token = token.trim();
    assert_eq!(token.len(), 64);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(ws.file(".nox/api-token"))
            .expect("meta")
            .permissions(),
    ) & 0o777;
    assert_eq!(mode, 0o600);
    let bearer = format!("Bearer {token}");
    let auth = ("Authorization", bearer.as_str());

    let (st, body) = http(&addr, "GET", "/health", &[host]);
    assert_eq!(st, 200, "{body}");
    let (st, body) = http(&addr, "GET", "/api/agents", &[host]);
    assert_eq!((st, code(&body)), (401, "unauthorized".into()), "{body}");
    let (st, body) = http(
        &addr,
        "GET",
        "/api/agents",
        &[host, ("Authorization", "Bearer nope")],
    );
    assert_eq!(st, 401, "{body}");
    let (st, body) = http(
        &addr,
        "GET",
        "/api/agents",
        &[("Host", "evil.example"), auth],
    );
    assert_eq!((st, code(&body)), (403, "foreign_host".into()), "{body}");
    let (st, body) = http(&addr, "GET", "/api/agents", &[host, auth]);
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("\"name\":\"sh\""), "{body}");
    // No CORS by default.
    let mut s = TcpStream::connect(&addr).expect("connect");
    write!(s, "GET /health HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n").expect("w");
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    assert!(
        !raw.to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{raw}"
    );

    // The socket needs no token; the PTYs have the fixed size.
    eventually("the agent is idle", 30, || {
        socket_get(ws.path(), "/api/agents/sh")["status"] == "idle"
    });
    let screen = socket_get(ws.path(), "/api/agents/sh/screen");
    assert_eq!(
        (screen["cols"].as_u64(), screen["rows_n"].as_u64()),
        (Some(100), Some(30))
    );

    // One instance per workspace.
    let second = Command::new(nox_bin())
        .args(["--headless"])
        .current_dir(ws.path())
        .env("HOME", ws.file("home"))
        .output()
        .expect("second");
    assert_eq!(
        second.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    let pid = crate::support::agent_pid(ws.path(), "sh");
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    let status = nox.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert!(!ws.file(".nox/nox.sock").exists(), "the socket is left");
    assert!(!crate::support::alive(pid), "the agent outlived nox");
}

#[test]
fn without_listen_it_names_the_socket_and_a_bad_listen_is_a_usage_error() {
    let ws = Ws::new(TOML);
    let (mut nox, first) = start(&ws, &[]);
    assert_eq!(
        first,
        format!("listening on unix:{}", ws.file(".nox/nox.sock").display())
    );
    assert!(
        !ws.file(".nox/api-token").exists(),
        "a token without --listen"
    );
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGINT);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
    let bad = Command::new(nox_bin())
        .args(["--headless", "--listen", "nowhere"])
        .current_dir(ws.path())
        .output()
        .expect("bad");
    assert_eq!(bad.status.code(), Some(2));
    let bad = Command::new(nox_bin())
        .args(["--listen", "8080"])
        .current_dir(ws.path())
        .output()
        .expect("no headless");
    assert_eq!(bad.status.code(), Some(2), "--listen needs --headless");
}

#[test]
fn every_error_has_the_json_shape_even_axums_own() {
    let ws = Ws::new(TOML);
    let (mut nox, first) = start(&ws, &["--listen", "0"]);
    let addr = first.trim_start_matches("listening on http://").to_string();
    let token = std::fs::read_to_string(ws.file(".nox/api-token")).expect("token");
    let bearer = format!("Bearer {}", token.trim());
    let h = [("Host", addr.as_str()), ("Authorization", bearer.as_str())];
    let cases = [
        ("GET", "/nope", 404, "not_found"),
        ("GET", "/api/tasks/abc", 400, "bad_request"),
        ("DELETE", "/health", 405, "method_not_allowed"),
        ("GET", "/api/messages?limit=many", 400, "bad_query"),
        ("POST", "/api/tasks/x/complete", 400, "bad_id"),
        ("GET", "/api/agents/ghost", 404, "not_found"),
    ];
    for (method, path, status, want) in cases {
        // The same answer on loopback and on the socket.
        let (st, body) = http(&addr, method, path, &h);
        assert_eq!(
            (st, code(&body)),
            (status, want.to_string()),
            "{method} {path}: {body}"
        );
        let (st, body) = crate::support::socket_call(ws.path(), method, path, None);
        assert_eq!(st, status, "{method} {path} on the socket: {body}");
        assert_eq!(body["error"]["code"], want, "{method} {path}: {body}");
    }
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}
