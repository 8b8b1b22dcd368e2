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
use super::spawn::{PtyProcess, Resize};

/// A synchronized update (`?2026h`) longer than this is drawn anyway (ms).
const SYNC_TIMEOUT_MS: u64 = 500;
/// Output this soon after typed input counts as echo, not activity (ms).
const ECHO_WINDOW_MS: u64 = 250;

/// One agent's screen and PTY input; shared by the runtime, the reader
/// thread and the faces (`Arc<Term>`).
pub struct Term {
    parser: Mutex<vt100::Parser<Answers>>,
    input: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
    resizer: Mutex<Option<Box<dyn Resize>>>,
    size: Mutex<(u16, u16)>,
    scrollback: usize,
    session: AtomicU64,
    dirty: AtomicBool,
    wake: Arc<Notify>,
    /// Signalled when output arrives after the agent was declared quiet.
    pub activity: Notify,
    quiet: AtomicBool,
    epoch: Instant,
    last_output_ms: AtomicU64,
    last_input_ms: AtomicU64,
    sync_since_ms: AtomicU64,
    bytes_in: AtomicU64,
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
            parser: Mutex::new(vt100::Parser::new_with_callbacks(
                rows.max(1),
                cols.max(1),
                scrollback,
                Answers::default(),
            )),
            input: Mutex::new(None),
            resizer: Mutex::new(None),
            size: Mutex::new((rows.max(1), cols.max(MIN_COLS))),
            scrollback,
            session: AtomicU64::new(0),
            dirty: AtomicBool::new(true),
            wake,
            activity: Notify::new(),
            quiet: AtomicBool::new(true),
            epoch: Instant::now(),
            last_output_ms: AtomicU64::new(0),
            last_input_ms: AtomicU64::new(0),
            sync_since_ms: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
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
                }
            });
        *lock(&self.input) = Some(tx);
        *lock(&self.resizer) = Some(proc.resizer);
        self.quiet.store(true, Ordering::SeqCst);
        self.mark_dirty();
        let me = Arc::clone(self);
        let reader = proc.reader;
        let _ = std::thread::Builder::new()
            .name("nox-pty-reader".into())
            .spawn(move || super::reader::run(&me, reader, log, session));
        (proc.pid, proc.wait)
    }

    /// Drops the input and resize handles of the ended process.
    pub fn detach(&self) {
        *lock(&self.input) = None;
        *lock(&self.resizer) = None;
    }

    /// Whether `session` is still the current one.
    pub(crate) fn is_session(&self, session: u64) -> bool {
        self.session.load(Ordering::SeqCst) == session
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
        if let Some(r) = lock(&self.resizer).as_ref() {
            let _ = r.resize(rows, cols);
        }
        self.mark_dirty();
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
