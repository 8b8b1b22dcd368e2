//! `nox run` overhead of `benches/http.rs`: from starting `nox run
//! plan.toml` (one generic agent, the probe, and one task) to the task's
//! first byte reaching the probe, against starting the same probe in a
//! 120×40 PTY directly and writing it the same text once its `ready> `
//! shows. Both time on `CLOCK_MONOTONIC` (the probe's `R` and `F` stamps).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::headless::{isolate, nox_bin, toml_str};
use crate::pct;
use crate::probe::{self, Report, mono_ns};

/// The task's text.
pub const BODY: &str = "benchmark task: say done";
/// Samples of each path (after one unmeasured).
const RUNS: usize = 20;
/// How long one run may take.
const LIMIT: Duration = Duration::from_secs(30);

/// One sample, in ms from the start of the process the bench spawned.
pub struct Sample {
    /// To the probe's first `ready> `.
    pub ready: f64,
    /// To the task's first byte in the probe.
    pub first: f64,
}

fn ms(t0: u64, t1: u64) -> f64 {
    t1.saturating_sub(t0) as f64 / 1e6
}

/// `nox run` of a one-agent, one-task plan in `dir`; checks it exits 0.
/// With `in_place`, `--workspace DIR/ws` (no temporary git repository).
pub fn nox_run(dir: &Path, in_place: bool) -> Result<Sample, String> {
    std::fs::create_dir_all(dir).expect("run dir");
    let report = Report::new(dir.join("probe.report"));
    let exe = std::env::current_exe().expect("bench binary");
    let plan = format!(
        "[[agent]]\nname = \"probe\"\ncommand = {}\nenv = {{ {} = {} }}\nready_pattern = 'ready>\\s*$'\n\n\
         [[task]]\nkey = \"t\"\ntitle = \"bench task\"\nbody = {}\nassign = \"probe\"\n",
        toml_str(&exe.to_string_lossy()),
        probe::ENV,
        toml_str(&report.path().to_string_lossy()),
        toml_str(BODY),
    );
    std::fs::write(dir.join("plan.toml"), plan).expect("write plan.toml");
    let stderr = std::fs::File::create(dir.join("stderr")).expect("stderr file");
    let mut cmd = Command::new(nox_bin());
    cmd.args(["run", "plan.toml", "--timeout", "60"]);
    if in_place {
        cmd.args(["--workspace", "ws"]);
    }
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    isolate(&mut cmd, dir);
    let t0 = mono_ns();
    let mut child = cmd.spawn().expect("spawn nox run");
    let ready = report.wait_ready(t0, LIMIT);
    let first = ready.and_then(|_| report.wait_begun(t0, LIMIT));
    let end = Instant::now() + LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(10)),
            _ => break None,
        }
    };
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let log = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
    match (ready, first, status) {
        (Some(r), Some(f), Some(s)) if s.success() => Ok(Sample {
            ready: ms(t0, r),
            first: ms(t0, f),
        }),
        (r, f, s) => Err(format!(
            "ready {r:?}, first byte {f:?}, exit {s:?}; stderr:\n{log}"
        )),
    }
}

/// The probe started in a 120×40 PTY directly; `BODY` and Enter written
/// (as a bracketed paste, as the probe asks for) when `ready> ` shows.
pub fn direct(dir: &Path) -> Result<Sample, String> {
    std::fs::create_dir_all(dir).expect("run dir");
    let report = Report::new(dir.join("probe.report"));
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut cmd = CommandBuilder::new(std::env::current_exe().expect("bench binary"));
    cmd.cwd(dir);
    cmd.env("TERM", "xterm-256color");
    cmd.env(probe::ENV, report.path());
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let mut writer = pair.master.take_writer().expect("pty writer");
    let t0 = mono_ns();
    let mut child = pair.slave.spawn_command(cmd).expect("spawn the probe");
    drop(pair.slave);
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let mut told = false;
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            seen.extend_from_slice(&buf[..n]);
            if !told && seen.windows(7).any(|w| w == b"ready> ") {
                told = true;
                let _ = tx.send(());
            }
        }
    });
    let result = match rx.recv_timeout(LIMIT) {
        Ok(()) => {
            let line = format!("\x1b[200~{BODY}\x1b[201~\r");
            writer
                .write_all(line.as_bytes())
                .expect("write to the probe");
            match (report.wait_ready(t0, LIMIT), report.wait_begun(t0, LIMIT)) {
                (Some(r), Some(f)) => Ok(Sample {
                    ready: ms(t0, r),
                    first: ms(t0, f),
                }),
                (r, f) => Err(format!("ready {r:?}, first byte {f:?}")),
            }
        }
        Err(_) => Err("the probe never printed `ready> `".into()),
    };
    let _ = child.kill();
    let _ = child.wait();
    drop(writer);
    drop(pair.master);
    result
}

/// The bench: `nox run` in a temporary workspace, with `--workspace`, and
/// the probe started directly, interleaved; prints the table.
pub fn bench() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "run: `nox run plan.toml` (1 generic agent: the probe; 1 task) → the task's first byte in the probe, \
         {RUNS} runs after 1 unmeasured, interleaved: in a temporary workspace, with --workspace, \
         and the probe started directly in a 120x40 PTY"
    );
    let (mut nox, mut in_place, mut plain) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..=RUNS {
        let n = nox_run(&dir.path().join(format!("nox{i}")), false);
        let w = nox_run(&dir.path().join(format!("ws{i}")), true);
        let d = direct(&dir.path().join(format!("direct{i}")));
        match (n, w, d) {
            (Ok(n), Ok(w), Ok(d)) if i > 0 => {
                nox.push(n);
                in_place.push(w);
                plain.push(d);
            }
            (Ok(_), Ok(_), Ok(_)) => {}
            (n, w, d) => println!(
                "  run {i} lost: nox run {:?}, --workspace {:?}, direct {:?}",
                n.err(),
                w.err(),
                d.err()
            ),
        }
    }
    println!(
        "  {:<44} {:>9} {:>9} {:>9} {:>9}",
        "", "p50", "p95", "min", "max"
    );
    let row = |name: &str, v: Vec<f64>| {
        println!(
            "  {name:<44} {:>6.1} ms {:>6.1} ms {:>6.1} ms {:>6.1} ms",
            pct(&v, 0.5),
            pct(&v, 0.95),
            pct(&v, 0.0),
            pct(&v, 1.0)
        );
        v
    };
    let nf = row(
        "nox run: start → task's first byte",
        nox.iter().map(|s| s.first).collect(),
    );
    row(
        "  start → the agent's `ready> `",
        nox.iter().map(|s| s.ready).collect(),
    );
    row(
        "  `ready> ` → task's first byte",
        nox.iter().map(|s| s.first - s.ready).collect(),
    );
    row(
        "nox run --workspace DIR: start → first byte",
        in_place.iter().map(|s| s.first).collect(),
    );
    row(
        "  start → the agent's `ready> `",
        in_place.iter().map(|s| s.ready).collect(),
    );
    let df = row(
        "direct: spawn → first byte",
        plain.iter().map(|s| s.first).collect(),
    );
    row(
        "  spawn → `ready> `",
        plain.iter().map(|s| s.ready).collect(),
    );
    row(
        "  `ready> ` → first byte",
        plain.iter().map(|s| s.first - s.ready).collect(),
    );
    println!(
        "  overhead of nox run: p50 {:+.1} ms, p95 {:+.1} ms; ratio p50 {:.1}x (n = {}); \
         of which the quiet window before a generic agent with a ready_pattern counts as idle: {} ms",
        pct(&nf, 0.5) - pct(&df, 0.5),
        pct(&nf, 0.95) - pct(&df, 0.95),
        pct(&nf, 0.5) / pct(&df, 0.5),
        nf.len(),
        nox::connector::generic::READY_QUIET.as_millis()
    );
}
