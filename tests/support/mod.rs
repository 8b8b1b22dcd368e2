//! Test support: the real `nox` binary in a real PTY, read back through vt100
//! (television's `PtyTester` shape), temporary workspaces, process checks.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// An interactive bash agent `sh` whose prompt is `ready> ` (its ready
/// pattern): tasks complete when it prints the prompt again.
pub const BASH_SH: &str = r#"
[[agent]]
name = "sh"
command = "bash"
args = ["--norc", "--noprofile", "-i"]
env = { PS1 = "ready> " }
ready_pattern = 'ready>\s*$'
"#;

/// The whole nox log of the workspace at `ws_root` (`.nox/logs/nox.log*`).
pub fn nox_log(ws_root: &Path) -> String {
    let mut out = String::new();
    if let Ok(rd) = std::fs::read_dir(ws_root.join(".nox/logs")) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with("nox.log") {
                out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    out
}

/// The nox binary under test.
pub fn nox_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nox"))
}

/// A temporary workspace with `nox_toml` as its config.
pub struct Ws {
    pub dir: tempfile::TempDir,
}

impl Ws {
    pub fn new(nox_toml: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".nox")).expect("mkdir");
        std::fs::write(dir.path().join(".nox/nox.toml"), nox_toml).expect("write");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        Self { dir }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// nox running in a PTY, its screen parsed by vt100.
pub struct NoxPty {
    pub child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte nox wrote to its terminal (the bell and OSCs included).
    raw: Arc<Mutex<Vec<u8>>>,
    pub ws_root: PathBuf,
}

impl NoxPty {
    /// Starts `nox ARGS` in `ws` at `rows`×`cols`.
    pub fn start(ws: &Ws, args: &[&str], rows: u16, cols: u16) -> Self {
        Self::start_with_env(ws, args, rows, cols, &[])
    }

    /// Starts `nox ARGS` with extra environment variables.
    pub fn start_with_env(
        ws: &Ws,
        args: &[&str],
        rows: u16,
        cols: u16,
        env: &[(&str, &str)],
    ) -> Self {
        Self::start_program(ws, &nox_bin(), args, rows, cols, env)
    }

    /// Starts `program ARGS` (a wrapper that execs nox) like [`Self::start`].
    pub fn start_program(
        ws: &Ws,
        program: &Path,
        args: &[&str],
        rows: u16,
        cols: u16,
        env: &[(&str, &str)],
    ) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(ws.path());
        cmd.env("HOME", ws.file("home"));
        cmd.env("XDG_CONFIG_HOME", ws.file("home/.config"));
        cmd.env("TERM", "xterm-256color");
        cmd.env("SHELL", "/bin/sh");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("RUST_LOG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn nox");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let p = Arc::clone(&parser);
        let raw = Arc::new(Mutex::new(Vec::new()));
        let r = Arc::clone(&raw);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                r.lock().expect("raw").extend_from_slice(&buf[..n]);
                p.lock().expect("parser").process(&buf[..n]);
            }
        });
        Self {
            child,
            writer,
            master: pair.master,
            parser,
            raw,
            ws_root: ws.path().to_path_buf(),
        }
    }

    /// The screen's text.
    pub fn screen(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    /// Every byte nox has written to its terminal so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().expect("raw").clone()
    }

    /// Runs `f` on the parsed screen.
    pub fn with_screen<R>(&self, f: impl FnOnce(&vt100::Screen) -> R) -> R {
        f(self.parser.lock().expect("parser").screen())
    }

    /// Waits until `pred(screen)` holds; panics with the screen after `secs`.
    pub fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() <= end,
                "timed out waiting for {what}; screen:\n{s}\n--- nox log:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen contains `text`.
    pub fn wait_text(&self, text: &str, secs: u64) -> String {
        self.wait_for(&format!("{text:?}"), secs, |s| s.contains(text))
    }

    /// The last lines of the workspace's nox log.
    pub fn log_tail(&self) -> String {
        let text = nox_log(&self.ws_root);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Types bytes into nox.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to nox");
        self.writer.flush().expect("flush");
    }

    /// Types text, then waits a little so keys are separate reads.
    pub fn type_str(&mut self, s: &str) {
        self.send(s.as_bytes());
        std::thread::sleep(Duration::from_millis(30));
    }

    /// The prefix then `key`.
    pub fn prefix(&mut self, key: &[u8]) {
        self.send(b"\x02");
        std::thread::sleep(Duration::from_millis(40));
        self.send(key);
        std::thread::sleep(Duration::from_millis(40));
    }

    /// Resizes nox's PTY (nox gets SIGWINCH).
    pub fn resize(&self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        self.parser
            .lock()
            .expect("parser")
            .screen_mut()
            .set_size(rows, cols);
    }

    /// Asserts nox left the outer terminal as it found it: normal screen,
    /// no mouse reporting, no bracketed paste, cursor visible.
    pub fn assert_terminal_restored(&self) {
        std::thread::sleep(Duration::from_millis(200));
        self.with_screen(|s| {
            assert!(!s.alternate_screen(), "still on the alternate screen");
            assert_eq!(
                s.mouse_protocol_mode(),
                vt100::MouseProtocolMode::None,
                "mouse reporting left on"
            );
            assert!(!s.bracketed_paste(), "bracketed paste left on");
            assert!(!s.hide_cursor(), "cursor left hidden");
        });
    }

    /// nox's pid.
    pub fn pid(&self) -> i32 {
        self.child.process_id().expect("pid") as i32
    }

    /// Quits with the prefix and `d`, confirming when nox asks (agents
    /// busy); returns the exit code.
    pub fn quit(&mut self) -> u32 {
        self.prefix(b"d");
        let s = self.wait_for("quit or confirm", 10, |s| {
            s.contains("Quit anyway") || !s.contains("Agents (")
        });
        if s.contains("Quit anyway") {
            self.type_str("y");
        }
        self.wait_exit(20)
    }

    /// Waits for nox to exit; returns its exit code.
    pub fn wait_exit(&mut self, secs: u64) -> u32 {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return st.exit_code();
            }
            assert!(
                Instant::now() < end,
                "nox did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for NoxPty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether process `pid` is alive (not gone, not a zombie).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or("X");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

/// Waits until `path` holds a pid (written by an agent) and returns it.
pub fn read_pid(path: &Path, secs: u64) -> i32 {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return pid;
        }
        assert!(Instant::now() < end, "no pid in {}", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `pred` holds or panics after `secs`.
pub fn eventually(what: &str, secs: u64, pred: impl Fn() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !pred() {
        assert!(Instant::now() < end, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `sig` to `pid`.
pub fn kill(pid: i32, sig: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
}

/// `GET path` on a workspace's control socket; the JSON body.
pub fn socket_get(ws_root: &Path, path: &str) -> serde_json::Value {
    use std::os::unix::net::UnixStream;
    let mut s = UnixStream::connect(ws_root.join(".nox/nox.sock")).expect("control socket");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: nox\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("response");
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {resp}"))
}

/// The pid of agent `name`, from the running instance.
pub fn agent_pid(ws_root: &Path, name: &str) -> i32 {
    let agents = socket_get(ws_root, "/api/agents");
    agents
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .and_then(|a| a["pid"].as_i64())
        .map_or_else(|| panic!("no pid for {name}: {agents}"), |p| p as i32)
}

/// Runs `nox ARGS` in `ws` (HOME inside it) and waits for it.
pub fn nox_cmd(ws: &Ws, args: &[&str]) -> std::process::Output {
    std::process::Command::new(nox_bin())
        .args(args)
        .current_dir(ws.path())
        .env("HOME", ws.file("home"))
        .env_remove("NOX_ANSWER_WITHIN_MS")
        .output()
        .expect("nox")
}

/// stdout of a successful `nox ARGS`; panics with stderr otherwise.
pub fn nox_ok(ws: &Ws, args: &[&str]) -> String {
    let out = nox_cmd(ws, args);
    assert!(
        out.status.success(),
        "nox {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `METHOD path` with a JSON body on the workspace's control socket:
/// (status, JSON body).
pub fn socket_call(
    ws_root: &Path,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let bytes = body.map(|b| b.to_string().into_bytes());
    let (status, text) = nox::client::request(
        &ws_root.join(".nox/nox.sock"),
        method,
        path,
        &[],
        bytes.as_deref(),
        Duration::from_secs(10),
    )
    .expect("an answer");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Waits until the workspace's instance answers `/health`.
pub fn wait_socket(ws_root: &Path, secs: u64) {
    let sock = ws_root.join(".nox/nox.sock");
    eventually("the control socket answers", secs, || {
        nox::client::request(&sock, "GET", "/health", &[], None, Duration::from_secs(2))
            .is_ok_and(|(s, _)| s == 200)
    });
}

/// The task list as JSON, through `nox task list --json`.
pub fn tasks(ws: &Ws) -> serde_json::Value {
    serde_json::from_str(&nox_ok(ws, &["task", "list", "--json"])).expect("json")
}

/// An executable script `name` in the workspace.
pub fn script(ws: &Ws, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = ws.file(name);
    std::fs::write(&p, text).expect("script");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

/// Waits until agent `name` of the running instance has `status`.
pub fn wait_status(ws_root: &Path, name: &str, status: &str, secs: u64) {
    let path = format!("/api/agents/{name}");
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let a = socket_get(ws_root, &path);
        if a["status"] == status {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {name} to be {status}: {a}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
