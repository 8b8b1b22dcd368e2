//! A headless nox of `benches/http.rs`: the release `nox` binary (or
//! `NOX_BENCH_BIN`) run as `nox --headless --listen 127.0.0.1:0` in a temp
//! workspace, its bound address read from its first stdout line and its
//! bearer token from `.nox/api-token`. Dropping it stops nox (SIGTERM, then
//! SIGKILL after 10 s) and reaps it; the caller's temp dir goes with it.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The nox binary under test: `NOX_BENCH_BIN`, else this package's
/// (release, as `cargo bench` builds it).
pub fn nox_bin() -> OsString {
    std::env::var_os("NOX_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_nox").into())
}

/// `s` as a TOML string.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Points `cmd`'s HOME and XDG directories into `root` and clears the
/// variables that would aim nox at another instance.
pub fn isolate(cmd: &mut Command, root: &Path) {
    for (var, sub) in [
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("TMPDIR", "tmp"),
    ] {
        let p = root.join(sub);
        std::fs::create_dir_all(&p).expect("temp home dir");
        cmd.env(var, p);
    }
    cmd.env_remove("NOX_SOCKET").env_remove("NOX_ACT_AS");
}

/// `n` generic agents running `sh` with a `$ ` prompt and a ready pattern,
/// plus `extra` (e.g. a `[routing]` table), as a nox.toml.
pub fn sh_agents(n: usize, extra: &str) -> String {
    let mut t: String = (0..n)
        .map(|i| {
            format!(
                "[[agent]]\nname = \"sh{i}\"\ncommand = \"sh\"\nenv = {{ PS1 = \"$ \" }}\nready_pattern = '\\$\\s*$'\n\n"
            )
        })
        .collect();
    t.push_str(extra);
    t
}

/// A running `nox --headless --listen 127.0.0.1:0`.
pub struct Headless {
    child: Child,
    ws: PathBuf,
    /// The TCP address it listens on.
    pub addr: SocketAddr,
    /// Its bearer token.
    pub token: String,
}

impl Headless {
    /// Writes `toml` as `ROOT/ws/.nox/nox.toml` and starts nox there; waits
    /// for its first line and for every agent to be idle.
    pub fn start(root: &Path, toml: &str) -> Self {
        let ws = root.join("ws");
        std::fs::create_dir_all(ws.join(".nox")).expect("workspace dir");
        std::fs::write(ws.join(".nox/nox.toml"), toml).expect("write nox.toml");
        let mut cmd = Command::new(nox_bin());
        cmd.args(["--headless", "--listen", "127.0.0.1:0"])
            .current_dir(&ws)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(root.join("nox.stderr")).expect("stderr file"));
        isolate(&mut cmd, root);
        let mut child = cmd.spawn().expect("spawn nox --headless");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("nox stdout");
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut line).expect("nox's first line");
        // Keep draining its stdout so nox never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while matches!(reader.read_line(&mut sink), Ok(n) if n > 0) {
                sink.clear();
            }
        });
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("nox's first line is {line:?}"));
        let token = std::fs::read_to_string(ws.join(".nox/api-token"))
            .expect("read .nox/api-token")
            .trim()
            .to_owned();
        let nox = Self {
            child,
            ws,
            addr,
            token,
        };
        nox.wait_idle(Duration::from_secs(30));
        nox
    }

    /// The control socket.
    pub fn socket(&self) -> PathBuf {
        self.ws.join(".nox/nox.sock")
    }

    /// Waits until every agent is `idle` (`GET /api/agents` on the socket).
    fn wait_idle(&self, limit: Duration) {
        let end = Instant::now() + limit;
        loop {
            let agents = nox::client::request(
                &self.socket(),
                "GET",
                "/api/agents",
                &[],
                None,
                Duration::from_secs(5),
            )
            .ok()
            .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(&body).ok());
            let idle = agents
                .as_ref()
                .and_then(|a| a.as_array())
                .is_some_and(|a| !a.is_empty() && a.iter().all(|x| x["status"] == "idle"));
            if idle {
                return;
            }
            assert!(
                Instant::now() < end,
                "nox's agents were not idle after {limit:?}: {agents:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// nox's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Err` once nox has exited: how, and the ends of its stderr and log
    /// (a run whose server vanished says why instead of counting errors).
    pub fn check(&mut self) -> Result<(), String> {
        let Ok(Some(status)) = self.child.try_wait() else {
            return Ok(());
        };
        let tail = |p: &Path| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(6)..].join("\n      ")
        };
        let root = self.ws.parent().unwrap_or(&self.ws);
        let log = std::fs::read_dir(self.ws.join(".nox/logs"))
            .into_iter()
            .flatten()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("nox.log"))
            .map(|e| tail(&e.path()))
            .unwrap_or_default();
        Err(format!(
            "nox exited ({status}); stderr:\n      {}\n    nox.log:\n      {log}",
            tail(&root.join("nox.stderr"))
        ))
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let end = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
