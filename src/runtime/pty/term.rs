//! One agent's terminal: its vt100 parser (the screen every face reads), the
//! input path to its PTY (a writer thread, so a full PTY never blocks the UI),
//! window size, and the cheap signals the rest of nox watches: "dirty" for
//! the UI, "activity" for status detection.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::Instant;

use tokio::sync::Notify;

use super::answers::Answers;
use super::log::AgentLog;
use super::spawn::{PtyControl, PtyProcess};
use crate::runtime::screen::{Modes, ScreenSnapshot};

/// A synchronized update (`?2026h`) longer than this is drawn anyway (ms).
const SYNC_TIMEOUT_MS: u64 = 500;
/// Output this soon after typed input counts as echo, not activity (ms).
const ECHO_WINDOW_MS: u64 = 250;
/// Most output kept by a capture ([`Term::start_capture`]), in bytes; past
/// it the oldest bytes go.
pub const CAPTURE_MAX: usize = 256 * 1024;

/// One agent's screen and PTY input; shared by the runtime, the reader
/// thread and the faces (`Arc<Term>`).
pub struct Term {
    parser: Mutex<vt100::Parser<Answers>>,
    input: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
    control: Mutex<Option<Box<dyn PtyControl>>>,
    capture: Mutex<Option<Vec<u8>>>,
    size: Mutex<(u16, u16)>,
    scrollback: usize,
    session: AtomicU64,
    dirty: AtomicBool,
    wake: Arc<Notify>,
    /// Signalled when output arrives after the agent was declared quiet.
    pub activity: Notify,
    /// Signalled when the user types into the agent.
    pub typed: Notify,
    quiet: AtomicBool,
    epoch: Instant,
    last_output_ms: AtomicU64,
    last_input_ms: AtomicU64,
    last_user_input_ms: AtomicU64,
    sync_since_ms: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: Arc<AtomicU64>,
    resets: AtomicU64,
}

/// Narrowest terminal nox creates: vt100 0.16.2 underflows placing a wide
/// character on a one-column screen.
pub const MIN_COLS: u16 = 2;

thread_local! {
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is inside a guarded parse (the panic hook
/// then stays quiet: the panic is caught and the parser reset).
pub fn in_guarded_parse() -> bool {
    GUARDED.with(std::cell::Cell::get)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Term {
    /// A blank `rows`×`cols` terminal keeping `scrollback` lines; `wake` is
    /// notified when the screen changes.
    pub fn new(rows: u16, cols: u16, scrollback: usize, wake: Arc<Notify>) -> Self {
        Self {
            // The same floor as `size` (a 0×0 outer terminal): a one-column
            // emulator fails on the first wide character.
            parser: Mutex::new(vt100::Parser::new_with_callbacks(
                rows.max(1),
                cols.max(MIN_COLS),
                scrollback,
                Answers::default(),
            )),
            input: Mutex::new(None),
            control: Mutex::new(None),
            capture: Mutex::new(None),
            size: Mutex::new((rows.max(1), cols.max(MIN_COLS))),
            scrollback,
            session: AtomicU64::new(0),
            dirty: AtomicBool::new(true),
            wake,
            activity: Notify::new(),
            typed: Notify::new(),
            quiet: AtomicBool::new(true),
            epoch: Instant::now(),
            last_output_ms: AtomicU64::new(0),
            last_input_ms: AtomicU64::new(0),
            last_user_input_ms: AtomicU64::new(0),
            sync_since_ms: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: Arc::new(AtomicU64::new(0)),
            resets: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Current (rows, cols).
    pub fn size(&self) -> (u16, u16) {
        *lock(&self.size)
    }

    /// Attaches a new process: fresh screen, a reader thread feeding the
    /// parser (and `log`), and a writer thread for input. Returns the pid.
    pub fn attach(
        self: &Arc<Self>,
        proc: PtyProcess,
        log: Option<AgentLog>,
    ) -> (Option<u32>, Box<dyn FnOnce() -> super::ExitInfo + Send>) {
        let session = self.session.fetch_add(1, Ordering::SeqCst) + 1;
        let (rows, cols) = self.size();
        *lock(&self.parser) =
            vt100::Parser::new_with_callbacks(rows, cols, self.scrollback, Answers::default());
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let mut writer = proc.writer;
        let written = Arc::clone(&self.bytes_out);
        let _ = std::thread::Builder::new()
            .name("nox-pty-writer".into())
            .spawn(move || {
                for bytes in rx {
                    if writer
                        .write_all(&bytes)
                        .and_then(|()| writer.flush())
                        .is_err()
                    {
                        break;
                    }
                    written.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                }
            });
        *lock(&self.input) = Some(tx);
        *lock(&self.control) = Some(proc.control);
        *lock(&self.capture) = None;
        self.quiet.store(true, Ordering::SeqCst);
        self.mark_dirty();
        let me = Arc::clone(self);
        let reader = proc.reader;
        let _ = std::thread::Builder::new()
            .name("nox-pty-reader".into())
            .spawn(move || super::reader::run(&me, reader, log, session));
        (proc.pid, proc.wait)
    }

    /// Drops the input and control handles of the ended process.
    pub fn detach(&self) {
        *lock(&self.input) = None;
        *lock(&self.control) = None;
        *lock(&self.capture) = None;
    }

    /// Whether `session` is still the current one.
    pub(crate) fn is_session(&self, session: u64) -> bool {
        self.session.load(Ordering::SeqCst) == session
    }

    /// Queues bytes the user typed (keys, pastes, mouse) for the agent's
    /// PTY; remembered so nox types no prompt over the user's (see
    /// [`Term::ms_since_user_input`]). Never blocks; false when no process
    /// is attached.
    pub fn input_from_user(&self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        // A focus report (xterm's `CSI I` / `CSI O`, sent when the user
        // switches panes) is not typing: it must not hold prompts back.
        if bytes != b"\x1b[I" && bytes != b"\x1b[O" {
            self.last_user_input_ms
                .store(self.now_ms() + 1, Ordering::Relaxed);
        }
        let ok = self.write(bytes);
        self.typed.notify_one();
        ok
    }

    /// Milliseconds since the user last typed into this agent (`u64::MAX`
    /// when never).
    pub fn ms_since_user_input(&self) -> u64 {
        match self.last_user_input_ms.load(Ordering::Relaxed) {
            0 => u64::MAX,
            t => self.now_ms().saturating_sub(t - 1),
        }
    }

    /// Queues `bytes` for the agent's PTY. Never blocks; returns false when no
    /// process is attached.
    pub fn write(&self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        self.last_input_ms
            .store(self.now_ms() + 1, Ordering::Relaxed);
        lock(&self.input)
            .as_ref()
            .is_some_and(|tx| tx.send(bytes.to_vec()).is_ok())
    }

    /// Resizes screen and PTY (the agent gets SIGWINCH).
    pub fn resize(&self, rows: u16, cols: u16) {
        let (rows, cols) = (rows.max(1), cols.max(MIN_COLS));
        {
            let mut size = lock(&self.size);
            if *size == (rows, cols) {
                return;
            }
            *size = (rows, cols);
        }
        lock(&self.parser).screen_mut().set_size(rows, cols);
        if let Some(r) = lock(&self.control).as_ref() {
            let _ = r.resize(rows, cols);
        }
        self.mark_dirty();
    }

    /// The foreground process group of the agent's terminal (tcgetpgrp).
    pub fn foreground_pgrp(&self) -> Option<i32> {
        lock(&self.control)
            .as_ref()
            .and_then(|c| c.foreground_pgrp())
    }

    /// Starts keeping a copy of the output from now on (a task's own
    /// output), replacing any capture in progress.
    pub fn start_capture(&self) {
        *lock(&self.capture) = Some(Vec::new());
    }

    /// A copy of the output captured so far (at most [`CAPTURE_MAX`] bytes,
    /// the newest), without ending the capture.
    pub fn captured(&self) -> Vec<u8> {
        lock(&self.capture).clone().unwrap_or_default()
    }

    /// Ends the capture and returns what it kept.
    pub fn take_capture(&self) -> Vec<u8> {
        lock(&self.capture).take().unwrap_or_default()
    }

    /// The input modes in force (for encoding keys, pastes, mouse).
    pub fn modes(&self) -> Modes {
        self.with_parser(|p| Modes::of(p.screen(), p.callbacks().focus_events))
    }

    /// A copy of the screen `offset` lines back in the scrollback (0: live),
    /// the offset clamped to what there is. The shared emulator is left at
    /// the live screen: the scroll position belongs to the viewer.
    pub fn snapshot(&self, offset: usize) -> ScreenSnapshot {
        self.with_parser(|p| {
            let screen = p.screen_mut();
            screen.set_scrollback(usize::MAX);
            let available = screen.scrollback();
            screen.set_scrollback(offset.min(available));
            let (title, focus) = (p.callbacks().title.clone(), p.callbacks().focus_events);
            let snap = ScreenSnapshot::copy(p.screen(), available, &title, focus);
            p.screen_mut().set_scrollback(0);
            snap
        })
    }

    /// The scrollback offset that brings the next line matching `query`
    /// (case-insensitive) to the top of the view: searching older lines
    /// (up) or newer ones from the view at `offset`, wrapping around;
    /// `from_bottom` starts at the view's bottom line (a new search).
    pub fn find(
        &self,
        query: &str,
        offset: usize,
        older: bool,
        from_bottom: bool,
    ) -> Option<usize> {
        if query.is_empty() {
            return None;
        }
        let q = query.to_lowercase();
        self.with_parser(|p| {
            let screen = p.screen_mut();
            let (rows, cols) = screen.size();
            screen.set_scrollback(usize::MAX);
            let h = screen.scrollback();
            let top = h - offset.min(h);
            let mut line = |i: usize| -> String {
                if i < h {
                    screen.set_scrollback(h - i);
                    screen.rows(0, cols).next().unwrap_or_default()
                } else {
                    screen.set_scrollback(0);
                    screen.rows(0, cols).nth(i - h).unwrap_or_default()
                }
            };
            let total = h + usize::from(rows);
            let mut matches = |i: &usize| line(*i).to_lowercase().contains(&q);
            let hit = if older {
                let start = if from_bottom {
                    (top + usize::from(rows)).min(total)
                } else {
                    top
                };
                (0..start)
                    .rev()
                    .find(&mut matches)
                    .or_else(|| (start..total).rev().find(&mut matches))
            } else {
                (top + 1..total)
                    .find(&mut matches)
                    .or_else(|| (0..=top.min(total.saturating_sub(1))).find(&mut matches))
            };
            screen.set_scrollback(0);
            hit.map(|i| h.saturating_sub(i))
        })
    }

    /// Feeds output of `session` into the parser; called by the reader thread.
    pub(crate) fn ingest(&self, session: u64, bytes: &[u8]) {
        if !self.is_session(session) {
            return;
        }
        let now = self.now_ms();
        let (reply, synchronized) = {
            let mut p = lock(&self.parser);
            // Whatever an agent prints must not take nox down: a panic inside
            // the emulator resets this agent's screen and is logged.
            GUARDED.with(|g| g.set(true));
            let parsed =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.process(bytes)));
            GUARDED.with(|g| g.set(false));
            if parsed.is_err() {
                self.resets.fetch_add(1, Ordering::Relaxed);
                tracing::error!("terminal emulator failed on agent output; the screen was reset");
                let (rows, cols) = self.size();
                *p = vt100::Parser::new_with_callbacks(
                    rows,
                    cols,
                    self.scrollback,
                    Answers::default(),
                );
            }
            let cb = p.callbacks_mut();
            (std::mem::take(&mut cb.reply), cb.synchronized)
        };
        if !reply.is_empty() {
            self.write_reply(&reply);
        }
        if let Some(c) = lock(&self.capture).as_mut() {
            c.extend_from_slice(bytes);
            if c.len() > CAPTURE_MAX {
                let cut = c.len() - CAPTURE_MAX;
                c.drain(..cut);
            }
        }
        self.bytes_in
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.last_output_ms.store(now, Ordering::Relaxed);
        let last_input = self.last_input_ms.load(Ordering::Relaxed);
        let echo = last_input > 0 && (now + 1).saturating_sub(last_input) < ECHO_WINDOW_MS;
        if !echo && self.quiet.swap(false, Ordering::SeqCst) {
            self.activity.notify_one();
        }
        if synchronized {
            let since = self.sync_since_ms.load(Ordering::Relaxed);
            if since == 0 {
                self.sync_since_ms.store(now.max(1), Ordering::Relaxed);
                return;
            }
            if now.saturating_sub(since) < SYNC_TIMEOUT_MS {
                return;
            }
        }
        self.sync_since_ms.store(0, Ordering::Relaxed);
        self.mark_dirty();
    }

    fn write_reply(&self, reply: &[u8]) {
        if let Some(tx) = lock(&self.input).as_ref() {
            let _ = tx.send(reply.to_vec());
        }
    }

    /// Marks the screen changed and wakes the UI (once per clean→dirty edge).
    pub fn mark_dirty(&self) {
        if !self.dirty.swap(true, Ordering::SeqCst) {
            self.wake.notify_one();
        }
    }

    /// Takes the dirty flag (the UI calls this when it draws this terminal).
    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::SeqCst)
    }

    /// Declares the agent quiet: the next output signals [`Term::activity`].
    pub fn set_quiet(&self) {
        self.quiet.store(true, Ordering::SeqCst);
    }

    /// Milliseconds since the last output (or since creation).
    pub fn ms_since_output(&self) -> u64 {
        self.now_ms()
            .saturating_sub(self.last_output_ms.load(Ordering::Relaxed))
    }

    /// How often the emulator failed on output and was reset.
    pub fn emulator_resets(&self) -> u64 {
        self.resets.load(Ordering::Relaxed)
    }

    /// Total bytes of output ingested.
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in.load(Ordering::Relaxed)
    }

    /// Total bytes written to the PTY (typed input, prompts, answers to
    /// the agent's terminal queries), across its processes.
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Ordering::Relaxed)
    }

    /// Runs `f` on the parser (screen and callbacks state) under its lock.
    pub fn with_parser<R>(&self, f: impl FnOnce(&mut vt100::Parser<Answers>) -> R) -> R {
        f(&mut lock(&self.parser))
    }

    /// Feeds bytes as if the current session had printed them (tests and
    /// recorded-stream replays).
    pub fn ingest_for_test(&self, bytes: &[u8]) {
        self.ingest(self.session.load(Ordering::SeqCst), bytes);
    }

    /// The screen's text, rows trimmed (for tests, the API and searching).
    pub fn contents(&self) -> String {
        self.with_parser(|p| p.screen().contents())
    }
}

impl std::fmt::Debug for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Term")
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_sized_terminal_gets_the_same_floor_in_its_emulator() {
        let t = Term::new(0, 0, 10, Arc::new(Notify::new()));
        assert_eq!(lock(&t.parser).screen().size(), *lock(&t.size));
    }

    #[test]
    fn a_focus_report_is_not_typing_but_keys_are() {
        let t = Term::new(5, 20, 10, Arc::new(Notify::new()));
        assert_eq!(t.ms_since_user_input(), u64::MAX);
        t.input_from_user(b"\x1b[I");
        t.input_from_user(b"\x1b[O");
        assert_eq!(
            t.ms_since_user_input(),
            u64::MAX,
            "focus reports held prompts back"
        );
        t.input_from_user(b"x");
        assert!(t.ms_since_user_input() < 1000);
    }
}
