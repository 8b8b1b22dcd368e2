//! The tower-http limits on real loopback TCP, where closing a connection
//! with unread input resets it: a body over 2 MiB (declared or chunked) is
//! answered 413 and the client reads that answer (the lingering close
//! drains the rest), and a client that stalls its body gets 408 instead of
//! holding the connection. Requests are traced at debug level, headers (the
//! bearer token) left out.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::e2e_headless::start_listening;
use crate::support::Ws;

/// The answer's status and JSON body, however the request went out.
fn answer(s: &mut TcpStream) -> (u16, Value) {
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw);
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn head(addr: &str, token: &str, extra: &str) -> String {
    format!(
        "POST /api/tasks HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n{extra}\r\n"
    )
}

#[test]
fn oversized_and_stalled_bodies_get_their_answer_on_loopback() {
    let ws = Ws::new("[[agent]]\nname = \"off\"\ncommand = \"sh\"\nautostart = false\n");
    let (mut nox, addr, token) = start_listening(&ws, &[]);
    let token = token.as_str();
    let chunk = vec![b'x'; 64 * 1024];

    // Declared too large: answered before the body is read; the client
    // writes all of it and then reads the 413.
    let mut s = TcpStream::connect(&addr).expect("connect");
    // Larger than loopback's socket buffers, so the close would reset.
    let size = 24 * 1024 * 1024;
    s.write_all(head(&addr, token, &format!("Content-Length: {size}\r\n")).as_bytes())
        .expect("head");
    // Like curl, the client fails if its body cannot go out.
    for _ in 0..size / chunk.len() {
        s.write_all(&chunk)
            .expect("the whole body goes out: nox drains what it refuses");
    }
    let (status, body) = answer(&mut s);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2097152 bytes")),
        "{body}"
    );

    // Chunked, with no length: refused once it passes the limit.
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.write_all(head(&addr, token, "Transfer-Encoding: chunked\r\n").as_bytes())
        .expect("head");
    for _ in 0..48 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if s.write_all(&frame).is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let (status, body) = answer(&mut s);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );

    // A body that stops half-way: 408 after the deadline, not a held
    // connection.
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.write_all(head(&addr, token, "Content-Length: 100\r\n").as_bytes())
        .expect("head");
    s.write_all(br#"{"title": "#).expect("part");
    let began = Instant::now();
    let (status, body) = answer(&mut s);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (408, Some("timeout")),
        "{body}"
    );
    assert!(began.elapsed() < Duration::from_secs(25));

    // Nothing of these became a task, and the listener still serves.
    let tasks = crate::support::socket_get(ws.path(), "/api/tasks");
    assert_eq!(tasks.as_array().map(Vec::len), Some(0), "{tasks}");
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}

#[test]
fn requests_are_traced_at_debug_without_their_headers() {
    let ws = Ws::new("[[agent]]\nname = \"off\"\ncommand = \"sh\"\nautostart = false\n");
    let (mut nox, addr, token) = start_listening(&ws, &["--verbose"]);
    let token = token.as_str();
    let bearer = format!("Bearer {token}");
    let (st, _) = crate::e2e_headless::http(
        &addr,
        "GET",
        "/api/agents/off",
        &[("Host", addr.as_str()), ("Authorization", bearer.as_str())],
    );
    assert_eq!(st, 200);
    let log = || crate::support::nox_log(ws.path());
    crate::support::eventually("the request's span is logged", 10, || {
        log()
            .lines()
            .any(|l| l.contains("uri=/api/agents/off") && l.contains("finished processing request"))
    });
    assert!(!log().contains(token), "the bearer token reached the log");
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}
