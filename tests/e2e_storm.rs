//! The kill -9 storm: 30 random SIGKILLs of nox while tasks are added
//! through the CLI and task files are dropped in. Afterwards no
//! acknowledged task is lost, none is doubled, every task file still holds
//! its text, the store passes `integrity_check`, and no agent is left.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::support::{NoxPty, Ws, alive, eventually, kill, nox_bin, tasks};

/// A small deterministic generator (a 64-bit LCG): the storm is random but
/// reproducible from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// `nox task add TITLE --idempotency-key KEY`: Some(true) acknowledged,
/// Some(false) refused, None no answer (may or may not exist).
fn add(root: &std::path::Path, title: &str, key: &str) -> Option<bool> {
    let out = std::process::Command::new(nox_bin())
        .args([
            "task",
            "add",
            title,
            "--body",
            &format!("echo {title}"),
            "--idempotency-key",
            key,
        ])
        .current_dir(root)
        .env("NOX_ANSWER_WITHIN_MS", "2000")
        .output()
        .expect("nox");
    match out.status.code() {
        Some(0) => Some(true),
        Some(3) => None,
        _ => Some(false),
    }
}

#[test]
fn thirty_kills_lose_nothing_acknowledged_and_double_nothing() {
    let seed = 0x6e6f_785f_7374_6f72;
    let mut rng = Lcg(seed);
    let ws = Ws::new(
        r#"
[[agent]]
name = "sh"
command = "sh"
args = ["-c", "echo $$ >> agents.pids; exec bash --norc --noprofile -i"]
env = { PS1 = "ready> " }
ready_pattern = 'ready>\s*$'
"#,
    );
    std::fs::create_dir_all(ws.file(".nox/tasks")).expect("tasks dir");
    // title → acknowledged (true) or unknown (false: no answer).
    let cli: Arc<Mutex<BTreeMap<String, bool>>> = Arc::default();
    let mut files: BTreeMap<std::path::PathBuf, String> = BTreeMap::new();
    for round in 0..30 {
        // The window between a task file's import and its id written back
        // is widened, so kills land in it (a re-import would double it).
        let nox = NoxPty::start_with_env(
            &ws,
            &[],
            30,
            120,
            &[("NOX_DEBUG_WRITEBACK_DELAY_MS", "300")],
        );
        let pid = nox.pid();
        let adder = {
            let (cli, root) = (Arc::clone(&cli), ws.path().to_path_buf());
            let n = 1 + rng.next(3);
            std::thread::spawn(move || {
                for i in 0..n {
                    let title = format!("cli-{round}-{i}");
                    match add(&root, &title, &title) {
                        Some(true) => {
                            cli.lock().expect("cli").insert(title, true);
                        }
                        None => {
                            cli.lock().expect("cli").insert(title, false);
                        }
                        Some(false) => {}
                    }
                }
            })
        };
        for i in 0..rng.next(3) {
            let path = ws.file(&format!(".nox/tasks/file-{round}-{i}.md"));
            let text = format!(
                "+++\npriority = {i} # kept\n+++\n# file-{round}-{i}\n\necho file-{round}-{i}\n"
            );
            std::fs::write(&path, &text).expect("task file");
            files.insert(path, text);
        }
        std::thread::sleep(Duration::from_millis(50 + rng.next(700)));
        kill(pid, Signal::SIGKILL);
        adder.join().expect("adder");
        drop(nox);
    }
    // One more start: what was cut off is recovered, unanswered adds are
    // retried with their keys, every file is imported.
    let nox = NoxPty::start(&ws, &[], 30, 120);
    crate::support::wait_socket(ws.path(), 15);
    let unknown: Vec<String> = cli
        .lock()
        .expect("cli")
        .iter()
        .filter(|(_, a)| !**a)
        .map(|(t, _)| t.clone())
        .collect();
    for title in &unknown {
        assert_eq!(
            add(ws.path(), title, title),
            Some(true),
            "{title} with its key"
        );
    }
    let expected = cli.lock().expect("cli").len() + files.len();
    eventually("every task is in the store", 30, || {
        tasks(&ws).as_array().is_some_and(|a| a.len() >= expected)
    });
    let list = tasks(&ws);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for t in list.as_array().expect("tasks") {
        *counts
            .entry(t["title"].as_str().expect("title").to_string())
            .or_default() += 1;
    }
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        doubled.is_empty(),
        "duplicates: {doubled:?} (seed {seed:#x})"
    );
    for title in cli.lock().expect("cli").keys() {
        assert_eq!(
            counts.get(title),
            Some(&1),
            "acknowledged {title} lost (seed {seed:#x})"
        );
    }
    for (path, text) in &files {
        let now = std::fs::read_to_string(path).expect("task file");
        let title = text
            .lines()
            .find(|l| l.starts_with("# "))
            .expect("title")
            .trim_start_matches("# ");
        assert_eq!(
            counts.get(title),
            Some(&1),
            "{} imported once",
            path.display()
        );
        for line in text.lines().filter(|l| !l.starts_with("+++")) {
            assert!(
                now.contains(line),
                "{} lost {line:?}:\n{now}",
                path.display()
            );
        }
    }
    drop(nox);
    let store = nox::store::Store::open(&ws.file(".nox/nox.db")).expect("store");
    assert_eq!(store.integrity_check().expect("check"), "ok");
    let pids = std::fs::read_to_string(ws.file("agents.pids")).expect("pids");
    let start = Instant::now();
    for pid in pids.lines().filter_map(|p| p.trim().parse::<i32>().ok()) {
        eventually(&format!("agent {pid} gone"), 10, || !alive(pid));
    }
    eprintln!(
        "{} agents checked in {:?}",
        pids.lines().count(),
        start.elapsed()
    );
}
