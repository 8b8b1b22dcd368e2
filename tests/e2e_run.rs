//! `nox run PLAN.toml` end to end: located plan errors (exit 2), generic
//! and real Claude Code plans with dependencies (exit 0, the JSON report,
//! a `JUnit` file read back by quick-junit's deserializer), failing plans
//! (an agent that reaches `failed`, `--timeout`; exit 1, the failures in
//! the `JUnit` file), the `--workspace` rule, SIGTERM, the README's CI plan;
//! and after each run no process left in the workspace and no temporary
//! workspace left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quick_junit::{NonSuccessKind, TestCaseStatus};
use serde_json::Value;

use crate::support::nox_bin;

/// A finished `nox run`.
struct Ran {
    code: Option<i32>,
    stderr: String,
    report: Value,
    junit: Option<quick_junit::Report>,
    dir: tempfile::TempDir,
}

impl Ran {
    fn task(&self, key: &str) -> &Value {
        self.report["tasks"]
            .as_array()
            .and_then(|a| a.iter().find(|t| t["key"] == key))
            .unwrap_or_else(|| panic!("no task {key} in {}", self.report))
    }

    fn case(&self, key: &str) -> &quick_junit::TestCase {
        let junit = self.junit.as_ref().expect("a JUnit file");
        junit.test_suites[0]
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == key)
            .unwrap_or_else(|| panic!("no testcase {key}"))
    }
}

/// A directory holding `files` (the plan is `plan.toml`), and its TMPDIR
/// (where the run's temporary workspace goes).
fn plan_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    std::fs::create_dir_all(dir.path().join("tmp")).expect("tmp");
    std::fs::create_dir_all(dir.path().join("home")).expect("home");
    dir
}

/// `nox run` in `dir` with TMPDIR and HOME inside it; gives up after `secs`.
fn command(dir: &Path, args: &[&str], path: Option<&Path>) -> Command {
    let mut cmd = Command::new(nox_bin());
    cmd.arg("run")
        .args(args)
        .current_dir(dir)
        .env("TMPDIR", dir.join("tmp"))
        .env("HOME", dir.join("home"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(p) = path {
        let old = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![p.to_path_buf()];
        paths.extend(std::env::split_paths(&old));
        cmd.env("PATH", std::env::join_paths(paths).expect("PATH"));
    }
    cmd
}

fn wait(mut child: std::process::Child, secs: u64) -> (Option<i32>, String) {
    use std::io::Read;
    let end = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            panic!("nox run did not end within {secs}s:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
    (status.code(), err)
}

/// Runs the plan of `dir` with `--report` and `--junit` and `extra`
/// arguments; checks that nothing is left behind.
fn run_plan(dir: tempfile::TempDir, extra: &[&str], path: Option<&Path>, secs: u64) -> Ran {
    let mut args = vec!["plan.toml", "--report", "r.json", "--junit", "r.xml"];
    args.extend_from_slice(extra);
    let child = command(dir.path(), &args, path).spawn().expect("nox run");
    let (code, stderr) = wait(child, secs);
    finish(dir, code, stderr)
}

fn finish(dir: tempfile::TempDir, code: Option<i32>, stderr: String) -> Ran {
    let text = std::fs::read_to_string(dir.path().join("r.json"))
        .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{stderr}"));
    let report: Value = serde_json::from_str(&text).expect("the report is JSON");
    let junit = std::fs::read_to_string(dir.path().join("r.xml"))
        .ok()
        .map(|x| quick_junit::Report::deserialize_from_str(&x).expect("the JUnit file parses"));
    let ws = report["workspace"].as_str().expect("workspace").to_string();
    assert_nothing_left(&PathBuf::from(&ws));
    if report["temporary_workspace"] == true {
        assert!(
            !Path::new(&ws).exists(),
            "the temporary workspace {ws} is still there"
        );
        assert!(
            ws.starts_with(&dir.path().join("tmp").display().to_string()),
            "{ws}"
        );
    }
    Ran {
        code,
        stderr,
        report,
        junit,
        dir,
    }
}

/// No process has its working directory in `ws` (agents and whatever they started).
fn assert_nothing_left(ws: &Path) {
    let ws = ws.display().to_string();
    let left = || {
        std::fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
            .filter_map(|e| {
                let cwd = std::fs::read_link(e.path().join("cwd")).ok()?;
                let pid: i32 = e.file_name().to_string_lossy().parse().ok()?;
                (cwd.display().to_string().starts_with(&ws) && crate::support::alive(pid))
                    .then(|| format!("{pid} in {}", cwd.display()))
            })
            .collect::<Vec<_>>()
    };
    let end = Instant::now() + Duration::from_secs(3);
    while !left().is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(left().is_empty(), "processes left in {ws}: {:?}", left());
}

fn located(src: &str, want: &str, message: &str) {
    let dir = plan_dir(&[("plan.toml", src)]);
    let out = command(dir.path(), &["plan.toml", "--junit", "r.xml"], None)
        .output()
        .expect("nox run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let at = format!("{}:{want}:", dir.path().join("plan.toml").display());
    assert!(
        err.contains(&at) && err.contains(message),
        "want {at} {message:?} in:\n{err}"
    );
    assert!(
        !dir.path().join("r.xml").exists(),
        "no report for a bad plan"
    );
    let tmp: Vec<_> = std::fs::read_dir(dir.path().join("tmp"))
        .expect("tmp")
        .collect();
    assert!(tmp.is_empty(), "a bad plan makes no workspace");
}

const SH: &str = crate::support::BASH_SH;

#[test]
fn plan_errors_name_file_line_and_column_and_exit_2() {
    let task = "\n[[task]]\nkey = \"build\"\n";
    // SH starts with a blank line: its name is on line 3, [[task]] on line 9.
    located(&format!("{SH}{task}colour = 1\n"), "11:1", "colour");
    located(
        &format!("{SH}{task}after = [\"nope\"]\n"),
        "11:10",
        "no task with key \"nope\"",
    );
    located(
        &format!("{SH}{task}assign = \"ghost\"\n"),
        "11:10",
        "no agent named \"ghost\"",
    );
    located(
        &format!("{SH}{task}after = [\"test\"]\n[[task]]\nkey = \"test\"\nafter = [\"build\"]\n"),
        "11:10",
        "cycle: build → test → build",
    );
    located(
        &format!("{}{task}", SH.replace("name = \"sh\"", "name = \"Sh!\"")),
        "3:8",
        "invalid agent name",
    );
    located(
        &format!("{SH}{task}[[policy]]\ndecision = \"maybe\"\n"),
        "12:12",
        "maybe",
    );
}

#[test]
fn a_generic_plan_with_a_dependency_exits_0_with_both_reports() {
    let plan = format!(
        "{SH}\n[[task]]\nkey = \"test\"\ntitle = \"Check the build\"\nbody = \"cat out.txt\"\nafter = [\"build\"]\n\n\
         [[task]]\nkey = \"build\"\nbody = \"echo built > out.txt; echo result-$((6*7))\"\n"
    );
    let ran = run_plan(plan_dir(&[("plan.toml", &plan)]), &[], None, 60);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let r = &ran.report;
    assert_eq!(r["totals"]["tasks"], 2, "{r}");
    assert_eq!(r["totals"]["done"], 2, "{r}");
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["ended_by"], "all tasks ended");
    // Created in dependency order: build first.
    assert_eq!(r["tasks"][0]["key"], "build");
    let build = ran.task("build");
    assert_eq!(build["id"], 1);
    assert_eq!(build["status"], "done");
    assert_eq!(build["agent"], "sh");
    assert_eq!(build["attempts"], 1);
    assert!(
        build["duration_secs"].as_f64().is_some_and(|d| d > 0.0),
        "{build}"
    );
    assert_eq!(build["result"], "result-42");
    assert_eq!(build["files_changed"][0]["path"], "out.txt", "{build}");
    assert_eq!(build["files_changed"][0]["change"], "added");
    let test = ran.task("test");
    assert_eq!(
        (test["id"].as_u64(), &test["title"]),
        (Some(2), &Value::from("Check the build"))
    );
    assert_eq!(test["result"], "built");
    assert_eq!(r["agents"][0]["name"], "sh");
    assert_eq!(r["agents"][0]["restarts"], 0);
    let junit = ran.junit.as_ref().expect("junit");
    assert_eq!(junit.test_suites.len(), 1);
    assert_eq!(junit.test_suites[0].test_cases.len(), 2);
    let case = ran.case("build");
    assert_eq!(
        case.classname.as_ref().map(quick_junit::XmlString::as_str),
        Some("sh")
    );
    assert!(matches!(case.status, TestCaseStatus::Success { .. }));
    assert!(
        case.system_out
            .as_ref()
            .is_some_and(|o| o.as_str().contains("result-42"))
    );
    // Progress: one line per transition, with the time, plain text.
    assert!(
        ran.stderr
            .contains("s] task build (#1) assigned → running on sh"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("s] task test (#2) blocked → queued"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains('\x1b'), "{}", ran.stderr);
}

/// Starts a process that leaves the agent's process tree and session (it
/// survives its agent's end unless nox ends it), in the workspace.
const DAEMON: &str = "setsid sleep 120 </dev/null >/dev/null 2>&1 &";

#[test]
fn an_agent_that_fails_and_a_timeout_fail_the_run_with_reasons() {
    let plan = format!(
        "{SH}\n[[agent]]\nname = \"ghost\"\ncommand = \"/nonexistent/ghost\"\nmax_restarts = 0\n\n\
         [[task]]\nkey = \"haunt\"\nassign = \"ghost\"\n\n\
         [[task]]\nkey = \"later\"\nassign = \"sh\"\nafter = [\"haunt\"]\n\n\
         [[task]]\nkey = \"slow\"\nassign = \"sh\"\nbody = \"{DAEMON} sleep 60\"\n"
    );
    let ran = run_plan(
        plan_dir(&[("plan.toml", &plan)]),
        &["--timeout", "10"],
        None,
        60,
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let haunt = ran.task("haunt");
    assert_eq!(haunt["status"], "cancelled");
    assert!(
        haunt["reason"]
            .as_str()
            .is_some_and(|r| r.contains("agent ghost failed")),
        "{haunt}"
    );
    let later = ran.task("later");
    assert_eq!(later["status"], "cancelled");
    assert!(
        later["reason"]
            .as_str()
            .is_some_and(|r| r.contains("dependency task haunt")),
        "{later}"
    );
    assert_eq!(ran.task("slow")["status"], "timed_out");
    assert_eq!(ran.report["totals"]["timed_out"], 1);
    assert_eq!(ran.report["ended_by"], "timeout after 10s");
    let ghost = &ran.report["agents"][1];
    assert_eq!(
        (&ghost["name"], &ghost["status"]),
        (&Value::from("ghost"), &Value::from("failed"))
    );
    for (key, ty, words) in [
        ("haunt", "cancelled", "cannot start"),
        ("slow", "timed_out", "timed out after 10s"),
    ] {
        let TestCaseStatus::NonSuccess {
            kind,
            message,
            ty: t,
            ..
        } = &ran.case(key).status
        else {
            panic!("{key} is not a failure");
        };
        assert_eq!(*kind, NonSuccessKind::Failure);
        assert_eq!(t.as_ref().map(quick_junit::XmlString::as_str), Some(ty));
        assert!(
            message.as_ref().is_some_and(|m| m.as_str().contains(words)),
            "{key}: {message:?}"
        );
    }
    // The screen of the agent that held the timed-out task.
    let out = ran.case("slow").system_out.as_ref().expect("system-out");
    assert!(out.as_str().contains("sleep 60"), "{}", out.as_str());
}

#[test]
fn sigterm_stops_the_run_and_writes_what_is_known() {
    let plan = format!("{SH}\n[[task]]\nkey = \"slow\"\nbody = \"sleep 60\"\n");
    let dir = plan_dir(&[("plan.toml", &plan)]);
    let child = command(
        dir.path(),
        &["plan.toml", "--report", "r.json", "--junit", "r.xml"],
        None,
    )
    .spawn()
    .expect("nox run");
    // Wait until the task runs (the progress shows it), then SIGTERM.
    let pid = child.id() as i32;
    std::thread::sleep(Duration::from_secs(4));
    crate::support::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let (code, stderr) = wait(child, 30);
    let ran = finish(dir, code, stderr);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert_eq!(ran.report["ended_by"], "SIGTERM");
    let slow = ran.task("slow");
    assert_eq!(slow["status"], "cancelled");
    assert!(
        slow["reason"]
            .as_str()
            .is_some_and(|r| r.contains("interrupted by SIGTERM")),
        "{slow}"
    );
}

#[test]
fn with_workspace_the_plan_writes_its_agents_once_and_refuses_others() {
    let plan = format!(
        "{SH}\n[[task]]\nkey = \"one\"\nbody = \"echo one\"\n[[task]]\nkey = \"two\"\nbody = \"echo two\"\nafter = [\"one\"]\n"
    );
    let dir = plan_dir(&[
        ("plan.toml", &plan),
        (
            "other.toml",
            &format!("{SH}\n[[agent]]\nname = \"b\"\ncommand = \"sh\"\n[[task]]\nkey = \"x\"\n"),
        ),
    ]);
    for round in 0..2 {
        let child = command(dir.path(), &["plan.toml", "--workspace", "w"], None)
            .spawn()
            .expect("nox run");
        let (code, err) = wait(child, 60);
        assert_eq!(code, Some(0), "round {round}: {err}");
        assert_nothing_left(&dir.path().join("w"));
    }
    let toml = std::fs::read_to_string(dir.path().join("w/.nox/nox.toml")).expect("nox.toml");
    assert!(
        toml.contains("name = \"sh\"") && !toml.contains("[[task]]"),
        "{toml}"
    );
    // The store keeps both runs' tasks: created by `plan`, `after` by id.
    let out = Command::new(nox_bin())
        .args(["task", "show", "4", "--json", "--workspace", "w"])
        .current_dir(dir.path())
        .output()
        .expect("nox task show");
    let t: Value = serde_json::from_slice(&out.stdout).expect("json");
    let t = if t["task"].is_object() {
        &t["task"]
    } else {
        &t
    };
    assert_eq!(t["created_by"], "plan", "{t}");
    assert_eq!(t["after"][0], 3, "{t}");
    let out = command(dir.path(), &["other.toml", "--workspace", "w"], None)
        .output()
        .expect("nox run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("defines other agents than the plan"));
}

/// A directory with `claude` (the pinned Claude Code) in it, for PATH.
fn claude_on_path(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(crate::e2e_claude::claude_bin(), bin.join("claude"))
        .expect("symlink");
    bin
}

fn claude_agent(name: &str, script: &str) -> String {
    format!(
        "[[agent]]\nname = \"{name}\"\nkind = \"claude\"\nmodel_script = \"{script}\"\npermission_mode = \"acceptEdits\"\n\n"
    )
}

const WRITER: &str = "[[turn]]\n[[turn.step]]\ntext = \"Writing it.\"\ntool = \"Write\"\n\
    input = { file_path = \"{cwd}/hello.txt\", content = \"hello\\n\" }\n[[turn.step]]\ntext = \"Wrote hello.txt.\"\n";
const REVIEWER: &str = "[[turn]]\n[[turn.step]]\ntext = \"hello.txt looks right.\"\n";

#[test]
fn claude_code_agents_run_a_plan_with_a_dependency() {
    let plan = format!(
        "{}{}[[task]]\nkey = \"review\"\ntitle = \"Review hello.txt\"\nassign = \"reviewer\"\nafter = [\"write\"]\n\n\
         [[task]]\nkey = \"write\"\ntitle = \"Write hello.txt\"\nassign = \"writer\"\n",
        claude_agent("writer", "writer.toml"),
        claude_agent("reviewer", "reviewer.toml")
    );
    let dir = plan_dir(&[
        ("plan.toml", &plan),
        ("writer.toml", WRITER),
        ("reviewer.toml", REVIEWER),
    ]);
    let bin = claude_on_path(dir.path());
    let ran = run_plan(dir, &["--timeout", "240"], Some(&bin), 300);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let write = ran.task("write");
    assert_eq!(
        (&write["status"], &write["agent"]),
        (&Value::from("done"), &Value::from("writer"))
    );
    assert_eq!(write["result"], "Wrote hello.txt.");
    assert_eq!(write["files_changed"][0]["path"], "hello.txt", "{write}");
    let review = ran.task("review");
    assert_eq!(
        (&review["status"], &review["agent"]),
        (&Value::from("done"), &Value::from("reviewer"))
    );
    assert_eq!(review["result"], "hello.txt looks right.");
    assert_eq!(ran.report["totals"]["done"], 2);
    let cases = &ran.junit.as_ref().expect("junit").test_suites[0].test_cases;
    assert_eq!(cases.len(), 2);
    assert!(
        cases
            .iter()
            .all(|c| matches!(c.status, TestCaseStatus::Success { .. }))
    );
    assert_eq!(
        ran.case("review")
            .classname
            .as_ref()
            .map(quick_junit::XmlString::as_str),
        Some("reviewer")
    );
    // review started only after write was done.
    let at = |needle: &str| {
        ran.stderr
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {}", ran.stderr))
    };
    assert!(at("task write (#1) running → done") < at("task review (#2) queued → assigned"));
    drop(ran.dir);
}

#[test]
fn a_claude_plan_with_a_failed_agent_and_a_timeout_exits_1() {
    let slow = "[[turn]]\n[[turn.step]]\ntext = \"Thinking for a long time.\"\ndelay_ms = 120000\n";
    let plan = format!(
        "{}{}[[agent]]\nname = \"ghost\"\ncommand = \"/nonexistent/ghost\"\nrestart = \"on-failure\"\nmax_restarts = 0\n\n\
         [[task]]\nkey = \"write\"\nassign = \"writer\"\n\n[[task]]\nkey = \"ponder\"\nassign = \"slow\"\n\n\
         [[task]]\nkey = \"haunt\"\nassign = \"ghost\"\n",
        claude_agent("writer", "writer.toml"),
        claude_agent("slow", "slow.toml")
    );
    let dir = plan_dir(&[
        ("plan.toml", &plan),
        ("writer.toml", WRITER),
        ("slow.toml", slow),
    ]);
    let bin = claude_on_path(dir.path());
    let ran = run_plan(dir, &["--timeout", "45"], Some(&bin), 120);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert_eq!(ran.task("write")["status"], "done", "{}", ran.stderr);
    assert_eq!(ran.task("ponder")["status"], "timed_out", "{}", ran.stderr);
    assert_eq!(ran.task("haunt")["status"], "cancelled");
    let junit = ran.junit.as_ref().expect("junit");
    assert_eq!(junit.test_suites[0].failures, 2);
    assert!(matches!(
        ran.case("write").status,
        TestCaseStatus::Success { .. }
    ));
    for (key, words) in [
        ("ponder", "timed out after 45s"),
        ("haunt", "agent ghost failed"),
    ] {
        let TestCaseStatus::NonSuccess { message, .. } = &ran.case(key).status else {
            panic!("{key} did not fail");
        };
        assert!(
            message.as_ref().is_some_and(|m| m.as_str().contains(words)),
            "{key}: {message:?}"
        );
    }
}

#[test]
fn the_readme_ci_job_runs_its_plan() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(manifest.join("README.md")).expect("README");
    let ci = readme
        .split("## CI")
        .nth(1)
        .expect("a CI section in the README");
    let line = ci
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("run: nox run "))
        .expect("a `run: nox run` step in the CI job");
    let words = shell_words::split(line.trim_start_matches("run: ")).expect("words");
    assert_eq!(&words[..2], ["nox", "run"]);
    let plan = manifest.join(&words[2]);
    let junit = words
        .iter()
        .position(|w| w == "--junit")
        .map(|i| words[i + 1].clone());
    assert!(plan.is_file() && junit.is_some(), "{line}");
    assert!(
        ci.contains("actions/upload-artifact") && ci.contains(&junit.clone().unwrap_or_default()),
        "{ci}"
    );
    let dir = plan_dir(&[]);
    let bin = claude_on_path(dir.path());
    let plan_s = plan.display().to_string();
    let child = command(
        dir.path(),
        &[
            &plan_s,
            "--report",
            "r.json",
            "--junit",
            "r.xml",
            "--timeout",
            "240",
        ],
        Some(&bin),
    )
    .spawn()
    .expect("nox run");
    let (code, stderr) = wait(child, 300);
    let ran = finish(dir, code, stderr);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.report["totals"]["done"], ran.report["totals"]["tasks"]);
    assert_eq!(
        ran.task("implement")["files_changed"][0]["path"],
        "greeting.sh"
    );
    assert_eq!(
        ran.junit.as_ref().expect("junit").test_suites[0]
            .test_cases
            .len(),
        2
    );
}
