//! The outer terminal for latency benches: a program in a portable-pty PTY
//! whose output a reader thread drains into a vt100 screen, stamping the
//! moment a watched cell shows an expected character (a keystroke's echo).

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// What the reader thread shares with the measurer.
struct Shared {
    parser: vt100::Parser,
    bytes: u64,
    last_output: Instant,
    /// A cell (row, col) the measurer waits for to show a character.
    watch: Option<(u16, u16, char)>,
    /// When the output that filled the watched cell was read.
    hit: Option<Instant>,
    eof: bool,
}

/// A program attached to a PTY the bench drives like a user's terminal.
pub struct Outer {
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    state: Arc<(Mutex<Shared>, Condvar)>,
}

impl Outer {
    /// Starts `cmd` in a `cols`×`rows` PTY and drains it continuously.
    pub fn spawn(cmd: CommandBuilder, rows: u16, cols: u16) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a PTY");
        let child = pair.slave.spawn_command(cmd).expect("spawn into the PTY");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("PTY reader");
        let writer = pair.master.take_writer().expect("PTY writer");
        let state = Arc::new((
            Mutex::new(Shared {
                parser: vt100::Parser::new(rows, cols, 0),
                bytes: 0,
                last_output: Instant::now(),
                watch: None,
                hit: None,
                eof: false,
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                let n = reader.read(&mut buf).unwrap_or(0);
                // Stamped before parsing: the time the bytes reached us.
                let now = Instant::now();
                let (lock, cv) = &*shared;
                let mut s = lock.lock().expect("outer state lock");
                if n == 0 {
                    s.eof = true;
                    cv.notify_all();
                    return;
                }
                s.parser.process(&buf[..n]);
                s.bytes += n as u64;
                s.last_output = now;
                if let Some((row, col, ch)) = s.watch
                    && cell_is(s.parser.screen(), row, col, ch)
                {
                    s.watch = None;
                    s.hit = Some(now);
                }
                cv.notify_all();
            }
        });
        Self {
            child,
            _master: pair.master,
            writer,
            state,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.state.0.lock().expect("outer state lock")
    }

    /// The screen as text.
    pub fn contents(&self) -> String {
        self.lock().parser.screen().contents()
    }

    /// Waits until the screen contains `text` and no output came for `quiet`
    /// (false if that did not happen within `limit`).
    pub fn wait_ready(&self, text: &str, quiet: Duration, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        let (_, cv) = &*self.state;
        let mut s = self.lock();
        loop {
            if s.eof {
                return false;
            }
            if s.last_output.elapsed() >= quiet && s.parser.screen().contents().contains(text) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            s = cv
                .wait_timeout(s, Duration::from_millis(50))
                .expect("outer state lock")
                .0;
        }
    }

    /// Writes raw bytes to the program, as typed.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to the PTY");
        self.writer.flush().expect("flush the PTY");
    }

    /// Types `ch` and returns the time until it is drawn at the cursor's
    /// cell (where the echo lands), or why it was not.
    pub fn echo(&mut self, ch: char, limit: Duration) -> Result<Duration, String> {
        {
            let mut s = self.lock();
            let screen = s.parser.screen();
            let (row, col) = screen.cursor_position();
            if cell_is(screen, row, col, ch) {
                return Err(format!("cell {row},{col} already shows {ch:?}"));
            }
            s.watch = Some((row, col, ch));
            s.hit = None;
        }
        let t0 = Instant::now();
        let mut buf = [0u8; 4];
        self.send(ch.encode_utf8(&mut buf).as_bytes());
        let (_, cv) = &*self.state;
        let s = self.lock();
        let (mut s, _) = cv
            .wait_timeout_while(s, limit, |s| s.hit.is_none() && !s.eof)
            .expect("outer state lock");
        s.watch = None;
        match s.hit.take() {
            Some(t) => Ok(t.saturating_duration_since(t0)),
            None => Err(format!(
                "no echo of {ch:?} within {limit:?}; cursor now {:?}, screen:\n{}",
                s.parser.screen().cursor_position(),
                s.parser.screen().contents()
            )),
        }
    }

    /// SIGTERM, up to `grace` to exit, then SIGKILL; always reaped.
    pub fn terminate(&mut self, grace: Duration) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        if let Some(pid) = self.child.process_id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        let end = Instant::now() + grace;
        while Instant::now() < end {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Outer {
    fn drop(&mut self) {
        self.terminate(Duration::from_secs(3));
    }
}

fn cell_is(screen: &vt100::Screen, row: u16, col: u16, ch: char) -> bool {
    screen.cell(row, col).is_some_and(|c| {
        let mut buf = [0u8; 4];
        c.contents() == ch.encode_utf8(&mut buf)
    })
}
