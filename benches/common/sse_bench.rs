//! The SSE fan-out bench of `benches/http.rs`: how many of 100 subscribers
//! one TCP listener of nox admits, then 100 subscribers on TCP of nox's
//! `GET /api/events` (events made on the Unix socket) and of a bare tokio
//! broadcast → axum SSE server (its events shaped and sized like nox's)
//! and its two steps towards nox (`bare_sse`), fed one event at a time,
//! interleaved.

use std::sync::Arc;
use std::time::Duration;

use crate::bare_sse::{self, Mode};
use crate::fanout::{Board, Endpoint, Timing, produce, subscribe};
use crate::headless::{Headless, sh_agents};
use crate::load::request;
use crate::pct;

/// Subscribers per server.
const SUBSCRIBERS: usize = 100;
/// Measured events per server.
const EVENTS: usize = 300;
/// Unmeasured events first.
const WARMUP: usize = 20;

/// One server's subscribers and how an event is made.
struct Side {
    name: &'static str,
    subs: Vec<(Endpoint, Vec<u8>)>,
    producer: Endpoint,
    make: Box<dyn Fn(usize) -> Vec<u8>>,
    want: u16,
    tag: String,
}

/// Connects `side`'s subscribers to a fresh board; panics unless all are
/// answered 200.
async fn connect(side: &Side, board: &Arc<Board>) -> Vec<tokio::task::JoinHandle<()>> {
    let futs = side
        .subs
        .iter()
        .map(|(ep, req)| subscribe(ep, req, Arc::clone(board), side.tag.clone()));
    let mut tasks = Vec::new();
    for r in futures_util::future::join_all(futs).await {
        match r {
            Ok((200, Some(t))) => tasks.push(t),
            Ok((status, _)) => panic!("{}: a subscriber was answered {status}", side.name),
            Err(e) => panic!("{}: a subscriber failed: {e}", side.name),
        }
    }
    tasks
}

/// Runs the bench on `rt` (the load generator's runtime).
pub fn run(rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().expect("temp dir");
    let nox = Headless::start(
        dir.path(),
        &sh_agents(3, "[routing]\nmessage_limit = 1000000\n"),
    );
    let host = nox.addr.to_string();
    let tcp = Endpoint::Tcp(nox.addr);
    let sub_tcp = request("GET", "/api/events", &host, Some(&nox.token), true, None);
    // How many subscribers one listener admits.
    let (ok, busy, failed) = rt.block_on(async {
        let board = Board::new(1, 1);
        let futs =
            (0..SUBSCRIBERS).map(|_| subscribe(&tcp, &sub_tcp, Arc::clone(&board), "x#".into()));
        let all = futures_util::future::join_all(futs).await;
        let count = |s: u16| {
            all.iter()
                .filter(|r| matches!(r, Ok((x, _)) if *x == s))
                .count()
        };
        let failed = all.iter().filter(|r| r.is_err()).count();
        let counts = (count(200), count(503), failed);
        for (_, t) in all.into_iter().flatten() {
            if let Some(t) = t {
                t.abort();
            }
        }
        counts
    });
    println!(
        "sse: {SUBSCRIBERS} subscribers on nox's TCP listener alone: {ok} answered 200, {busy} answered 503 busy, {failed} failed (event streams do not count against the 64 served connections)"
    );
    std::thread::sleep(Duration::from_millis(1500));

    let unix = Endpoint::Unix(nox.socket());
    let sub_unix = request("GET", "/api/events", "localhost", None, true, None);
    let bare_sock = dir.path().join("bare.sock");
    let bare = bare_sse::sse(&bare_sock, Mode::Text);
    let typed_sock = dir.path().join("typed.sock");
    let typed = bare_sse::sse(&typed_sock, Mode::NoxEvent);
    let thread_sock = dir.path().join("thread.sock");
    let thread = bare_sse::sse(&thread_sock, Mode::FromThread);
    // Every subscriber on TCP (an event stream does not hold one of the 64
    // served connections); the Unix side is the producer's.
    let split = |_unix: (Endpoint, Vec<u8>), t: (Endpoint, Vec<u8>)| vec![t; SUBSCRIBERS];
    let bare_subs = |sock: &std::path::Path, addr: std::net::SocketAddr| {
        split(
            (
                Endpoint::Unix(sock.to_path_buf()),
                request("GET", "/events", "localhost", None, true, None),
            ),
            (
                Endpoint::Tcp(addr),
                request("GET", "/events", &addr.to_string(), None, true, None),
            ),
        )
    };
    let sides = [
        Side {
            name: "nox GET /api/events",
            subs: split((unix.clone(), sub_unix), (tcp, sub_tcp)),
            producer: unix,
            make: Box::new(|k| {
                let body = format!(r#"{{"from":"sh0","to":"user","text":"nxbN-{k}#"}}"#);
                request(
                    "POST",
                    "/api/messages",
                    "localhost",
                    None,
                    false,
                    Some(&body),
                )
            }),
            want: 201,
            tag: "nxbN-".into(),
        },
        Side {
            name: "bare broadcast → axum SSE",
            subs: bare_subs(&bare_sock, bare.addr),
            producer: Endpoint::Unix(bare_sock.clone()),
            make: Box::new(|k| {
                // Shaped and sized like nox's `message.sent` event.
                let body = format!(
                    r#"{{"id":{k},"ts_ms":1795795200000,"kind":"message.sent","data":{{"message":{{"id":{k},"from":"sh0","to":"user","text":"nxbB-{k}#","kind":"message","state":"delivered","reason":null,"task":null,"created_ms":1795795200000,"delivered_ms":1795795200000}}}}}}"#
                );
                request("POST", "/send", "localhost", None, false, Some(&body))
            }),
            want: 201,
            tag: "nxbB-".into(),
        },
        Side {
            name: "  + nox's Event, serialized per subscriber",
            subs: bare_subs(&typed_sock, typed.addr),
            producer: Endpoint::Unix(typed_sock.clone()),
            make: Box::new(|k| {
                let body = format!("nxbT-{k}#");
                request("POST", "/send", "localhost", None, false, Some(&body))
            }),
            want: 201,
            tag: "nxbT-".into(),
        },
        Side {
            name: "  + published from a plain thread",
            subs: bare_subs(&thread_sock, thread.addr),
            producer: Endpoint::Unix(thread_sock.clone()),
            make: Box::new(|k| {
                let body = format!("nxbP-{k}#");
                request("POST", "/send", "localhost", None, false, Some(&body))
            }),
            want: 201,
            tag: "nxbP-".into(),
        },
    ];
    println!(
        "  {SUBSCRIBERS} subscribers each, all on TCP, {EVENTS} events (+{WARMUP} warm-up), one at a time, 5-15 ms apart, interleaved"
    );
    let timings: Vec<Vec<Timing>> = rt.block_on(async {
        let boards: Vec<Arc<Board>> = sides
            .iter()
            .map(|_| Board::new(WARMUP + EVENTS, SUBSCRIBERS))
            .collect();
        let mut tasks = Vec::new();
        for (s, b) in sides.iter().zip(&boards) {
            tasks.extend(connect(s, b).await);
        }
        let mut out: Vec<Vec<Timing>> = sides.iter().map(|_| Vec::new()).collect();
        for k in 0..WARMUP + EVENTS {
            for (i, (s, b)) in sides.iter().zip(&boards).enumerate() {
                match produce(&s.producer, &(s.make)(k), s.want, b, k).await {
                    Ok(t) if k >= WARMUP => out[i].push(t),
                    Ok(_) => {}
                    Err(e) => println!("  {}: lost event {k}: {e}", s.name),
                }
                let gap = 5 + (k * 7 + i * 3) % 11;
                tokio::time::sleep(Duration::from_millis(gap as u64)).await;
            }
        }
        for t in tasks {
            t.abort();
        }
        out
    });
    println!("  {:<52} {:>9} {:>9} {:>9}", "", "p50", "p99", "max");
    for (s, t) in sides.iter().zip(&timings) {
        let rows: [(&str, Vec<f64>); 4] = [
            (
                "request sent → last subscriber",
                t.iter().map(|x| x.send_to_last).collect(),
            ),
            (
                "request sent → first subscriber",
                t.iter().map(|x| x.send_to_first).collect(),
            ),
            (
                "first → last subscriber (spread)",
                t.iter().map(|x| x.spread).collect(),
            ),
            (
                "request sent → its HTTP answer",
                t.iter().map(|x| x.answer).collect(),
            ),
        ];
        println!("  {} (n = {})", s.name, t.len());
        for (name, v) in rows {
            println!(
                "    {name:<50} {:>6.2} ms {:>6.2} ms {:>6.2} ms",
                pct(&v, 0.5),
                pct(&v, 0.99),
                pct(&v, 1.0)
            );
        }
    }
    let last = |i: usize, p: f64| {
        pct(
            &timings[i]
                .iter()
                .map(|x| x.send_to_last)
                .collect::<Vec<_>>(),
            p,
        )
    };
    let rest: Vec<String> = sides
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 1)
        .map(|(i, s)| {
            format!(
                "{}: p50 {:.2}x, p99 {:.2}x",
                s.name.trim_start_matches("  + "),
                last(i, 0.5) / last(1, 0.5),
                last(i, 0.99) / last(1, 0.99)
            )
        })
        .collect();
    println!(
        "  ratio to the bare server, request sent → last subscriber: {}",
        rest.join("; ")
    );
    drop((bare, typed, thread));
    drop(nox);
}
