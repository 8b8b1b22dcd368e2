//! One cgroup (v2) per agent, where one is writable: every process an agent
//! starts stays in its cgroup whatever it does (`setsid`, `nohup`, clearing
//! its environment), so stopping the agent ends all of them, and a nox that
//! was killed with SIGKILL leaves cgroups the next start of the same
//! workspace empties. Where no cgroup v2 hierarchy is mounted or nox may not
//! write to it, [`Cgroups::open`] says so and the environment tags of
//! [`super::reaper`] remain the only net.
//!
//! Rules from the kernel's cgroup-v2 documentation: a process joins a
//! cgroup by writing its pid (or `0`, itself) to `cgroup.procs`; children
//! inherit their parent's cgroup; writing `1` to `cgroup.kill` (Linux 5.14+)
//! SIGKILLs every process in the cgroup and its descendants; an empty
//! cgroup is removed with rmdir(2).

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The cgroups of one workspace: `<our cgroup>/<key>/<agent>`.
#[derive(Debug, Clone)]
pub struct Cgroups {
    root: PathBuf,
}

/// The cgroup v2 directory this process belongs to, if a cgroup v2
/// hierarchy is mounted (`/proc/self/mountinfo`, `/proc/self/cgroup`).
pub fn own_cgroup() -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        right
            .split_whitespace()
            .next()
            .filter(|t| *t == "cgroup2")?;
        left.split_whitespace().nth(4).map(PathBuf::from)
    })?;
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(mount.join(path.trim_start_matches('/')))
}

/// Joins the cgroup `dir` (this process and its future children): for the
/// pre-exec helper of an agent.
pub fn join(dir: &Path) -> io::Result<()> {
    std::fs::write(dir.join("cgroup.procs"), "0")
}

fn procs(dir: &Path) -> Vec<i32> {
    std::fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Kills every process in `dir` and removes it once empty; returns how
/// many processes there were. Waits up to 2 s for them to go.
fn kill_dir(dir: &Path) -> usize {
    let n = procs(dir).len();
    if n > 0 {
        if std::fs::write(dir.join("cgroup.kill"), "1").is_err() {
            for pid in procs(dir) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let end = Instant::now() + Duration::from_secs(2);
        while !procs(dir).is_empty() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = std::fs::remove_dir(dir);
    n
}

impl Cgroups {
    /// Opens (creating) the cgroup `key` under this process's own; `None`
    /// when there is no cgroup v2 hierarchy or it is not writable here.
    pub fn open(key: &str) -> Option<Self> {
        let root = own_cgroup()?.join(key);
        match std::fs::create_dir(&root) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(_) => return None,
        }
        // Writable for real: a probe cgroup can be made and removed.
        let probe = root.join(format!(".probe-{}", std::process::id()));
        std::fs::create_dir(&probe).ok()?;
        std::fs::remove_dir(&probe).ok()?;
        Some(Self { root })
    }

    /// The workspace's cgroup directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The cgroup of `agent` (created if missing): what its pre-exec
    /// helper joins.
    pub fn agent(&self, agent: &str) -> io::Result<PathBuf> {
        let dir = self.root.join(agent);
        match std::fs::create_dir(&dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(dir),
        }
    }

    /// Kills every process left in `agent`'s cgroup and removes it;
    /// returns how many there were. Blocks up to ~2 s.
    pub fn kill(&self, agent: &str) -> usize {
        kill_dir(&self.root.join(agent))
    }

    /// Empties and removes every agent cgroup under the root (left by a
    /// nox that was killed, or at shutdown); returns the processes killed.
    pub fn sweep(&self) -> usize {
        std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| kill_dir(&e.path()))
            .sum()
    }

    /// [`Cgroups::sweep`], then removes the root too.
    pub fn remove(&self) -> usize {
        let n = self.sweep();
        let _ = std::fs::remove_dir(&self.root);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cgroup_holds_what_its_member_starts_and_kill_ends_it() {
        let Some(cg) = Cgroups::open(&format!("nox-test-{}", std::process::id())) else {
            eprintln!("no writable cgroup v2 here: nothing to test");
            return;
        };
        let dir = cg.agent("a").expect("agent cgroup");
        let mut child = std::process::Command::new("sh")
            .args([
                "-c",
                &format!(
                    "echo 0 > {}/cgroup.procs; setsid sleep 300 & echo $!; wait",
                    dir.display()
                ),
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sh");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
            &mut line,
        )
        .expect("pid");
        let daemon: i32 = line.trim().parse().expect("pid");
        let end = Instant::now() + Duration::from_secs(5);
        while !procs(&dir).contains(&daemon) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            procs(&dir).contains(&daemon),
            "setsid did not leave the cgroup"
        );
        assert!(cg.kill("a") >= 1);
        let _ = child.wait();
        assert!(!dir.exists());
        assert!(cg.remove() == 0);
        assert!(!cg.root().exists());
    }
}
