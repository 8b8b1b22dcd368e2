//! Same-run baselines against another nox binary: set
//! `NOX_BENCH_BASELINE_BIN=/path/to/nox` (e.g. a build of the previous
//! release) and the ingest and dispatch benches also measure it, in the same
//! run, through the same steps, and print the ratio.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::Running;

/// The baseline binary, when one is given.
pub fn binary() -> Option<PathBuf> {
    std::env::var_os("NOX_BENCH_BASELINE_BIN")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}

/// Seconds for `bin`'s dashboard to show an agent that `cat`s `file`
/// until the agent touches `done`.
pub fn dashboard_run(bin: &Path, ws: &Path, file: &Path) -> f64 {
    let done = ws.join("DONE");
    crate::write_workspace(
        ws,
        &format!(
            "[[agent]]\nname = \"flood\"\ncommand = \"sh\"\nargs = [\"-c\", \"cat {}; touch {}; exec sleep 1000\"]\n",
            file.display(),
            done.display()
        ),
    );
    let t0 = Instant::now();
    let nox = Running::start_bin(bin, ws, 24, 80);
    assert!(
        crate::wait_file(&done, Duration::from_secs(180)),
        "dashboard run did not finish"
    );
    let secs = t0.elapsed().as_secs_f64();
    drop(nox);
    secs
}

/// `GET path` on the workspace's control socket (both versions serve it).
fn get(ws: &Path, path: &str) -> serde_json::Value {
    nox::client::request(
        &ws.join(".nox/nox.sock"),
        "GET",
        path,
        &[],
        None,
        Duration::from_secs(5),
    )
    .ok()
    .and_then(|(_, body)| serde_json::from_str(&body).ok())
    .unwrap_or(serde_json::Value::Null)
}

/// `nox task add` → the prompt's bytes in the agent's PTY, through `bin`'s
/// own dashboard and CLI: latencies in ms of `samples` tasks.
pub fn cli_dispatch(bin: &Path, ws: &Path, samples: usize) -> Vec<f64> {
    crate::write_workspace(
        ws,
        "[[agent]]\nname = \"sink\"\ncommand = \"bash\"\nargs = [\"--norc\", \"--noprofile\", \"-i\"]\nenv = { PS1 = \"ready> \" }\nready_pattern = 'ready>\\s*$'\n",
    );
    let _nox = Running::start_bin(bin, ws, 24, 80);
    let log = ws.join(".nox/logs/agents/sink.log");
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut out = Vec::new();
    for i in 0..samples {
        let t_idle = Instant::now();
        loop {
            let agents = get(ws, "/api/agents");
            let tasks = get(ws, "/api/tasks");
            let idle = agents[0]["status"] == "idle";
            let open = tasks.as_array().is_some_and(|t| {
                t.iter()
                    .any(|t| !matches!(t["status"].as_str(), Some("done" | "failed" | "cancelled")))
            });
            if idle && !open {
                break;
            }
            assert!(
                t_idle.elapsed() < Duration::from_secs(30),
                "agent never idle"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let before = len(&log);
        let watch = log.clone();
        let seen = std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(10);
            while len(&watch) == before && Instant::now() < end {
                std::thread::sleep(Duration::from_micros(50));
            }
            Instant::now()
        });
        let t0 = Instant::now();
        let st = Command::new(bin)
            .args([
                "task",
                "add",
                &format!("t{i}"),
                "--body",
                &format!("echo sample {i}"),
            ])
            .current_dir(ws)
            .output()
            .expect("nox task add");
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let t1 = seen.join().expect("poller");
        assert!(len(&log) != before, "no delivery");
        out.push(t1.saturating_duration_since(t0).as_secs_f64() * 1000.0);
    }
    out
}
