//! What `benches/team.rs` drives: a real nox instance (the dashboard binary
//! in an outer PTY, in a temp workspace, its control socket), a tmux server
//! whose pane runs the probe, and `nox hook` processes whose stdout is
//! stamped. Each kills and reaps what it started when dropped (also when a
//! sample panics).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use portable_pty::CommandBuilder;
use serde_json::Value;

use crate::outer::Outer;
use crate::probe::mono_ns;

/// The outer terminal's size.
pub const ROWS: u16 = 40;
/// The outer terminal's size.
pub const COLS: u16 = 120;

/// The nox binary under test: `NOX_BENCH_BIN`, else this package's
/// (release, as `cargo bench` builds it).
pub fn nox_bin() -> OsString {
    std::env::var_os("NOX_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_nox").into())
}

/// `s` as a TOML string.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A running nox dashboard in a temp workspace.
pub struct Nox {
    ws: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
    /// The outer terminal the dashboard draws to and reads keys from.
    pub outer: Outer,
}

impl Nox {
    /// Writes `toml` as `ROOT/ws/.nox/nox.toml` and starts the dashboard
    /// there (HOME and the XDG directories inside `root` too).
    pub fn start(root: &Path, toml: &str) -> Self {
        let ws = root.join("ws");
        std::fs::create_dir_all(ws.join(".nox")).expect("workspace dir");
        std::fs::write(ws.join(".nox/nox.toml"), toml).expect("write nox.toml");
        let mut env = Vec::new();
        for (var, sub) in [
            ("HOME", "home"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_STATE_HOME", "state"),
            ("XDG_CACHE_HOME", "cache"),
        ] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).expect("temp home dir");
            env.push((var, p));
        }
        let mut cmd = CommandBuilder::new(nox_bin());
        cmd.cwd(&ws);
        cmd.env("TERM", "xterm-256color");
        for v in ["NOX_SOCKET", "NOX_ACT_AS"] {
            cmd.env_remove(v);
        }
        for (var, p) in &env {
            cmd.env(var, p);
        }
        let outer = Outer::spawn(cmd, ROWS, COLS);
        let nox = Self { ws, env, outer };
        let end = Instant::now() + Duration::from_secs(30);
        while nox.get("/health").is_null() {
            assert!(
                Instant::now() < end,
                "nox did not answer on its socket:\n{}",
                nox.outer.contents()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nox
    }

    /// The control socket.
    pub fn socket(&self) -> PathBuf {
        self.ws.join(".nox/nox.sock")
    }

    /// `METHOD path` on the socket: (status, body as JSON or Null).
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let bytes = body.map(Value::to_string);
        match nox::client::request(
            &self.socket(),
            method,
            path,
            &[],
            bytes.as_deref().map(str::as_bytes),
            Duration::from_secs(5),
        ) {
            Ok((status, text)) => (status, serde_json::from_str(&text).unwrap_or(Value::Null)),
            Err(_) => (0, Value::Null),
        }
    }

    /// `GET path` (Null when it fails).
    pub fn get(&self, path: &str) -> Value {
        self.request("GET", path, None).1
    }

    /// Waits until agent `name` satisfies `ok`; its JSON, or the last one
    /// seen in the error.
    pub fn wait_agent(
        &self,
        name: &str,
        limit: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Result<Value, String> {
        let end = Instant::now() + limit;
        loop {
            let a = self.get(&format!("/api/agents/{name}"));
            if ok(&a) {
                return Ok(a);
            }
            if Instant::now() >= end {
                return Err(format!("agent {name} after {limit:?}: {a}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// For a lost sample: agent `name` as the API shows it and the last
    /// lines of nox's log.
    pub fn diagnosis(&self, name: &str) -> String {
        let agent = self.get(&format!("/api/agents/{name}"));
        let mut log = String::new();
        if let Ok(dir) = std::fs::read_dir(self.ws.join(".nox/logs")) {
            for e in dir.flatten() {
                if e.file_name().to_string_lossy().starts_with("nox.log") {
                    log.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(12)..].join("\n    ");
        format!(
            "agent: status {} ({}), delivery {}, inbox {}; nox.log ends:\n    {tail}",
            agent["status"], agent["detail"], agent["delivery"], agent["inbox"]
        )
    }

    /// A `nox` command run the way a user runs it in the workspace.
    pub fn cli(&self) -> Command {
        let mut c = Command::new(nox_bin());
        c.current_dir(&self.ws)
            .env_remove("NOX_SOCKET")
            .env_remove("NOX_ACT_AS")
            .envs(self.env.iter().map(|(k, v)| (*k, v)));
        c
    }
}

/// A tmux server on a private socket whose one pane runs `program`, with a
/// client attached in an outer PTY (as a user's terminal runs it); the
/// server is killed (its pane's probe gets SIGHUP) when dropped.
pub struct Tmux {
    sock: String,
    socket_path: Option<PathBuf>,
    /// `tmux -V`.
    pub version: String,
    client: Option<Outer>,
}

impl Tmux {
    /// `None` when tmux is not installed.
    pub fn start(program: &[&str]) -> Option<Self> {
        let version = Command::new("tmux").arg("-V").output().ok()?;
        if !version.status.success() {
            return None;
        }
        let mut t = Self {
            sock: format!("noxteam{}-{}", std::process::id(), mono_ns() % 1_000_000),
            socket_path: None,
            version: String::from_utf8_lossy(&version.stdout).trim().to_owned(),
            client: None,
        };
        let (rows, cols) = (ROWS.to_string(), COLS.to_string());
        let mut args = vec![
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
        ];
        args.extend_from_slice(program);
        let out = t.run(&args);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = t.run(&["display-message", "-p", "#{socket_path}"]);
        let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        t.socket_path = (!path.is_empty()).then(|| path.into());
        let mut cmd = CommandBuilder::new("tmux");
        cmd.args(["-L", &t.sock, "attach", "-t", "bench"]);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("TMUX");
        t.client = Some(Outer::spawn(cmd, ROWS, COLS));
        Some(t)
    }

    /// Runs `tmux -L SOCK ARGS…` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.sock])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// The attached client's screen.
    pub fn client(&self) -> &Outer {
        self.client.as_ref().expect("tmux client")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        drop(self.client.take());
        let _ = self.run(&["kill-server"]);
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What a hook process wrote, stamped on `CLOCK_MONOTONIC`.
pub struct HookOut {
    /// When its first byte of stdout was read (None: it wrote nothing).
    pub first_ns: Option<u64>,
    /// When its stdout closed (it exited).
    pub eof_ns: u64,
    /// Everything it wrote.
    pub out: Vec<u8>,
}

/// A `nox hook EVENT --agent AGENT` process, its payload written and its
/// stdout read by a thread that stamps the first byte; killed and reaped
/// when dropped.
pub struct Hook {
    child: Child,
    rx: Receiver<HookOut>,
}

impl Hook {
    /// Starts the hook for `agent` on `nox`'s socket with `payload`.
    pub fn spawn(nox: &Nox, event: &str, agent: &str, payload: &Value) -> Self {
        let mut child = nox
            .cli()
            .args(["hook", event, "--agent", agent])
            .env("NOX_SOCKET", nox.socket())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nox hook");
        let mut stdout = child.stdout.take().expect("hook stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut first_ns = None;
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                first_ns.get_or_insert_with(mono_ns);
                out.extend_from_slice(&buf[..n]);
            }
            let eof_ns = mono_ns();
            let _ = tx.send(HookOut {
                first_ns,
                eof_ns,
                out,
            });
        });
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(payload.to_string().as_bytes());
        }
        Self { child, rx }
    }

    /// Its output once its stdout closed, or `None` after `limit`.
    pub fn output(&mut self, limit: Duration) -> Option<HookOut> {
        match self.rx.recv_timeout(limit) {
            Ok(o) => {
                let _ = self.child.wait();
                Some(o)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
