//! The process file-mode creation mask: nox's private 077.
//!
//! nox runs with umask 077 so everything it creates itself (`.nox/`, the
//! store, logs, run files, sockets) is 0700/0600 unless it asks otherwise.
//! Agents are the user's programs, so they get the user's original umask
//! back before exec (that wiring lives in the spawn path, not here).
//!
//! umask(2): the mask is per process, shared by all its threads, inherited
//! across fork(2) and kept across execve(2); the call always succeeds.

use std::sync::OnceLock;

use nix::sys::stat::{Mode, umask};

static ORIGINAL: OnceLock<u32> = OnceLock::new();

/// The umask the process had before the first [`private_umask`] (the
/// user's: agents get it back); the current mask when none was set.
pub fn original() -> u32 {
    *ORIGINAL.get_or_init(|| {
        let now = umask(Mode::from_bits_truncate(PRIVATE_UMASK as libc::mode_t));
        umask(now);
        #[allow(clippy::useless_conversion)]
        u32::from(now.bits())
    })
}

/// The mask [`private_umask`] installs: no group or other permissions.
pub const PRIVATE_UMASK: u32 = 0o077;

/// Sets the process umask to 0o077 and returns the previous mask (permission
/// bits, `0..=0o777`), to hand back to agents via [`set_umask`] before exec.
///
/// Process-wide (umask(2)): call it once at startup, before other threads
/// create files.
pub fn private_umask() -> u32 {
    let previous = umask(Mode::from_bits_truncate(PRIVATE_UMASK as libc::mode_t));
    #[allow(clippy::useless_conversion)] // mode_t is u32 on Linux, u16 on macOS
    let previous = u32::from(previous.bits());
    let _ = ORIGINAL.set(previous);
    previous
}

/// Sets the process umask to `mask` (only the bits `0o777` are kept, as
/// umask(2) does). Process-wide; cannot fail.
pub fn set_umask(mask: u32) {
    umask(Mode::from_bits_truncate((mask & 0o777) as libc::mode_t));
}

#[cfg(test)]
mod tests {
    use super::{PRIVATE_UMASK, private_umask, set_umask};

    /// Flips the process-wide mask only for an instant and restores it, so
    /// tests creating files in other threads are not disturbed.
    #[test]
    fn private_umask_returns_previous_and_set_umask_restores() {
        let original = private_umask();
        let during = private_umask();
        set_umask(0o022);
        let after_set = private_umask();
        set_umask(original);
        assert_eq!(during, PRIVATE_UMASK);
        assert_eq!(after_set, 0o022);
        assert!(original <= 0o777);
    }
}
