//! Test support for `sys`: re-running this test binary as a helper process,
//! and polling for a condition.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable naming the helper test a child process should act as.
const HELPER_ENV: &str = "NOX_SYS_TEST_HELPER";
/// The variable carrying the helper's one argument (a path).
const ARG_ENV: &str = "NOX_SYS_TEST_ARG";

/// Runs the test `name` (full path, e.g. `sys::lock::tests::hold_helper`)
/// in a new process of this test binary, with `arg` for [`helper_arg`].
pub(crate) fn spawn_helper(name: &str, arg: &Path) -> Child {
    Command::new(std::env::current_exe().expect("test binary path"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(HELPER_ENV, name)
        .env(ARG_ENV, arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn helper process")
}

/// In a helper test: its argument when this process was started by
/// [`spawn_helper`] for `name`, else `None` (the ordinary test run, where
/// the helper test does nothing).
pub(crate) fn helper_arg(name: &str) -> Option<std::path::PathBuf> {
    if std::env::var_os(HELPER_ENV)? != *name {
        return None;
    }
    std::env::var_os(ARG_ENV).map(Into::into)
}

/// Polls `cond` every 5 ms until it holds (true) or `timeout` passes (false).
pub(crate) fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
