//! OS helpers for the rest of nox: crash-safe file replacement, advisory
//! locks, keeping agents' descendants in check, and the process umask.
//!
//! Each helper is a thin, documented layer over one kernel rule, named in
//! its docs with the man page it comes from:
//!
//! - [`atomic`]: replace a file's contents so a kill at any instant leaves
//!   the old or the new text, never a mix ([rename(2)], [fsync(2)]).
//! - [`lock`]: exclusive advisory locks on lock files, released on drop or
//!   process death ([flock(2)]).
//! - [`reaper`]: find, kill and reap an agent's descendants by the
//!   `NOX_INSTANCE`/`NOX_AGENT` environment tags they inherit
//!   ([prctl(2)] `PR_SET_CHILD_SUBREAPER`, [proc(5)], waitpid(2)).
//! - [`umask`]: the private 077 umask nox runs with ([umask(2)]).
//! - [`cgroup`]: one cgroup v2 per agent, where one is writable.
//! - [`program`]: resolving an agent's program as execvp(3) would.
//! - [`uuid`]: random session ids.
//!
//! Everything here is Linux-first (it reads `/proc`) and safe Rust: the
//! system calls go through `nix` and `std`.
//!
//! [rename(2)]: https://man7.org/linux/man-pages/man2/rename.2.html
//! [fsync(2)]: https://man7.org/linux/man-pages/man2/fsync.2.html
//! [flock(2)]: https://man7.org/linux/man-pages/man2/flock.2.html
//! [prctl(2)]: https://man7.org/linux/man-pages/man2/prctl.2.html
//! [proc(5)]: https://man7.org/linux/man-pages/man5/proc.5.html
//! [umask(2)]: https://man7.org/linux/man-pages/man2/umask.2.html

pub mod atomic;
pub mod cgroup;
pub mod lock;
pub mod program;
pub mod reaper;
pub mod time;
pub mod umask;
pub mod uuid;

#[cfg(test)]
mod testutil;

pub use atomic::atomic_write;
pub use lock::{FileLock, is_locked};
pub use reaper::{
    AGENT_ENV, INSTANCE_ENV, become_subreaper, kill_tagged, reap_orphans, tagged_processes,
};
pub use umask::{private_umask, set_umask};
