//! Tests for the reaper: tag matching, stat parsing, and real processes
//! found, killed (SIGTERM, then SIGKILL) and reaped. Each test uses its own
//! instance id so parallel tests never see each other's processes, and
//! passes a `keep` that protects every pid but its own.

use super::{
    AGENT_ENV, INSTANCE_ENV, become_subreaper, has_tags, kill_tagged, parse_stat, proc_stat,
    reap_orphans, tagged_processes,
};
use crate::sys::testutil::wait_for;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(10);

/// An instance id unique to this test process and test.
fn instance(test: &str) -> String {
    format!("test-{}-{test}", std::process::id())
}

/// `sh -c script` tagged with `instance` and `agent`; `$1` is `arg`.
fn tagged_sh(script: &str, arg: &Path, instance: &str, agent: &str) -> Child {
    Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(arg)
        .env(INSTANCE_ENV, instance)
        .env(AGENT_ENV, agent)
        .spawn()
        .expect("spawn sh")
}

/// Waits for `file` to hold a pid and returns it.
fn read_pid(file: &Path) -> i32 {
    let mut pid = None;
    let found = wait_for(LONG, || {
        pid = std::fs::read_to_string(file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        pid.is_some()
    });
    assert!(found, "pid written to {}", file.display());
    pid.expect("pid")
}

fn my_pid() -> i32 {
    std::process::id() as i32
}

/// Tests that reap this process's zombies run one at a time: one test's
/// reaping would take another's zombie (all run in one process).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn tags_match_exact_entries_only() {
    let env = b"HOME=/h\0NOX_INSTANCE=abc\0NOX_AGENT=worker\0";
    assert!(has_tags(env, "abc", None));
    assert!(has_tags(env, "abc", Some("worker")));
    assert!(!has_tags(env, "ab", None));
    assert!(!has_tags(env, "abcd", None));
    assert!(!has_tags(env, "abc", Some("work")));
    assert!(!has_tags(b"XNOX_INSTANCE=abc\0", "abc", None));
    assert!(!has_tags(b"", "abc", None));
}

#[test]
fn stat_parsing_survives_odd_comm() {
    assert_eq!(parse_stat("42 (sleep) S 7 42 42 0 -1"), Some((b'S', 7)));
    assert_eq!(parse_stat("42 (a b) (c)) Z 1 0"), Some((b'Z', 1)));
    assert_eq!(parse_stat("garbage"), None);
    let parent = std::os::unix::process::parent_id() as i32;
    assert_eq!(proc_stat(my_pid()).map(|(_, ppid)| ppid), Some(parent));
}

#[test]
fn unknown_instance_finds_nothing_and_kills_nothing() {
    let id = instance("nobody");
    assert!(tagged_processes(&id, None).is_empty());
    assert_eq!(kill_tagged(&id, None, Duration::ZERO), 0);
}

#[test]
fn finds_kills_and_reaps_a_daemonized_grandchild() {
    let _one = serial();
    become_subreaper().expect("subreaper");
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("pid");
    let id = instance("grandchild");
    let mut sh = tagged_sh("setsid sleep 300 & echo $! > \"$1\"", &pidfile, &id, "t");
    assert!(sh.wait().expect("wait sh").success());
    let pid = read_pid(&pidfile);
    // The shell is gone: the subreaper attribute made its orphan ours.
    assert!(wait_for(LONG, || proc_stat(pid)
        .is_some_and(|(_, ppid)| ppid == my_pid())));
    assert!(wait_for(LONG, || tagged_processes(&id, None) == [pid]));
    assert_eq!(tagged_processes(&id, Some("t")), [pid]);
    assert!(tagged_processes(&id, Some("other")).is_empty());

    assert_eq!(kill_tagged(&id, Some("t"), LONG), 1);
    assert!(tagged_processes(&id, None).is_empty());
    // It was our child before the kill, so kill_tagged left its zombie
    // (once the kernel has finished the exit) for reap_orphans.
    assert!(wait_for(LONG, || proc_stat(pid) == Some((b'Z', my_pid()))));
    assert_eq!(reap_orphans(&|p| p != pid), 1);
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
}

#[test]
fn kill_tagged_filters_by_agent_and_leaves_direct_children_to_their_waiter() {
    let _one = serial();
    let id = instance("direct");
    let spawn = |agent: &str| {
        Command::new("sleep")
            .arg("300")
            .env(INSTANCE_ENV, &id)
            .env(AGENT_ENV, agent)
            .spawn()
            .expect("spawn sleep")
    };
    let (mut a, mut b) = (spawn("a"), spawn("b"));
    let (pa, pb) = (a.id() as i32, b.id() as i32);
    assert!(wait_for(LONG, || tagged_processes(&id, None).len() == 2));
    assert_eq!(tagged_processes(&id, Some("a")), [pa]);

    assert_eq!(kill_tagged(&id, Some("a"), LONG), 1);
    assert_eq!(a.wait().expect("wait a").signal(), Some(libc::SIGTERM));
    assert_eq!(tagged_processes(&id, None), [pb]);
    assert_eq!(kill_tagged(&id, None, LONG), 1);
    assert_eq!(b.wait().expect("wait b").signal(), Some(libc::SIGTERM));
}

#[test]
fn kill_tagged_escalates_to_sigkill_and_reaps_new_orphans() {
    let _one = serial();
    become_subreaper().expect("subreaper");
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("pid");
    let id = instance("stubborn");
    let script = "trap '' TERM; sleep 300 & echo $! > \"$1\"; wait";
    let mut sh = tagged_sh(script, &pidfile, &id, "t");
    let inner = read_pid(&pidfile);
    assert!(wait_for(LONG, || tagged_processes(&id, None).len() == 2));

    assert_eq!(kill_tagged(&id, None, Duration::from_millis(100)), 2);
    assert_eq!(sh.wait().expect("wait sh").signal(), Some(libc::SIGKILL));
    // `sleep` was sh's child at the first scan and was reparented to us as
    // sh died, so kill_tagged reaped it.
    assert!(wait_for(LONG, || !Path::new(&format!("/proc/{inner}")).exists()));
}

#[test]
fn reap_orphans_never_waits_on_kept_pids() {
    let _one = serial();
    let spawn = || {
        Command::new("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .expect("spawn sh")
    };
    let (mut kept, reaped) = (spawn(), spawn());
    let (pk, pr) = (kept.id() as i32, reaped.id() as i32);
    let zombie = |pid| proc_stat(pid).is_some_and(|(s, _)| s == b'Z');
    assert!(wait_for(LONG, || zombie(pk) && zombie(pr)));

    assert_eq!(reap_orphans(&|p| p != pr), 1);
    assert!(!Path::new(&format!("/proc/{pr}")).exists());
    assert!(zombie(pk), "a kept pid is never waited on");
    assert_eq!(kept.wait().expect("wait kept").code(), Some(3));
    drop(reaped);
}
