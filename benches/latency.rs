//! Keystroke → echo latency on the outer terminal: the `nox` dashboard
//! against tmux with an attached client, sampled interleaved in the same
//! run, both hosting `cat` in a 120×40 PTY: `cargo bench --bench latency`.
//!
//! Each sample writes one printable character to the outer PTY and times
//! until the program has drawn it at the cursor's cell of that PTY's screen
//! (the reader thread stamps the read that completed it; the measurer sleeps
//! on a condvar, it never spins). Goal: nox p99 ≤ tmux p99 + 1 ms.
//! `NOX_BENCH_BIN=/path/to/nox` measures another build of nox instead of
//! this package's (to compare two builds against the same baseline).
//! Results and method: docs/benchmarks.md.

#[path = "common/outer.rs"]
mod outer;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use outer::Outer;
use portable_pty::CommandBuilder;

const ROWS: u16 = 40;
const COLS: u16 = 120;
/// Measured samples per side.
const SAMPLES: usize = 200;
/// Unmeasured characters typed on each side first.
const WARMUP: usize = 5;
/// Characters per line before an Enter, so `cat`'s line never wraps.
const LINE: usize = 60;
/// How long one echo may take before the sample counts as lost.
const ECHO_LIMIT: Duration = Duration::from_secs(2);
/// Lost echoes on one side after which the run stops.
const MAX_ERRORS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("latency benchmark: run it with `cargo bench --bench latency`");
        return;
    }
    let tmux_version = match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        _ => {
            println!("latency: needs tmux for the baseline (apt-get install tmux)");
            return;
        }
    };
    println!(
        "latency: keystroke → echo on the outer {COLS}x{ROWS} PTY, `cat` in the focused pane, \
         {SAMPLES} samples each, interleaved"
    );
    println!("  nox binary: {}", Path::new(&nox_bin()).display());
    let dir = tempfile::tempdir().expect("temp dir");

    let nox = start_nox(dir.path());
    let server = TmuxServer::start();
    let client = server.attach();
    let mut sides = [
        Side::new("nox (dashboard binary)", nox),
        Side::new(&format!("{tmux_version}, attached client"), client),
    ];
    if !sides[0]
        .outer
        .wait_ready("cat", Duration::from_secs(2), Duration::from_secs(30))
    {
        panic!("nox did not come up:\n{}", sides[0].outer.contents());
    }
    if !sides[1]
        .outer
        .wait_ready("[bench]", Duration::from_secs(1), Duration::from_secs(15))
    {
        panic!("tmux did not come up:\n{}", sides[1].outer.contents());
    }

    let mut rng = Jitter::seeded();
    for _ in 0..WARMUP {
        for side in &mut sides {
            side.sample(false);
            std::thread::sleep(rng.gap());
        }
    }
    'run: for _ in 0..SAMPLES {
        for side in &mut sides {
            side.sample(true);
            if side.errors.len() >= MAX_ERRORS {
                println!("  {}: {MAX_ERRORS} echoes lost; stopping", side.name);
                break 'run;
            }
            std::thread::sleep(rng.gap());
        }
    }
    report(&mut sides);
    // Dropping the sides terminates nox (SIGTERM, then wait) and the tmux
    // client; dropping `server` kills the tmux server.
    drop(sides);
    drop(server);
}

/// One program under test: its outer terminal and its samples (ms).
struct Side {
    name: String,
    outer: Outer,
    typed: usize,
    samples: Vec<f64>,
    errors: Vec<String>,
}

impl Side {
    fn new(name: &str, outer: Outer) -> Self {
        Self {
            name: name.to_owned(),
            outer,
            typed: 0,
            samples: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Types the next letter and (if `keep`) records its echo latency.
    fn sample(&mut self, keep: bool) {
        if self.typed > 0 && self.typed % LINE == 0 {
            self.outer.send(b"\r");
            std::thread::sleep(Duration::from_millis(100));
        }
        let ch = char::from(b'a' + (self.typed % 26) as u8);
        self.typed += 1;
        match self.outer.echo(ch, ECHO_LIMIT) {
            Ok(d) if keep => self.samples.push(d.as_secs_f64() * 1000.0),
            Ok(_) => {}
            Err(e) => self.errors.push(e),
        }
    }
}

fn start_nox(root: &Path) -> Outer {
    let ws = root.join("ws");
    std::fs::create_dir_all(ws.join(".nox")).expect("workspace dir");
    std::fs::write(
        ws.join(".nox/nox.toml"),
        "[[agent]]\nname = \"cat\"\ncommand = \"cat\"\n",
    )
    .expect("write nox.toml");
    let mut cmd = CommandBuilder::new(nox_bin());
    cmd.cwd(&ws);
    cmd.env("TERM", "xterm-256color");
    for (var, sub) in [
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ] {
        let p = root.join(sub);
        std::fs::create_dir_all(&p).expect("temp home dir");
        cmd.env(var, p);
    }
    Outer::spawn(cmd, ROWS, COLS)
}

/// The nox binary under test: `NOX_BENCH_BIN`, else this package's.
fn nox_bin() -> std::ffi::OsString {
    std::env::var_os("NOX_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_nox").into())
}

/// A tmux server on a private socket with one session running `cat`;
/// killed (and its socket file removed) when dropped.
struct TmuxServer {
    sock: String,
    socket_path: Option<PathBuf>,
}

impl TmuxServer {
    fn start() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut server = Self {
            sock: format!("noxlat{}-{nanos}", std::process::id()),
            socket_path: None,
        };
        let (rows, cols) = (ROWS.to_string(), COLS.to_string());
        let out = server.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            &cols,
            "-y",
            &rows,
            "cat",
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = server.run(&["display-message", "-p", "#{socket_path}"]);
        let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        server.socket_path = (!path.is_empty()).then(|| path.into());
        server
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.sock])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// `tmux attach` in its own outer PTY, the way a user's terminal runs it.
    fn attach(&self) -> Outer {
        let mut cmd = CommandBuilder::new("tmux");
        cmd.args(["-L", &self.sock, "attach", "-t", "bench"]);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("TMUX");
        Outer::spawn(cmd, ROWS, COLS)
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// 20–40 ms between samples, jittered so samples don't line up with frame
/// slots (xorshift; no dependency needed for this).
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Self(nanos | 1)
    }

    fn gap(&mut self) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_micros(20_000 + self.0 % 20_001)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(sides: &mut [Side; 2]) {
    println!(
        "  {:<32} {:>9} {:>9} {:>9} {:>9}",
        "", "p50", "p95", "p99", "max"
    );
    let mut p99 = [f64::NAN; 2];
    for (i, side) in sides.iter_mut().enumerate() {
        side.samples.sort_by(f64::total_cmp);
        let s = &side.samples;
        if s.is_empty() {
            println!("  {:<32} no samples", side.name);
        } else {
            p99[i] = percentile(s, 0.99);
            println!(
                "  {:<32} {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>6.2} ms   (n = {}, {} over 5 ms)",
                side.name,
                percentile(s, 0.5),
                percentile(s, 0.95),
                p99[i],
                s[s.len() - 1],
                s.len(),
                s.iter().filter(|&&ms| ms > 5.0).count()
            );
        }
        if let Some(first) = side.errors.first() {
            println!(
                "  {}: {} echoes lost; first: {first}",
                side.name,
                side.errors.len()
            );
        }
    }
    let [nox, tmux] = p99;
    println!("  p99 nox − tmux: {:+.2} ms", nox - tmux);
    let lost = sides.iter().any(|s| !s.errors.is_empty());
    let pass = !lost && nox <= tmux + 1.0;
    println!(
        "  goal nox p99 <= tmux p99 + 1 ms (<= {:.2} ms): {}",
        tmux + 1.0,
        if pass { "PASS" } else { "FAIL" }
    );
}
