//! HTTP API benchmarks of a real headless nox, each beside a baseline
//! measured in the same run: `cargo bench --bench http [-- health | sse | run]`.
//!
//! - health: requests/s and p50/p99 of `GET /health` and `GET /api/agents`
//!   through nox's whole stack over TCP loopback (`nox --headless --listen
//!   127.0.0.1:0`, 3 idle `sh` agents, the bearer token), against a bare
//!   axum hello world in this process; the same closed-loop load generator
//!   (8 and 32 client tasks), a new connection per request for both (nox
//!   serves one request per connection), and the bare server with
//!   keep-alive for context. Goal: nox ≥ 0.6× bare. For where the time
//!   goes: the hello world behind nox's own `listen::serve` and TCP guard
//!   in this process, and CPU and context switches per request.
//! - sse: 100 subscribers of `GET /api/events` (50 on the control socket,
//!   50 on TCP: one listener serves at most 64 connections); one message to
//!   `user` at a time (one `message.sent` event each), timed from just
//!   before its request is sent to its arrival at the last subscriber;
//!   baselines: a bare tokio broadcast → axum SSE server, same clients, and
//!   the same carrying nox's `Event` (serialized per subscriber; published
//!   from a plain thread).
//! - run: `nox run plan.toml` (one generic agent, one task) from spawn to
//!   the task's first byte in the agent, against spawning the same program
//!   in a PTY and writing it the same text once it is ready.
//!
//! Prints ratios; asserts no timing. `NOX_BENCH_BIN=/path/to/nox` measures
//! another build. Results and method: docs/benchmarks.md.

#[path = "common/bare.rs"]
mod bare;
#[path = "common/bare_sse.rs"]
mod bare_sse;
#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/fanout.rs"]
mod fanout;
#[path = "common/headless.rs"]
mod headless;
#[path = "common/load.rs"]
mod load;
#[allow(dead_code)]
#[path = "common/probe.rs"]
mod probe;
#[path = "common/runplan.rs"]
mod runplan;
#[path = "common/sse_bench.rs"]
mod sse_bench;

use std::path::Path;
use std::time::Duration;

use headless::{Headless, sh_agents};
use load::{Outcome, exchange, request};

/// Concurrent client tasks of the requests/s bench.
const CLIENTS: [usize; 2] = [8, 32];
/// Rounds per path, interleaved (so drift hits every path alike).
const ROUNDS: usize = 3;
/// Unmeasured load before each measured window.
const WARMUP: Duration = Duration::from_millis(500);
/// The measured window of each round.
const MEASURE: Duration = Duration::from_secs(3);

fn main() {
    if let Some(report) = std::env::var_os(probe::ENV) {
        probe::run(Path::new(&report));
        return;
    }
    if std::env::var_os(bare::SERVE_ENV).is_some() {
        bare::serve_child();
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("http benchmark: run it with `cargo bench --bench http [-- health|sse|run]`");
        return;
    }
    let picked: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let want = |name: &str| picked.is_empty() || picked.contains(&name);
    println!(
        "http: nox binary {}",
        Path::new(&headless::nox_bin()).display()
    );
    println!("  load average at start: {}", load_average());
    if want("health") {
        health();
    }
    if want("sse") {
        sse_bench::run(&client_runtime());
    }
    if want("run") {
        runplan::bench();
    }
}

/// `/proc/loadavg`'s 1/5/15-minute figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".into(),
        |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// The load generator's runtime: two workers, as nox's and the baselines'.
fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()
        .expect("load generator runtime")
}

/// The `p` quantile of `v` (nearest rank), NaN when empty.
fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(((s.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

/// One path of the requests/s bench.
struct Target {
    name: &'static str,
    addr: std::net::SocketAddr,
    req: Vec<u8>,
    keep_alive: bool,
    /// The server's process and the name prefix of its threads.
    server: (u32, &'static str),
}

fn health() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut nox = Headless::start(dir.path(), &sh_agents(3, ""));
    let hello = bare::hello();
    let own = bare::hello_process();
    let oh = own.addr.to_string();
    let rt = client_runtime();
    let me = std::process::id();
    let (nh, bh) = (nox.addr.to_string(), hello.addr.to_string());
    let tok = Some(nox.token.as_str());
    let serve = bare::nox_layers(false);
    let guarded = bare::nox_layers(true);
    let (sh, gh) = (serve.addr.to_string(), guarded.addr.to_string());
    let in_process = |name, addr, req| Target {
        name,
        addr,
        req,
        keep_alive: false,
        server: (me, "bare-axum"),
    };
    let targets = [
        in_process(
            "bare axum, new connection",
            hello.addr,
            request("GET", "/health", &bh, None, false, None),
        ),
        in_process(
            "  + nox's listen::serve",
            serve.addr,
            request("GET", "/api/hello", &sh, None, false, None),
        ),
        in_process(
            "  + nox's guard, json_errors",
            guarded.addr,
            request("GET", "/api/hello", &gh, Some(bare::TOKEN), false, None),
        ),
        Target {
            name: "nox GET /api/agents",
            addr: nox.addr,
            req: request("GET", "/api/agents", &nh, tok, false, None),
            keep_alive: false,
            server: (nox.pid(), ""),
        },
        Target {
            name: "nox GET /health",
            addr: nox.addr,
            req: request("GET", "/health", &nh, tok, false, None),
            keep_alive: false,
            server: (nox.pid(), ""),
        },
        Target {
            keep_alive: true,
            ..in_process(
                "bare axum, keep-alive",
                hello.addr,
                request("GET", "/health", &bh, None, true, None),
            )
        },
        Target {
            name: "bare axum, own process",
            addr: own.addr,
            req: request("GET", "/health", &oh, None, false, None),
            keep_alive: false,
            server: (own.pid(), "bare-axum"),
        },
    ];
    println!(
        "health: closed loop, {ROUNDS} interleaved rounds of {} ms warm-up + {} s per path",
        WARMUP.as_millis(),
        MEASURE.as_secs()
    );
    for t in &targets {
        let (status, len) = rt.block_on(async {
            let mut s = tokio::net::TcpStream::connect(t.addr)
                .await
                .expect("connect");
            let mut buf = Vec::new();
            let st = exchange(&mut s, &t.req, &mut buf).await.expect("request");
            (st, buf.len())
        });
        assert_eq!(status, 200, "{}: answered {status}", t.name);
        println!("  {:<28} answers 200 with {len} bytes of body", t.name);
    }
    for clients in CLIENTS {
        let mut outs: Vec<Outcome> = targets.iter().map(|_| Outcome::default()).collect();
        // Per path: server CPU ns, server context switches, client CPU ns.
        let mut cost = vec![(0u64, 0u64, 0u64); targets.len()];
        for _ in 0..ROUNDS {
            for (i, t) in targets.iter().enumerate() {
                let s0 = cpu::threads(t.server.0, t.server.1);
                let l0 = cpu::threads(me, "load");
                let o = load::run(&rt, t.addr, &t.req, t.keep_alive, clients, WARMUP, MEASURE);
                let s1 = cpu::threads(t.server.0, t.server.1);
                let l1 = cpu::threads(me, "load");
                cost[i].0 += s1.0.saturating_sub(s0.0);
                cost[i].1 += s1.1.saturating_sub(s0.1);
                cost[i].2 += l1.0.saturating_sub(l0.0);
                outs[i].merge(o);
                if let Err(e) = nox.check() {
                    println!(
                        "  nox stopped during the run (noticed after a round of {}): {e}",
                        t.name
                    );
                    return;
                }
            }
        }
        println!(
            "  {clients} clients {:>44} {:>9} {:>9} {:>11} {:>9} {:>11} {:>6}",
            "req/s", "p50", "p99", "server CPU", "switches", "client CPU", "errors"
        );
        for (i, (t, o)) in targets.iter().zip(&outs).enumerate() {
            // Per request answered in the whole run (warm-ups included).
            let n = o.all.max(1) as f64;
            println!(
                "    {:<42} {:>9.0} {:>6.2} ms {:>6.2} ms {:>8.1} µs {:>9.2} {:>8.1} µs {:>6}",
                t.name,
                o.rate(),
                o.pct_ms(0.5),
                o.pct_ms(0.99),
                cost[i].0 as f64 / n / 1e3,
                cost[i].1 as f64 / n,
                cost[i].2 as f64 / n / 1e3,
                o.errors
            );
        }
        println!(
            "    (CPU and context switches per request, of the server's threads and the load generator's)"
        );
        for (t, o) in targets.iter().zip(&outs) {
            if let Some(e) = &o.first_error {
                println!("    {}: {} errors; the first: {e}", t.name, o.errors);
            }
        }
        let r = |i: usize| outs[i].rate() / outs[0].rate();
        println!(
            "    ratio to bare axum (new connection each): /health {:.2}x, /api/agents {:.2}x (goal >= 0.6x); \
             listen::serve {:.2}x, + guard {:.2}x; bare keep-alive {:.2}x",
            r(4),
            r(3),
            r(1),
            r(2),
            r(5)
        );
        let p = |i: usize| outs[i].rate() / outs[6].rate();
        println!(
            "    ratio to bare axum in its own process (new connection each, as nox): \
             /health {:.2}x, /api/agents {:.2}x (goal >= 0.6x); the in-process bare {:.2}x",
            p(4),
            p(3),
            p(0)
        );
    }
    drop(rt);
    drop((hello, own, serve, guarded));
    drop(nox);
}
