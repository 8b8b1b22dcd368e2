//! Exclusive advisory locks on lock files, via flock(2).
//!
//! flock(2) locks belong to an open file description: they are shared by
//! duplicated descriptors, conflict between two separate `open`s of the same
//! file even within one process, and are released when the last descriptor
//! of that description closes, so also when the holder dies. Lock files are
//! never deleted: unlinking one while another process waits on it would let
//! two processes "hold" locks on different inodes.

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long [`FileLock::exclusive`] sleeps between non-blocking attempts.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// An exclusive flock(2) lock held on a lock file; released when dropped
/// (the descriptor closes) or when the process exits or is killed.
///
/// The descriptor is opened with `O_CLOEXEC` (std's default), so spawned
/// agents never inherit the lock.
#[derive(Debug)]
pub struct FileLock {
    lock: Flock<File>,
    path: PathBuf,
}

impl FileLock {
    /// Takes the exclusive lock on `path`, retrying every ~10 ms until
    /// `timeout` has passed (`Duration::ZERO`: one attempt).
    ///
    /// Creates the lock file (mode 0600, before the umask) if it is missing;
    /// its parent directory must exist. Polls with `LOCK_EX | LOCK_NB`
    /// (flock(2)) rather than blocking, so the wait is bounded.
    ///
    /// Errors: `io::ErrorKind::WouldBlock` naming `path` when the lock is
    /// still held elsewhere after `timeout`; otherwise the error of
    /// open(2) or flock(2) (e.g. `NotFound` for a missing directory).
    pub fn exclusive(path: &Path, timeout: Duration) -> io::Result<FileLock> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(lock) = Self::try_exclusive(path)? {
                return Ok(lock);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!(
                        "lock {} is held by another process (gave up after {timeout:?})",
                        path.display()
                    ),
                ));
            }
            std::thread::sleep(POLL_INTERVAL.min(deadline - now));
        }
    }

    /// Makes one attempt at the exclusive lock on `path`: `Ok(Some(lock))`
    /// when taken, `Ok(None)` when another open file description (another
    /// process, or another `open` in this one) holds it.
    ///
    /// Creates the lock file (mode 0600, before the umask) if it is missing.
    /// Errors: those of open(2) and flock(2) other than `EWOULDBLOCK`.
    pub fn try_exclusive(path: &Path) -> io::Result<Option<FileLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        match lock_nonblocking(file, FlockArg::LockExclusiveNonblock)? {
            Some(lock) => Ok(Some(FileLock {
                lock,
                path: path.to_path_buf(),
            })),
            None => Ok(None),
        }
    }

    /// The lock file's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open lock file (e.g. to write the holder's pid into it).
    pub fn file(&self) -> &File {
        &self.lock
    }
}

/// Whether some open file description holds an exclusive lock on `path`.
///
/// A probe: opens `path` read-only (never creating it; a missing file is
/// `Ok(false)`) and tries `LOCK_SH | LOCK_NB` (flock(2)), which fails only
/// against an exclusive holder, then releases at once. A [`FileLock`] held
/// by this very process counts as held (a fresh `open` is another open file
/// description). Shared locks held by other programs are not reported.
/// The answer can be stale by the time it returns; use it for display and
/// diagnostics, and [`FileLock::try_exclusive`] to actually decide.
///
/// Errors: those of open(2) other than `NotFound`, and of flock(2) other
/// than `EWOULDBLOCK`.
pub fn is_locked(path: &Path) -> io::Result<bool> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(lock_nonblocking(file, FlockArg::LockSharedNonblock)?.is_none())
}

/// One non-blocking flock(2) attempt; `Ok(None)` on `EWOULDBLOCK`, retrying
/// on `EINTR`.
fn lock_nonblocking(mut file: File, arg: FlockArg) -> io::Result<Option<Flock<File>>> {
    loop {
        match Flock::lock(file, arg) {
            Ok(lock) => return Ok(Some(lock)),
            Err((_, Errno::EWOULDBLOCK)) => return Ok(None),
            Err((f, Errno::EINTR)) => file = f,
            Err((_, errno)) => return Err(errno.into()),
        }
    }
}

#[cfg(test)]
mod tests;
