//! Running a program for what it prints (`git --version`, `tput colors`)
//! without ever hanging: stdin is `/dev/null`, the output goes to a
//! temporary file (a grandchild that keeps a pipe open cannot block the
//! read), and past the deadline the program's whole process group is
//! killed.

use std::io::{Read, Seek};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a probed program may take.
pub const WITHIN: Duration = Duration::from_secs(3);

/// The most of a program's output that is read.
const MAX_OUTPUT: u64 = 64 * 1024;

/// What a probe found.
#[derive(Debug)]
pub enum Probe {
    /// It ended: its status and its output (stdout and stderr together).
    Exited(ExitStatus, String),
    /// It was still running at the deadline and was killed.
    TimedOut,
    /// It could not be started.
    Failed(std::io::Error),
}

impl Probe {
    /// The first non-empty line of a successful run's output.
    pub fn first_line(&self) -> Option<String> {
        match self {
            Self::Exited(st, out) if st.success() => out
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(|l| l.chars().take(100).collect()),
            _ => None,
        }
    }
}

/// Runs `cmd` for at most `within`.
pub fn run(mut cmd: Command, within: Duration) -> Probe {
    let out = match tempfile::tempfile() {
        Ok(f) => f,
        Err(e) => return Probe::Failed(e),
    };
    let (stdout, stderr) = match (out.try_clone(), out.try_clone()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Probe::Failed(e),
    };
    cmd.stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Probe::Failed(e),
    };
    let deadline = Instant::now() + within;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                // Its own group (process_group(0) above): the program and
                // whatever it started go together.
                let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
                let _ = child.wait();
                return Probe::TimedOut;
            }
            Err(e) => return Probe::Failed(e),
        }
    };
    let mut out = out;
    let mut text = Vec::new();
    let _ = out.rewind();
    let _ = out.take(MAX_OUTPUT).read_to_end(&mut text);
    Probe::Exited(status, String::from_utf8_lossy(&text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_read_and_a_hang_is_cut_short() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo; echo '  v1.2 '; echo err >&2"]);
        let p = run(c, WITHIN);
        assert_eq!(p.first_line().as_deref(), Some("v1.2"));
        let mut c = Command::new("sh");
        c.args(["-c", "exit 3"]);
        assert!(matches!(run(c, WITHIN), Probe::Exited(st, _) if st.code() == Some(3)));
        // A child that keeps the output open past the program's exit does
        // not hold the probe, and one that never ends is killed.
        let started = Instant::now();
        let mut c = Command::new("sh");
        c.args(["-c", "sleep 3 & echo started"]);
        assert_eq!(run(c, WITHIN).first_line().as_deref(), Some("started"));
        assert!(started.elapsed() < Duration::from_secs(2));
        let started = Instant::now();
        let mut c = Command::new("sh");
        c.args(["-c", "sleep 30 & sleep 30"]);
        assert!(matches!(
            run(c, Duration::from_millis(200)),
            Probe::TimedOut
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(
            run(Command::new("/nonexistent/nox-probe"), WITHIN),
            Probe::Failed(_)
        ));
    }
}
