//! The raw HTTP/1.1 client of the route walk: one `Connection: close`
//! request on the control socket or on loopback TCP, and its answer.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// One HTTP answer: status, head (status line and headers), body (chunked
/// transfer coding undone).
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) head: String,
    pub(super) body: String,
}

impl Reply {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        })
    }

    pub(super) fn json(&self) -> Value {
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
pub(super) enum Listener {
    Socket(PathBuf),
    Tcp { addr: String, bearer: String },
}

impl Listener {
    /// `METHOD path` with exactly `headers` (and the framing ones).
    pub(super) fn raw(
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
    pub(super) fn call(
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
