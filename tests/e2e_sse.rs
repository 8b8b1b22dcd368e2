//! `GET /api/events` over real HTTP on loopback (with the bearer token) and
//! on the socket: a client that disconnects and reconnects with
//! `Last-Event-ID` gets every event exactly once, in order; a client that
//! stops reading is dropped with a logged reason while the core goes on,
//! and what it missed it gets by reconnecting.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::e2e_headless::{start, start_listening};
use crate::support::{Ws, eventually};

const TOML: &str = "[[agent]]\nname = \"off\"\ncommand = \"sh\"\nautostart = false\n";

/// Where a client connects.
enum Target {
    Tcp { addr: String, token: String },
    Unix(std::path::PathBuf),
}

/// A connection either way; `shutdown` ends it from this side.
enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    fn shutdown(&self) {
        let _ = match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Both),
            Self::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
    fn reader(&self) -> Box<dyn Read + Send> {
        match self {
            Self::Tcp(s) => Box::new(s.try_clone().expect("clone")),
            Self::Unix(s) => Box::new(s.try_clone().expect("clone")),
        }
    }
}

/// Connects to `target` (the request follows in [`send`]).
fn connect(target: &Target) -> Conn {
    let conn = match target {
        Target::Tcp { addr, .. } => Conn::Tcp(TcpStream::connect(addr).expect("connect")),
        Target::Unix(path) => Conn::Unix(UnixStream::connect(path).expect("connect")),
    };
    // A stream that goes silent (no event, no keep-alive) fails a test
    // instead of hanging it.
    let limit = Some(Duration::from_secs(30));
    match &conn {
        Conn::Tcp(s) => s.set_read_timeout(limit).expect("timeout"),
        Conn::Unix(s) => s.set_read_timeout(limit).expect("timeout"),
    }
    conn
}

/// Sends `GET /api/events` (HTTP/1.0: the stream is close-delimited, not
/// chunked) on `conn`.
fn send(conn: &Conn, target: &Target, last: Option<u64>) {
    let mut head = "GET /api/events HTTP/1.0\r\n".to_string();
    if let Some(id) = last {
        let _ = write!(head, "Last-Event-ID: {id}\r\n");
    }
    match target {
        Target::Tcp { addr, token } => {
            let _ = write!(
                head,
                "Host: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
            );
        }
        Target::Unix(_) => head.push_str("Host: nox\r\n\r\n"),
    }
    let sent = match conn {
        Conn::Tcp(s) => (&*s).write_all(head.as_bytes()),
        Conn::Unix(s) => (&*s).write_all(head.as_bytes()),
    };
    sent.expect("request");
}

/// Reads the answer's head; asserts 200.
fn head_of(conn: &Conn) -> BufReader<Box<dyn Read + Send>> {
    let mut r = BufReader::new(conn.reader());
    let mut status = String::new();
    r.read_line(&mut status).expect("status line");
    assert!(status.contains(" 200 "), "{status}");
    loop {
        let mut line = String::new();
        r.read_line(&mut line).expect("header");
        if line.trim().is_empty() {
            break;
        }
    }
    r
}

/// Opens `GET /api/events` and reads the answer's head.
fn open(target: &Target, last: Option<u64>) -> (Conn, BufReader<Box<dyn Read + Send>>) {
    let conn = connect(target);
    send(&conn, target, last);
    let r = head_of(&conn);
    (conn, r)
}

/// Reads whole events (ended by a blank line) into `seen` until the stream
/// ends; keep-alive comments are skipped.
fn collect(mut r: BufReader<Box<dyn Read + Send>>, seen: &Mutex<Vec<u64>>) {
    let mut id = None;
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some(v) = line.strip_prefix("id: ") {
            id = v.parse::<u64>().ok();
        } else if line.is_empty() {
            if let Some(id) = id.take() {
                seen.lock().expect("seen").push(id);
            }
        }
    }
}

/// Every event id in the store, in order (a replay that ends).
fn stored(ws: &Ws) -> Vec<u64> {
    let (_, body) = nox::client::request(
        &ws.file(".nox/nox.sock"),
        "GET",
        "/api/events?follow=false",
        &[],
        None,
        Duration::from_secs(30),
    )
    .expect("replay");
    body.lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

fn add_tasks(ws: &Ws, n: usize, title: &str) {
    for i in 0..n {
        let body = serde_json::json!({"title": format!("{title} {i}"), "body": "echo x"});
        let (status, text) = nox::client::request(
            &ws.file(".nox/nox.sock"),
            "POST",
            "/api/tasks",
            &[],
            Some(body.to_string().as_bytes()),
            Duration::from_secs(10),
        )
        .expect("an answer");
        assert_eq!(status, 201, "{text}");
    }
}

fn last(seen: &Arc<Mutex<Vec<u64>>>) -> Option<u64> {
    seen.lock().expect("seen").last().copied()
}

#[test]
fn a_client_that_reconnects_with_last_event_id_gets_every_event_once_in_order() {
    let ws = Ws::new(TOML);
    let (mut nox, addr, token) = start_listening(&ws, &[]);
    let targets = [
        Target::Tcp {
            addr,
            token: token.clone(),
        },
        Target::Unix(ws.file(".nox/nox.sock")),
    ];
    for (round, target) in targets.iter().enumerate() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (conn, r) = open(target, None);
        let s = Arc::clone(&seen);
        let reader = std::thread::spawn(move || collect(r, &s));
        add_tasks(&ws, 15, &format!("before {round}"));
        let now = *stored(&ws).last().expect("events");
        eventually("the live events arrive", 20, || last(&seen) == Some(now));
        conn.shutdown();
        reader.join().expect("reader");
        // Missed while away, then more after the reconnect.
        add_tasks(&ws, 15, &format!("away {round}"));
        let (conn, r) = open(target, last(&seen));
        let s = Arc::clone(&seen);
        let reader = std::thread::spawn(move || collect(r, &s));
        add_tasks(&ws, 15, &format!("after {round}"));
        let all = stored(&ws);
        let end = *all.last().expect("events");
        eventually("the replay and the live events arrive", 20, || {
            last(&seen) == Some(end)
        });
        conn.shutdown();
        reader.join().expect("reader");
        assert_eq!(*seen.lock().expect("seen"), all, "round {round}");
    }
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_the_core_goes_on() {
    let ws = Ws::new(TOML);
    let (mut nox, _) = start(&ws, &[]);
    let target = Target::Unix(ws.file(".nox/nox.sock"));
    // Connected, then reads nothing.
    let (conn, r) = open(&target, None);
    let title = "t".repeat(450);
    let log = || crate::support::nox_log(ws.path());
    // Every request is answered while the client lags (add_tasks asserts
    // each 201); past its buffer it is dropped.
    let mut added = 0;
    while !log().contains("events: dropped a client: it left 1024 events unread") {
        assert!(added < 8000, "no drop after {added} tasks:\n{}", log());
        add_tasks(&ws, 200, &title);
        added += 200;
    }
    assert!(
        log().contains("it can reconnect with Last-Event-ID"),
        "{}",
        log()
    );
    // Reading now: what was buffered, in order from the start, then the end
    // of the stream.
    let seen = Arc::new(Mutex::new(Vec::new()));
    collect(r, &seen);
    drop(conn);
    let all = stored(&ws);
    let got = seen.lock().expect("seen").clone();
    assert!(
        !got.is_empty() && got.len() < all.len(),
        "{} of {}",
        got.len(),
        all.len()
    );
    assert_eq!(got, all[..got.len()], "a gap or a repeat before the drop");
    // The rest by reconnecting, while more events are committed: those that
    // land during the replay reach the client once, not from the replay
    // and again live.
    let ws_root = ws.path().to_path_buf();
    let writer = std::thread::spawn(move || {
        for i in 0..100 {
            let body = serde_json::json!({"title": format!("during {i}")});
            let _ = nox::client::request(
                &ws_root.join(".nox/nox.sock"),
                "POST",
                "/api/tasks",
                &[],
                Some(body.to_string().as_bytes()),
                Duration::from_secs(10),
            );
        }
    });
    let (_conn, r) = open(&target, got.last().copied());
    let s = Arc::clone(&seen);
    std::thread::spawn(move || collect(r, &s));
    writer.join().expect("writer");
    let all = stored(&ws);
    let end = *all.last().expect("events");
    eventually("the rest arrives", 30, || last(&seen) == Some(end));
    assert_eq!(*seen.lock().expect("seen"), all);
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}

#[test]
fn each_event_names_its_store_id_and_kind_and_an_idle_stream_gets_keep_alives() {
    let ws = Ws::new(TOML);
    let (mut nox, _) = start(&ws, &[]);
    add_tasks(&ws, 1, "one");
    let (_conn, mut r) = open(&Target::Unix(ws.file(".nox/nox.sock")), None);
    // Each event: `id:` its store id, `event:` its kind, `data:` the event.
    let mut fields = std::collections::BTreeMap::new();
    let mut events = Vec::new();
    let mut comment = None;
    while comment.is_none() {
        let mut line = String::new();
        assert!(
            r.read_line(&mut line).expect("read") > 0,
            "the stream ended"
        );
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if let Some(c) = line.strip_prefix(':') {
            // Nothing happens after the replay: a keep-alive comment (every
            // 15 s) keeps the stream open.
            comment = Some(c.to_string());
        } else if line.is_empty() {
            events.push(std::mem::take(&mut fields));
        } else if let Some((k, v)) = line.split_once(": ") {
            fields.insert(k.to_string(), v.to_string());
        }
    }
    assert!(!events.is_empty());
    for e in &events {
        let data: serde_json::Value = serde_json::from_str(&e["data"]).expect("data is JSON");
        assert_eq!(e["id"], data["id"].to_string(), "{e:?}");
        assert_eq!(
            e["event"],
            data["kind"].as_str().unwrap_or_default(),
            "{e:?}"
        );
    }
    assert!(
        events.iter().any(|e| e["event"] == "task.created"),
        "{events:?}"
    );
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}

#[test]
fn more_listeners_than_served_connections_all_stream_and_requests_still_get_through() {
    let ws = Ws::new(TOML);
    let (mut nox, addr, token) = start_listening(&ws, &[]);
    let targets = [
        Target::Tcp {
            addr: addr.clone(),
            token: token.clone(),
        },
        Target::Unix(ws.file(".nox/nox.sock")),
    ];
    // 80 streams on each listener connecting at once, past its 64 served
    // connections: all connect, then all ask; each is answered 200
    // (`head_of` asserts it), those over the cap after a moment's wait.
    let conns: Vec<(Conn, &Target)> = (0..160)
        .map(|i| (connect(&targets[i % 2]), &targets[i % 2]))
        .collect();
    for (conn, target) in &conns {
        send(conn, target, None);
    }
    let mut streams: Vec<_> = conns
        .into_iter()
        .map(|(conn, _)| {
            let r = head_of(&conn);
            (conn, r)
        })
        .collect();
    // Requests are still served on both while they stream.
    let (st, body) = crate::e2e_headless::http(&addr, "GET", "/health", &[("Host", &addr)]);
    assert_eq!(st, 200, "{body}");
    add_tasks(&ws, 1, "for everyone");
    for (_conn, r) in &mut streams {
        let mut line = String::new();
        while !line.starts_with("event: task.created") {
            line.clear();
            assert!(
                r.read_line(&mut line).expect("an event") > 0,
                "the stream ended"
            );
        }
    }
    drop(streams);
    crate::support::kill(nox.id() as i32, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(nox.wait().expect("wait").code(), Some(0));
}
