//! Keeping agents' descendants in check: subreaper, environment tags, kill, reap.
//!
//! Every agent process starts with [`INSTANCE_ENV`]`=<nox instance id>` and
//! [`AGENT_ENV`]`=<agent name>`; its descendants inherit them, even ones that
//! leave the process group or session (`setsid`, daemons). proc(5)'s
//! `/proc/<pid>/environ` shows the environment a process was exec'd with, so
//! the tags find them. Limits: a descendant that execs with a scrubbed
//! environment (`env -i`), or that we may not read (another user, setuid), is
//! invisible. With [`become_subreaper`], orphaned descendants become our
//! children instead of init's, and [`reap_orphans`] collects their zombies.

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, getpid};
use std::collections::BTreeSet;
use std::io;
use std::time::{Duration, Instant};

/// The environment variable carrying the nox instance id.
pub const INSTANCE_ENV: &str = "NOX_INSTANCE";
/// The environment variable carrying the agent's name.
pub const AGENT_ENV: &str = "NOX_AGENT";

/// How often [`kill_tagged`] re-checks whether its targets have gone.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// How long [`kill_tagged`] waits for processes sent SIGKILL to die.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// Marks this process as a child subreaper: prctl(2) `PR_SET_CHILD_SUBREAPER`
/// with 1. Orphaned descendants (their parent died) are then reparented to
/// us rather than to init, so their zombies are ours to reap
/// ([`reap_orphans`]). The attribute is process-wide, survives for the life
/// of the process and is not inherited by children created with fork(2).
///
/// Errors: the prctl(2) errno as an `io::Error` (e.g. `EINVAL` on kernels
/// older than 3.4).
pub fn become_subreaper() -> io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(io::Error::from)
}

/// The pids (ascending) of live processes whose environment carries
/// `NOX_INSTANCE=<instance>` and, when `agent` is given, `NOX_AGENT=<agent>`
/// (exact `KEY=value` entries of the NUL-separated proc(5)
/// `/proc/<pid>/environ`).
///
/// Skips our own pid, unreadable entries (other users' processes, pids that
/// vanished mid-scan) and zombies (their environ reads empty). Never panics;
/// a missing `/proc` yields an empty list. The answer is a snapshot:
/// processes may start or exit right after.
pub fn tagged_processes(instance: &str, agent: Option<&str>) -> Vec<i32> {
    let me = getpid().as_raw();
    proc_pids()
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| has_tags(&env, instance, agent))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Kills the processes [`tagged_processes`]`(instance, agent)` finds and
/// returns how many distinct processes were found in all.
///
/// Sends SIGTERM, waits up to `grace` (polling every ~10 ms) for them to exit
/// (a zombie counts as exited), then rescans: whatever still carries the tags,
/// including processes forked meanwhile, gets SIGKILL (signal(7): cannot be
/// caught or ignored), up to a few rounds; a rescan rather than reusing the
/// old pids avoids signalling a recycled pid.
///
/// Then it reaps (waitpid(2) `WNOHANG`) the zombies among them that are our
/// children now but were not at the first scan: descendants reparented to us
/// during the kill because we are a subreaper. Our children from before,
/// such as the agent process itself whose exit status another thread waits
/// for, are left alone; [`reap_orphans`] with the right `keep` collects
/// orphans reparented earlier. Signals to processes already gone are
/// ignored; never panics. Blocks the calling thread for up to `grace` plus
/// a few seconds (use `spawn_blocking` from async code), and must not race
/// a new spawn carrying the same tags (it would be killed too).
pub fn kill_tagged(instance: &str, agent: Option<&str>, grace: Duration) -> usize {
    let me = getpid().as_raw();
    let first = tagged_processes(instance, agent);
    let ours_before: BTreeSet<i32> = first
        .iter()
        .copied()
        .filter(|&pid| proc_stat(pid).is_some_and(|(_, ppid)| ppid == me))
        .collect();
    let mut seen: BTreeSet<i32> = first.iter().copied().collect();
    signal_all(&first, Signal::SIGTERM);
    wait_gone(&first, grace);
    for _ in 0..5 {
        let rest = tagged_processes(instance, agent);
        if rest.is_empty() {
            break;
        }
        seen.extend(&rest);
        signal_all(&rest, Signal::SIGKILL);
        wait_gone(&rest, KILL_WAIT);
    }
    for &pid in seen.difference(&ours_before) {
        if proc_stat(pid) == Some((b'Z', me)) {
            let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
        }
    }
    seen.len()
}

/// Reaps our zombie children that `keep` does not protect and returns how
/// many were reaped.
///
/// Finds children by scanning proc(5) `/proc/<pid>/stat` for field 4 (ppid)
/// equal to our pid and field 3 (state) `Z`. (The `/proc/<pid>/task/<tid>/
/// children` files need `CONFIG_PROC_CHILDREN` and list per thread, so the
/// scan is used.) Each one with `!keep(pid)` gets waitpid(2) with `WNOHANG`,
/// which never blocks. Pass a `keep` that is true for every child whose
/// exit status someone else waits for (the agent processes): a pid it
/// protects is never waited on. Errors (e.g. `ECHILD` when another waiter
/// won) are ignored; never panics.
pub fn reap_orphans(keep: &dyn Fn(i32) -> bool) -> usize {
    let me = getpid().as_raw();
    proc_pids()
        .filter(|&pid| proc_stat(pid) == Some((b'Z', me)) && !keep(pid))
        .filter(|&pid| {
            matches!(
                waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)),
                Ok(status) if status != WaitStatus::StillAlive
            )
        })
        .count()
}

/// The numeric entries of `/proc` (thread-group ids), empty without `/proc`.
fn proc_pids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid > 0)
}

/// Whether a NUL-separated environment block has `NOX_INSTANCE=<instance>`
/// and, when given, `NOX_AGENT=<agent>` as exact entries.
fn has_tags(environ: &[u8], instance: &str, agent: Option<&str>) -> bool {
    let has = |key: &str, value: &str| {
        environ.split(|&b| b == 0).any(|entry| {
            entry.len() == key.len() + 1 + value.len()
                && entry.starts_with(key.as_bytes())
                && entry[key.len()] == b'='
                && entry.ends_with(value.as_bytes())
        })
    };
    has(INSTANCE_ENV, instance) && agent.is_none_or(|a| has(AGENT_ENV, a))
}

/// `(state, ppid)` from `/proc/<pid>/stat`, `None` if unreadable or gone.
fn proc_stat(pid: i32) -> Option<(u8, i32)> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// `(state, ppid)` from a proc(5) stat line `pid (comm) state ppid ...`;
/// `comm` may hold spaces and parentheses, so parsing starts after the last
/// `)`.
fn parse_stat(line: &str) -> Option<(u8, i32)> {
    let mut fields = line.get(line.rfind(')')? + 1..)?.split_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// Sends `signal` to each pid, ignoring errors (`ESRCH`: already gone).
fn signal_all(pids: &[i32], signal: Signal) {
    for &pid in pids {
        let _ = kill(Pid::from_raw(pid), signal);
    }
}

/// Waits up to `timeout` until every pid is absent or a zombie.
fn wait_gone(pids: &[i32], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let gone = |pid: i32| proc_stat(pid).is_none_or(|(state, _)| matches!(state, b'Z' | b'X'));
    while !pids.iter().all(|&pid| gone(pid)) && Instant::now() < deadline {
        std::thread::sleep(POLL_INTERVAL);
    }
}

#[cfg(test)]
mod tests;
