//! A small blocking HTTP/1.1 client for the control socket, used by the CLI
//! subcommands and `nox hook` (no async runtime: they must start fast). It
//! tells apart "no instance" (act on the files instead) from "an instance
//! that does not answer" (say so; never write around it), and reads the
//! event stream (`GET /api/events`, Server-Sent Events over chunked
//! transfer coding, RFC 9112 §7.1).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long the CLI waits for an instance's answer.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// [`ANSWER_WITHIN`], or `NOX_ANSWER_WITHIN_MS` when set (tests shorten it).
pub fn answer_within() -> Duration {
    std::env::var("NOX_ANSWER_WITHIN_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(ANSWER_WITHIN, Duration::from_millis)
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket (no instance runs).
    #[error("no nox instance answers at {0}")]
    NoInstance(String),
    /// Connected, but no complete answer came in time (the instance is
    /// stopped, stuck or overloaded): the request may still take effect.
    #[error("the nox instance at {path} did not answer within {secs}s: {why}")]
    NoAnswer {
        /// The socket.
        path: String,
        /// The wait.
        secs: u64,
        /// What happened.
        why: String,
    },
}

/// Sends `METHOD path` with `headers` and an optional JSON body; returns
/// (status, body). Waits at most `timeout` for the answer.
pub fn request(
    socket: &Path,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    timeout: Duration,
) -> Result<(u16, String), ClientError> {
    let mut s = connect(socket)?;
    let no_answer = |why: String| ClientError::NoAnswer {
        path: socket.display().to_string(),
        secs: timeout.as_secs(),
        why,
    };
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    let body = body.unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: nox\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    // A server may answer (413) before it read everything: a failed write
    // still leaves its answer to read.
    let sent = s
        .write_all(head.as_bytes())
        .and_then(|()| s.write_all(body));
    let mut resp = Vec::new();
    let read = s.read_to_end(&mut resp);
    if resp.is_empty() {
        sent.and(read.map(|_| ()))
            .map_err(|e| no_answer(e.to_string()))?;
    }
    let text = String::from_utf8_lossy(&resp);
    let Some((status_line, payload)) = text.split_once("\r\n\r\n") else {
        return Err(no_answer("the answer ended before its headers".into()));
    };
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| no_answer(format!("a malformed answer: {status_line:?}")))?;
    Ok((status, payload.to_string()))
}

fn connect(socket: &Path) -> Result<UnixStream, ClientError> {
    UnixStream::connect(socket).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
            ClientError::NoInstance(socket.display().to_string())
        }
        _ => ClientError::NoAnswer {
            path: socket.display().to_string(),
            secs: 0,
            why: e.to_string(),
        },
    })
}

/// The `message` of an `{"error": {...}}` body, or the body itself.
pub fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.trim().to_string())
}

/// Reads `GET /api/events?since=SINCE&follow=FOLLOW` and calls `each` with
/// every event's `data` (the event as JSON), in order, until the stream
/// ends or `each` returns false. The connection waits for events as long
/// as it takes (keep-alive comments arrive every 15 s; three missed mean
/// the instance is gone).
pub fn events(
    socket: &Path,
    since: u64,
    follow: bool,
    mut each: impl FnMut(&str) -> bool,
) -> Result<(), ClientError> {
    let mut s = connect(socket)?;
    let gone = |why: String| ClientError::NoAnswer {
        path: socket.display().to_string(),
        secs: 45,
        why,
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(45)));
    write!(
        s,
        "GET /api/events?since={since}&follow={follow} HTTP/1.1\r\nHost: nox\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| gone(e.to_string()))?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    let mut chunked = false;
    let mut status = 0;
    loop {
        line.clear();
        if r.read_line(&mut line).map_err(|e| gone(e.to_string()))? == 0 {
            return Err(gone("the answer ended before its headers".into()));
        }
        let l = line.trim_end();
        if status == 0 {
            status = l
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        } else if l.is_empty() {
            break;
        } else if l.eq_ignore_ascii_case("transfer-encoding: chunked") {
            chunked = true;
        }
    }
    if status != 200 {
        let mut rest = String::new();
        let _ = r.read_to_string(&mut rest);
        return Err(gone(format!("HTTP {status}: {}", error_message(&rest))));
    }
    let mut sse = SseLines::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = if chunked {
            line.clear();
            if r.read_line(&mut line).map_err(|e| gone(e.to_string()))? == 0 {
                return Ok(());
            }
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| gone(format!("bad chunk size {:?}", line.trim())))?;
            if size == 0 {
                return Ok(());
            }
            buf.resize(size + 2, 0);
            r.read_exact(&mut buf).map_err(|e| gone(e.to_string()))?;
            buf.truncate(size);
            size
        } else {
            buf.resize(8192, 0);
            let n = r.read(&mut buf).map_err(|e| gone(e.to_string()))?;
            buf.truncate(n);
            n
        };
        if n == 0 {
            return Ok(());
        }
        for data in sse.feed(&buf) {
            if !each(&data) {
                return Ok(());
            }
        }
    }
}

/// The `data:` payloads of a Server-Sent Events stream, fed in pieces.
#[derive(Debug, Default)]
pub struct SseLines {
    partial: String,
    data: Vec<String>,
}

impl SseLines {
    /// Feeds bytes; returns the events completed by them (their data).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.partial.push_str(&String::from_utf8_lossy(bytes));
        let mut out = Vec::new();
        while let Some(i) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=i).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(d) = line.strip_prefix("data:") {
                self.data.push(d.strip_prefix(' ').unwrap_or(d).to_string());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_are_assembled_across_pieces() {
        let mut s = SseLines::default();
        assert!(s.feed(b": keep-alive\n\nid: 1\nevent: x\nda").is_empty());
        assert_eq!(
            s.feed(b"ta: {\"a\":1}\n\ndata: b\ndata: c\r\n\r\n"),
            ["{\"a\":1}", "b\nc"]
        );
    }

    #[test]
    fn a_missing_socket_means_no_instance() {
        let e = request(
            Path::new("/nonexistent/nox.sock"),
            "GET",
            "/health",
            &[],
            None,
            ANSWER_WITHIN,
        )
        .expect_err("none");
        assert!(matches!(e, ClientError::NoInstance(_)), "{e}");
    }
}
