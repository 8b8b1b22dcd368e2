//! The store: SQLite (rusqlite, bundled) in WAL mode with
//! `synchronous=NORMAL` and a busy timeout, owned by one thread. Writes are
//! queued and committed in batches of up to 1000: fire-and-forget writes
//! (events) wait up to 5 ms for company, a write whose caller waits commits
//! with whatever is queued at once. A write's acknowledgement is sent only
//! after its batch is committed, so nothing acknowledged is lost if nox is
//! killed. Events a write emits ([`Tx::emit`]) get their row id as their id
//! and are handed to the publisher only after the commit, in id order:
//! persisted first, then published.

pub mod agents;
pub mod events;
pub mod messages;
pub mod migrations;
pub mod sessions;
pub mod tasks;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::domain::{Event, EventBody};

/// Largest batch of writes in one transaction.
pub const BATCH_MAX: usize = 1000;
/// Longest a write waits for its batch to fill.
pub const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused (locked, full disk, corrupt, constraint).
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A refused change (e.g. a dependency cycle, a missing dependency), in words.
    #[error("{0}")]
    Refused(String),
    /// What it names does not exist (a task id).
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state (a transition the task's status
    /// does not have).
    #[error("{0}")]
    Conflict(String),
    /// The store thread is gone.
    #[error("the store is closed")]
    Closed,
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// What a write runs on: a savepoint of the batch's transaction, and the
/// events the write emits (published only once the batch is committed).
pub struct Tx<'a> {
    conn: &'a Connection,
    events: Vec<Event>,
}

impl Tx<'_> {
    /// Appends an event to the log in this write; returns its id. It is
    /// published after the commit, and dropped with the write if it fails.
    pub fn emit(&mut self, body: EventBody) -> Result<u64> {
        let ts_ms = now_ms();
        let id = events::insert(self.conn, ts_ms, &body)?;
        self.events.push(Event { id, ts_ms, body });
        Ok(id)
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

/// Receives every committed event, in id order, on the store thread (it
/// must not block: e.g. a `broadcast::Sender::send`).
pub type Publisher = Box<dyn Fn(&Event) + Send>;

/// A write runs on a savepoint of the batch's transaction.
type WriteFn = Box<dyn FnOnce(&mut Tx<'_>) -> Result<()> + Send>;
/// Told a write's outcome once its batch is committed (or failed).
type Ack = Box<dyn FnOnce(Result<()>) + Send>;
type ReadFn = Box<dyn FnOnce(&Connection) + Send>;

enum Op {
    Write(WriteFn, Option<Ack>),
    Read(ReadFn),
}

/// A cheap, cloneable handle on the store thread.
#[derive(Clone)]
pub struct Store {
    tx: mpsc::Sender<Op>,
    path: PathBuf,
    /// A read-only connection for [`Store::read_committed`], opened on
    /// first use.
    committed: std::sync::Arc<std::sync::Mutex<Option<Connection>>>,
}

impl Store {
    /// Opens (creating) the database at `path`, migrates it and starts the
    /// owner thread. Errors when the file cannot be opened or migrated.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_publishing(path, Box::new(|_| {}))
    }

    /// [`Store::open`], handing every committed event to `publish`. A new
    /// database file is created with mode 0600 (it holds prompts and results).
    pub fn open_publishing(path: &Path, publish: Publisher) -> Result<Self> {
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| {
                    StoreError::Refused(format!("cannot create {}: {e}", path.display()))
                })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("nox-store".into())
            .spawn(move || run(conn, &rx, &publish))
            .map_err(|e| StoreError::Refused(format!("cannot start the store thread: {e}")))?;
        Ok(Self {
            tx,
            path: path.to_path_buf(),
            committed: std::sync::Arc::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues a write without waiting (it joins the next batch).
    pub fn write_later(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<()> + Send + 'static) {
        let _ = self.tx.send(Op::Write(Box::new(f), None));
    }

    /// Queues one event for the log without waiting; it is published once
    /// committed (within [`BATCH_WINDOW`]).
    pub fn emit_later(&self, body: EventBody) {
        self.write_later(move |tx| tx.emit(body).map(|_| ()));
    }

    /// Runs a write in the next batch and waits until it is committed.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (out_tx, out_rx) = mpsc::channel();
        let (ack_tx, ack_rx) = mpsc::channel();
        let op = move |tx: &mut Tx<'_>| -> Result<()> {
            let v = f(tx)?;
            let _ = out_tx.send(v);
            Ok(())
        };
        let ack: Ack = Box::new(move |r| {
            let _ = ack_tx.send(r);
        });
        self.tx
            .send(Op::Write(Box::new(op), Some(ack)))
            .map_err(|_| StoreError::Closed)?;
        ack_rx.recv().map_err(|_| StoreError::Closed)??;
        out_rx.recv().map_err(|_| StoreError::Closed)
    }

    /// [`Store::write`] for async callers: the store thread wakes the
    /// awaiting task itself once the batch is committed, with no thread of
    /// the blocking pool in between.
    pub async fn write_async<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (out_tx, out_rx) = mpsc::channel();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<Result<T>>();
        let op = move |tx: &mut Tx<'_>| -> Result<()> {
            let v = f(tx)?;
            let _ = out_tx.send(v);
            Ok(())
        };
        let ack: Ack = Box::new(move |r| {
            let _ =
                done_tx.send(r.and_then(|()| out_rx.try_recv().map_err(|_| StoreError::Closed)));
        });
        self.tx
            .send(Op::Write(Box::new(op), Some(ack)))
            .map_err(|_| StoreError::Closed)?;
        done_rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs a query on the store thread (after the writes queued before it).
    pub fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (out_tx, out_rx) = mpsc::channel();
        self.tx
            .send(Op::Read(Box::new(move |c| {
                let _ = out_tx.send(f(c));
            })))
            .map_err(|_| StoreError::Closed)?;
        out_rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// [`Store::read`] for async callers: the answer comes back on a
    /// oneshot channel, so no thread blocks waiting for it (one hop to the
    /// store thread and one back).
    pub async fn read_async<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (out_tx, out_rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Op::Read(Box::new(move |c| {
                let _ = out_tx.send(f(c));
            })))
            .map_err(|_| StoreError::Closed)?;
        out_rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs a small query on a read-only connection of its own, on the
    /// caller's thread: no hop to the store thread and back. It sees what
    /// is committed (SQLite's WAL lets a reader run beside the writer), not
    /// writes still queued — for cheap reads on hot paths (`/health`'s task
    /// counts). Errors when the database cannot be opened read-only.
    pub fn read_committed<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut guard = self
            .committed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            let conn = Connection::open_with_flags(
                &self.path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(Duration::from_secs(1))?;
            *guard = Some(conn);
        }
        match guard.as_ref() {
            Some(conn) => f(conn),
            None => Err(StoreError::Closed),
        }
    }

    /// Waits until every write queued so far is committed.
    pub fn flush(&self) -> Result<()> {
        self.write(|_| Ok(()))
    }

    /// `PRAGMA integrity_check`: `"ok"` when the database is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
    }
}

fn run(mut conn: Connection, rx: &mpsc::Receiver<Op>, publish: &Publisher) {
    let mut batch: Vec<(WriteFn, Option<Ack>)> = Vec::with_capacity(BATCH_MAX);
    while let Ok(op) = rx.recv() {
        let mut reads = Vec::new();
        match op {
            Op::Write(f, ack) => batch.push((f, ack)),
            Op::Read(f) => reads.push(f),
        }
        // Fire-and-forget writes wait up to BATCH_WINDOW for company; once a
        // caller waits for its acknowledgement, what is queued commits now.
        let deadline = Instant::now() + BATCH_WINDOW;
        while !batch.is_empty() && batch.len() < BATCH_MAX && reads.is_empty() {
            let someone_waits = batch.iter().any(|(_, ack)| ack.is_some());
            let next = if someone_waits {
                rx.try_recv().map_err(|_| ())
            } else {
                rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    .map_err(|_| ())
            };
            match next {
                Ok(Op::Write(f, ack)) => batch.push((f, ack)),
                Ok(Op::Read(f)) => reads.push(f),
                Err(()) => break,
            }
        }
        if !batch.is_empty() {
            for ev in commit(&mut conn, &mut batch) {
                publish(&ev);
            }
        }
        for f in reads {
            f(&conn);
        }
    }
}

/// Commits `batch` in one transaction; returns the events it emitted, in
/// id order. A failing write is rolled back on its own (savepoint), with
/// its events, and reported to its caller; the others commit.
fn commit(conn: &mut Connection, batch: &mut Vec<(WriteFn, Option<Ack>)>) -> Vec<Event> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut emitted = Vec::new();
    let result = (|| -> Result<()> {
        let mut tx = conn.transaction()?;
        for (f, ack) in batch.drain(..) {
            let sp = tx.savepoint()?;
            let mut w = Tx {
                conn: &sp,
                events: Vec::new(),
            };
            let r = f(&mut w);
            let events = w.events;
            if r.is_ok() {
                sp.commit()?;
                emitted.extend(events);
            }
            outcomes.push((r, ack));
        }
        tx.commit()?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            for (r, ack) in outcomes {
                if let Some(ack) = ack {
                    ack(r);
                }
            }
            emitted
        }
        Err(e) => {
            tracing::error!("store: commit failed: {e}");
            for (_, ack) in outcomes {
                if let Some(ack) = ack {
                    ack(Err(StoreError::Refused(format!("commit failed: {e}"))));
                }
            }
            Vec::new()
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Queues `n` rows into the event log without waiting.
    fn queue_events(store: &Store, n: i64) {
        for i in 0..n {
            store.write_later(move |tx| {
                tx.execute(
                    "INSERT INTO events(ts_ms, kind, data) VALUES (?1, 'test', '{}')",
                    [i],
                )?;
                Ok(())
            });
        }
    }

    #[test]
    fn writes_commit_in_batches_and_reads_see_them() {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = Store::open(&tmp.path().join("nox.db")).expect("open");
        queue_events(&store, 2500);
        store.flush().expect("flush");
        let n: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?))
            .expect("count");
        assert_eq!(n, 2500);
        assert_eq!(store.integrity_check().expect("check"), "ok");
        let mode: String = store
            .read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .expect("mode");
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn an_async_read_sees_the_writes_queued_before_it() {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = Store::open(&tmp.path().join("nox.db")).expect("open");
        queue_events(&store, 300);
        let n: i64 = store
            .read_async(|c| Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?))
            .await
            .expect("count");
        assert_eq!(n, 300);
        let e = store
            .read_async(|c| Ok(c.query_row("SELECT nope FROM events", [], |r| r.get::<_, i64>(0))?))
            .await;
        assert!(e.is_err(), "a failing query is an error, not a hang");
    }

    #[test]
    fn a_committed_read_sees_committed_writes_on_its_own_connection() {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = Store::open(&tmp.path().join("nox.db")).expect("open");
        let count = |s: &Store| {
            s.read_committed(|c| {
                Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))?)
            })
            .expect("count")
        };
        assert_eq!(count(&store), 0);
        store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO events(ts_ms, kind, data) VALUES (1, 'test', '{}')",
                    [],
                )?;
                Ok(())
            })
            .expect("write");
        assert_eq!(count(&store), 1, "a new read sees the commit");
        let written = store.read_committed(|c| {
            Ok(c.execute(
                "INSERT INTO events(ts_ms, kind, data) VALUES (2, 'x', '{}')",
                [],
            )?)
        });
        assert!(written.is_err(), "the connection is read-only");
    }

    #[test]
    fn a_locked_database_is_an_error_and_loses_nothing_acknowledged() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("nox.db");
        let store = Store::open(&path).expect("open");
        let insert = |kind: &'static str| {
            move |c: &mut Tx<'_>| -> Result<()> {
                c.execute("INSERT INTO events(ts_ms, kind) VALUES (1, ?1)", [kind])?;
                Ok(())
            }
        };
        store.write(insert("before")).expect("acknowledged");
        let other = Connection::open(&path).expect("second connection");
        other.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        let e = store.write(insert("while locked")).expect_err("locked");
        assert!(e.to_string().contains("locked"), "{e}");
        other.execute_batch("COMMIT").expect("unlock");
        store.write(insert("after")).expect("writes again");
        let kinds: Vec<String> = store
            .read(|c| {
                let mut s = c.prepare("SELECT kind FROM events ORDER BY id")?;
                let rows = s
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                Ok(rows)
            })
            .expect("kinds");
        assert_eq!(kinds, ["before", "after"]);
    }

    #[test]
    fn a_failing_write_does_not_take_its_batch_down() {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = Store::open(&tmp.path().join("nox.db")).expect("open");
        store.write_later(|tx| {
            tx.execute("INSERT INTO events(ts_ms, kind) VALUES (1, 'kept')", [])?;
            Ok(())
        });
        let bad = store.write(|tx| {
            tx.execute("INSERT INTO events(ts_ms, kind) VALUES (2, 'undone')", [])?;
            tx.execute("INSERT INTO nope VALUES (1)", [])?;
            Ok(())
        });
        assert!(bad.is_err());
        let kinds: Vec<String> = store
            .read(|c| {
                let mut s = c.prepare("SELECT kind FROM events ORDER BY id")?;
                let rows = s
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                Ok(rows)
            })
            .expect("kinds");
        assert_eq!(kinds, ["kept"]);
    }
}
