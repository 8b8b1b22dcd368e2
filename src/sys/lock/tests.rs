//! Tests for `FileLock` and `is_locked`: creation mode, conflicts between
//! open file descriptions, timeouts, release on drop and on process death.

use super::{FileLock, is_locked};
use crate::sys::testutil::{helper_arg, spawn_helper, wait_for};
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

#[test]
fn exclusive_creates_lock_file_0600() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nox.lock");
    let lock = FileLock::exclusive(&path, Duration::from_secs(1)).expect("lock");
    assert_eq!(lock.path(), path);
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn second_open_sees_lock_and_drop_releases_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nox.lock");
    let first = FileLock::try_exclusive(&path)
        .expect("try")
        .expect("free at first");
    assert!(FileLock::try_exclusive(&path).expect("try again").is_none());
    assert!(is_locked(&path).expect("probe"));
    drop(first);
    assert!(!is_locked(&path).expect("probe after drop"));
    assert!(
        FileLock::try_exclusive(&path)
            .expect("try after drop")
            .is_some()
    );
}

#[test]
fn probes_do_not_disturb_each_other_or_the_holder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nox.lock");
    let _held = FileLock::try_exclusive(&path).expect("try").expect("free");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    assert!(is_locked(&path).expect("probe"));
                }
            });
        }
    });
    assert!(FileLock::try_exclusive(&path).expect("try").is_none());
}

#[test]
fn is_locked_on_missing_file_is_false_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("absent.lock");
    assert!(!is_locked(&path).expect("probe"));
    assert!(!path.exists());
}

#[test]
fn exclusive_times_out_with_would_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nox.lock");
    let _held = FileLock::try_exclusive(&path).expect("try").expect("free");
    let start = Instant::now();
    let err = FileLock::exclusive(&path, Duration::from_millis(60)).expect_err("held");
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert!(
        err.to_string().contains("nox.lock"),
        "names the path: {err}"
    );
    let err = FileLock::exclusive(&path, Duration::ZERO).expect_err("held, one attempt");
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
}

#[test]
fn exclusive_waits_for_release() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nox.lock");
    let held = FileLock::try_exclusive(&path).expect("try").expect("free");
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(80));
        drop(held);
    });
    let lock = FileLock::exclusive(&path, Duration::from_secs(10)).expect("acquired after release");
    releaser.join().expect("releaser");
    drop(lock);
}

#[test]
fn missing_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = FileLock::try_exclusive(&dir.path().join("no/such.lock")).expect_err("no dir");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

/// Helper process for `lock_held_by_another_process_is_released_on_its_death`:
/// takes the lock named by its argument, writes `<arg>.ready`, then holds it
/// for at most 20 s.
#[test]
fn hold_helper() {
    let Some(path) = helper_arg("sys::lock::tests::hold_helper") else {
        return;
    };
    let _lock = FileLock::exclusive(&path, Duration::from_secs(5)).expect("helper lock");
    std::fs::write(path.with_extension("ready"), b"").expect("ready file");
    std::thread::sleep(Duration::from_secs(20));
}

#[test]
fn lock_held_by_another_process_is_released_on_its_death() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nox.lock");
    let mut child = spawn_helper("sys::lock::tests::hold_helper", &path);
    let ready = path.with_extension("ready");
    assert!(
        wait_for(Duration::from_secs(10), || ready.exists()),
        "helper locked"
    );
    assert!(is_locked(&path).expect("probe"));
    assert!(FileLock::try_exclusive(&path).expect("try").is_none());
    let err = FileLock::exclusive(&path, Duration::from_millis(30)).expect_err("held");
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    child.kill().expect("SIGKILL helper");
    child.wait().expect("reap helper");
    assert!(!is_locked(&path).expect("probe after death"));
    assert!(FileLock::try_exclusive(&path).expect("try").is_some());
}
