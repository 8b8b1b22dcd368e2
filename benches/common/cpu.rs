//! CPU time and context switches of a process's threads, from
//! `/proc/PID/task/*/schedstat` (ns on the CPU, user and kernel together)
//! and `status`: what `benches/http.rs` uses to say where the time of a
//! request goes on a 2-core machine.

/// (CPU ns, voluntary + involuntary context switches) summed over `pid`'s
/// threads whose name (`comm`) starts with `prefix` (every thread when
/// `prefix` is empty). Threads that end between two readings drop out of
/// the difference.
pub fn threads(pid: u32, prefix: &str) -> (u64, u64) {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return (0, 0);
    };
    let mut total = (0, 0);
    for e in dir.flatten() {
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        total.0 += std::fs::read_to_string(e.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        total.1 += std::fs::read_to_string(e.path().join("status"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("ctxt_switches"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    total
}
