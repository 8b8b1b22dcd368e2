//! The way from `nox mcp` to the running instance: HTTP over the control
//! socket, every request signed with `X-Nox-Agent`, and every failure turned
//! into words a model can act on.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::client::{ClientError, error_message};

/// The header naming the agent that acts.
pub const AGENT_HEADER: &str = "X-Nox-Agent";

/// Why a request to the instance brought no answer to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No instance could be asked, or it did not answer: what to tell.
    Unreachable(String),
    /// The instance does not serve the route (a bare 404): what to tell.
    Unsupported(String),
    /// The instance answered with an error.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The machine code of its `{"error": {"code"}}` (empty without one).
        code: String,
        /// Its message (empty without one).
        message: String,
    },
}

impl CallError {
    /// The refusal as one sentence, `hint` appended when given.
    pub fn explain(&self, hint: Option<&str>) -> String {
        match self {
            CallError::Unreachable(why) | CallError::Unsupported(why) => why.clone(),
            CallError::Refused {
                status,
                code,
                message,
            } => {
                let what = if message.is_empty() {
                    "the nox instance refused the request".to_string()
                } else {
                    message.clone()
                };
                let tag = if code.is_empty() {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status} {code}")
                };
                match hint {
                    Some(h) => format!("{what} ({tag}). {h}"),
                    None => format!("{what} ({tag})."),
                }
            }
        }
    }

    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Refused { status, .. } => Some(*status),
            CallError::Unreachable(_) | CallError::Unsupported(_) => None,
        }
    }
}

/// One agent's line to the instance.
#[derive(Debug, Clone)]
pub struct Bridge {
    agent: String,
    socket: Option<PathBuf>,
    timeout: Duration,
}

impl Bridge {
    /// A bridge for `agent` to the instance at `socket` (`None`: none was
    /// found), waiting `timeout` for each answer.
    pub fn new(agent: &str, socket: Option<PathBuf>, timeout: Duration) -> Self {
        Self {
            agent: agent.to_string(),
            socket,
            timeout,
        }
    }

    /// The agent this bridge acts for.
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// Sends `METHOD path` with `body` as `X-Nox-Agent: <agent>`; returns
    /// the JSON of a 2xx answer (`null` when it has none).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, CallError> {
        let Some(socket) = &self.socket else {
            return Err(CallError::Unreachable(
                "no nox instance answers: NOX_SOCKET is not set and no .nox/ workspace was found \
                 above the current directory, so the other agents and tasks cannot be reached now"
                    .to_string(),
            ));
        };
        let bytes = body.map(Value::to_string);
        let answer = crate::client::request(
            socket,
            method,
            path,
            &[(AGENT_HEADER, &self.agent)],
            bytes.as_deref().map(str::as_bytes),
            self.timeout,
        );
        let (status, text) = answer.map_err(|e| CallError::Unreachable(unreachable(&e)))?;
        if (200..300).contains(&status) {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
            .unwrap_or_default();
        if status == 404 && code.is_empty() {
            return Err(CallError::Unsupported(format!(
                "this nox instance does not serve {method} {}: it is older than this tool; \
                 tell the user to restart nox",
                path.split('?').next().unwrap_or(path)
            )));
        }
        Err(CallError::Refused {
            status,
            code,
            message: error_message(&text),
        })
    }
}

/// What to tell the model when the instance cannot be asked.
fn unreachable(e: &ClientError) -> String {
    match e {
        ClientError::NoInstance(path) => format!(
            "no nox instance answers at {path}: nox is not running in this workspace, so the \
             other agents and tasks cannot be reached now; tell the user"
        ),
        ClientError::NoAnswer { .. } => format!(
            "{e}; the request may still take effect: check (list_tasks, task_result) before \
             repeating it"
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;

    use super::*;

    /// A one-shot fake instance: answers one request with `status` and
    /// `body`; the request's text comes back through the join handle.
    pub(crate) fn fake_instance(
        dir: &std::path::Path,
        status: u16,
        body: &str,
    ) -> (PathBuf, std::thread::JoinHandle<String>) {
        let sock = dir.join("nox.sock");
        let listener = UnixListener::bind(&sock).expect("bind");
        let answer = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let h = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head, then as much body as Content-Length says.
            loop {
                let n = s.read(&mut buf).expect("read");
                req.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&req);
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if rest.len() >= len {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            s.write_all(answer.as_bytes()).expect("answer");
            String::from_utf8_lossy(&req).into_owned()
        });
        (sock, h)
    }

    fn bridge(sock: PathBuf) -> Bridge {
        Bridge::new("be", Some(sock), Duration::from_secs(5))
    }

    #[test]
    fn requests_carry_the_agent_header_and_the_body() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (sock, h) = fake_instance(tmp.path(), 201, r#"{"id": 3}"#);
        let v = bridge(sock)
            .call(
                "POST",
                "/api/tasks",
                Some(&serde_json::json!({"title": "t"})),
            )
            .expect("answer");
        assert_eq!(v["id"], 3);
        let req = h.join().expect("fake");
        assert!(req.starts_with("POST /api/tasks HTTP/1.1\r\n"), "{req}");
        assert!(req.contains("\r\nX-Nox-Agent: be\r\n"), "{req}");
        assert!(req.ends_with(r#"{"title":"t"}"#), "{req}");
    }

    #[test]
    fn an_error_answer_keeps_its_status_code_and_message() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (sock, h) = fake_instance(
            tmp.path(),
            409,
            r#"{"error": {"code": "conflict", "message": "after #2 would make a cycle"}}"#,
        );
        let e = bridge(sock).call("GET", "/x", None).expect_err("refused");
        h.join().expect("fake");
        assert_eq!(e.status(), Some(409));
        assert_eq!(
            e.explain(Some("Drop that dependency.")),
            "after #2 would make a cycle (HTTP 409 conflict). Drop that dependency."
        );
    }

    #[test]
    fn a_bare_404_is_a_route_the_instance_does_not_serve() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (sock, h) = fake_instance(tmp.path(), 404, "");
        let e = bridge(sock)
            .call("POST", "/api/messages", None)
            .expect_err("refused");
        h.join().expect("fake");
        assert_eq!(e.status(), None, "no hint meant for a refusal applies");
        assert!(
            e.explain(Some("x"))
                .starts_with("this nox instance does not serve POST /api/messages"),
            "{e:?}"
        );
    }

    #[test]
    fn an_error_without_a_message_still_says_something() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (sock, h) = fake_instance(tmp.path(), 503, "");
        let e = bridge(sock).call("GET", "/x", None).expect_err("refused");
        h.join().expect("fake");
        assert_eq!(
            e.explain(None),
            "the nox instance refused the request (HTTP 503)."
        );
    }

    #[test]
    fn no_instance_and_no_socket_are_said_plainly() {
        let tmp = tempfile::tempdir().expect("tmp");
        let e = bridge(tmp.path().join("nox.sock"))
            .call("GET", "/api/agents", None)
            .expect_err("none");
        assert!(
            e.explain(None).starts_with("no nox instance answers at "),
            "{e:?}"
        );
        let e = Bridge::new("be", None, Duration::from_secs(1))
            .call("GET", "/api/agents", None)
            .expect_err("none");
        assert!(e.explain(None).contains("NOX_SOCKET is not set"), "{e:?}");
    }
}
