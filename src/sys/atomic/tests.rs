//! Tests for `atomic_write`: replacement, permissions, symlinks, concurrent
//! writers and readers, and a writer killed with SIGKILL mid-stream.

use super::atomic_write;
use crate::sys::testutil::{helper_arg, spawn_helper, wait_for};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Version `n` of a test file: a header naming `n`, then a body whose length
/// depends on `n`, so a torn or mixed file is detectable.
fn version(n: u32) -> Vec<u8> {
    let mut v = format!("v{n}\n").into_bytes();
    v.extend(std::iter::repeat_n(
        b'a' + (n % 26) as u8,
        20_000 + (n as usize % 7) * 1000,
    ));
    v
}

/// Whether `bytes` is exactly some `version(n)`.
fn is_version(bytes: &[u8]) -> bool {
    let Some(end) = bytes.iter().position(|&b| b == b'\n') else {
        return false;
    };
    std::str::from_utf8(&bytes[1..end])
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .is_some_and(|n| bytes == version(n).as_slice())
}

#[test]
fn replaces_content_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.toml");
    fs::write(&path, "old").expect("write old");
    atomic_write(&path, b"new contents").expect("atomic_write");
    assert_eq!(fs::read(&path).expect("read"), b"new contents");
    assert_eq!(fs::read_dir(dir.path()).expect("read_dir").count(), 1);
}

#[test]
fn new_file_is_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fresh");
    atomic_write(&path, b"x").expect("atomic_write");
    let mode = fs::metadata(&path).expect("metadata").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn keeps_permissions_of_existing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.conf");
    fs::write(&path, "old").expect("write old");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
    atomic_write(&path, b"new").expect("atomic_write");
    let mode = fs::metadata(&path).expect("metadata").permissions().mode();
    assert_eq!(mode & 0o7777, 0o640);
}

#[test]
fn refuses_symlink_and_leaves_target_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("target");
    let link = dir.path().join("link");
    fs::write(&target, "original").expect("write target");
    symlink(&target, &link).expect("symlink");
    let err = atomic_write(&link, b"evil").expect_err("must refuse a symlink");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("link"),
        "error names the path: {err}"
    );
    assert_eq!(fs::read(&target).expect("read target"), b"original");
    assert!(
        fs::symlink_metadata(&link)
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_dir(dir.path()).expect("read_dir").count(), 2);
}

#[test]
fn missing_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = atomic_write(&dir.path().join("no/such/file"), b"x").expect_err("no dir");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn concurrent_writers_leave_one_complete_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("contended");
    atomic_write(&path, &version(999_999)).expect("initial");
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut reads = 0u32;
            while !done.load(Ordering::Relaxed) {
                let bytes = fs::read(&path).expect("reader never sees the file missing");
                assert!(
                    is_version(&bytes),
                    "reader saw a torn file ({} bytes)",
                    bytes.len()
                );
                reads += 1;
            }
            reads
        });
        let writers: Vec<_> = (0..8u32)
            .map(|t| {
                let path = &path;
                s.spawn(move || {
                    for j in 0..25 {
                        atomic_write(path, &version(t * 1000 + j)).expect("atomic_write");
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer thread");
        }
        done.store(true, Ordering::Relaxed);
        assert!(reader.join().expect("reader thread") > 0);
    });
    assert!(is_version(&fs::read(&path).expect("read")));
    let names: Vec<_> = fs::read_dir(dir.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["contended"], "no stray temporary files");
}

/// Helper process for `sigkill_mid_write_leaves_a_complete_version`: writes
/// versions to its argument as fast as it can, for at most 20 s, creating
/// `<arg>.started` after the first.
#[test]
fn writer_helper() {
    let Some(path) = helper_arg("sys::atomic::tests::writer_helper") else {
        return;
    };
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(20) {
        atomic_write(&path, &version(n)).expect("helper atomic_write");
        if n == 0 {
            fs::write(path.with_extension("started"), b"").expect("started marker");
        }
        n += 1;
    }
}

#[test]
fn sigkill_mid_write_leaves_a_complete_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("killed");
    let started = path.with_extension("started");
    for round in 0..3u64 {
        let _ = fs::remove_file(&started);
        let mut child = spawn_helper("sys::atomic::tests::writer_helper", &path);
        let writing = wait_for(Duration::from_secs(10), || started.exists());
        assert!(writing, "helper started writing");
        std::thread::sleep(Duration::from_millis(30 + 17 * round));
        child.kill().expect("SIGKILL helper");
        child.wait().expect("reap helper");
        let bytes = fs::read(&path).expect("file still there");
        assert!(
            is_version(&bytes),
            "round {round}: torn file ({} bytes)",
            bytes.len()
        );
    }
}
