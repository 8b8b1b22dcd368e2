//! The probe of `benches/team.rs` and `benches/http.rs`: the bench binary
//! re-executed as an agent's program (`NOX_BENCH_PROBE=REPORT`). It puts
//! its terminal in raw mode with bracketed paste on, prints `ready> ` (then
//! appends `R <ns>`), and for each input stamps `CLOCK_MONOTONIC` on its
//! first byte (`F <ns>` appended to REPORT),
//! reads up to the Enter that ends it (after the paste's end marker, when
//! the input is a bracketed paste), then appends `D <ns> <bytes>`, prints a
//! line and `ready> ` again. Its arguments are ignored (as a `kind =
//! "claude"` agent it gets Claude Code's). It exits when its terminal
//! closes.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

/// The variable naming the report file; set, the bench binary is a probe.
pub const ENV: &str = "NOX_BENCH_PROBE";

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

/// `CLOCK_MONOTONIC` in nanoseconds: one clock for every process on the
/// machine, so the bench and the probe stamp comparable times.
#[allow(unsafe_code)]
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; `CLOCK_MONOTONIC` exists on
    // every Linux (std's `Instant` reads the same clock).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_MONOTONIC)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Runs the probe until its terminal closes.
pub fn run(report: &Path) {
    let stdin = std::io::stdin();
    if let Ok(mut t) = tcgetattr(stdin.as_fd()) {
        cfmakeraw(&mut t);
        let _ = tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &t);
    }
    // Unbuffered: each read is one read(2), stamped as soon as it returns.
    let Ok(mut input) = stdin.as_fd().try_clone_to_owned().map(File::from) else {
        return;
    };
    let Ok(mut log) = OpenOptions::new().create(true).append(true).open(report) else {
        return;
    };
    let mut out = std::io::stdout();
    let _ = write!(
        out,
        "\x1b[?2004hprobe: raw mode, waiting for input\r\nready> "
    );
    let _ = out.flush();
    let _ = writeln!(log, "R {}", mono_ns());
    let mut acc = Vec::new();
    let mut buf = vec![0u8; 65536];
    let mut count = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if acc.is_empty() {
            let t = mono_ns();
            let _ = writeln!(log, "F {t}");
        }
        acc.extend_from_slice(&buf[..n]);
        if complete(&acc) {
            count += 1;
            let _ = writeln!(log, "D {} {}", mono_ns(), acc.len());
            let _ = write!(
                out,
                "\r\nprobe: input {count} taken ({} bytes)\r\nready> ",
                acc.len()
            );
            let _ = out.flush();
            acc.clear();
        }
    }
}

/// Whether `acc` holds a whole input: an Enter after the paste's end
/// marker (bracketed), or any Enter (typed keys).
fn complete(acc: &[u8]) -> bool {
    let tail = if find(acc, PASTE_START).is_some() {
        match rfind(acc, PASTE_END) {
            Some(i) => &acc[i + PASTE_END.len()..],
            None => return false,
        }
    } else {
        acc
    };
    tail.contains(&b'\r')
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The bench's side of a probe's report file.
pub struct Report {
    path: PathBuf,
}

impl Report {
    /// A report at `path` (created empty).
    pub fn new(path: PathBuf) -> Self {
        std::fs::write(&path, "").expect("create the probe report");
        Self { path }
    }

    /// Where the probe writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first stamp of a `kind` line (`F` begun, `D` done) at or after
    /// `since_ns`.
    fn first(&self, kind: char, since_ns: u64) -> Option<u64> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(kind))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
            .find(|&ns| ns >= since_ns)
    }

    /// Waits (sleeping: the stamp is the probe's, not the poll's) for a
    /// `kind` line stamped at or after `since_ns`; its stamp.
    fn wait(&self, kind: char, since_ns: u64, limit: Duration) -> Option<u64> {
        let end = Instant::now() + limit;
        loop {
            if let Some(ns) = self.first(kind, since_ns) {
                return Some(ns);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// When a probe started at or after `since_ns` had printed its first
    /// `ready> ` (`benches/http.rs`).
    #[allow(dead_code)]
    pub fn wait_ready(&self, since_ns: u64, limit: Duration) -> Option<u64> {
        self.wait('R', since_ns, limit)
    }

    /// When the first input begun at or after `since_ns` reached the probe.
    pub fn wait_begun(&self, since_ns: u64, limit: Duration) -> Option<u64> {
        self.wait('F', since_ns, limit)
    }

    /// When the first input that began at or after `since_ns` was complete.
    pub fn wait_completed(&self, since_ns: u64, limit: Duration) -> Option<u64> {
        self.wait('D', since_ns, limit)
    }
}
