//! `nox demo` (SPEC §3): a self-contained tour. It builds a temporary
//! workspace (a small git repository), defines three agents — `planner`,
//! `backend`, `tests` — running the real Claude Code against nox's scripted
//! model endpoint on loopback (SPEC §8: no API key, no network), queues the
//! first task, and opens the dashboard on it. The planner delegates through
//! `mcp__nox__delegate_task` (the second delegated task depends on the
//! first), results come back to it as messages, and the tests agent's Bash
//! call waits for your approval (prefix `y`). Without `claude` on PATH it
//! says how to install it and runs the same flow with scripted generic
//! agents (no approval step: they have no permission prompts). The
//! temporary directory is removed on exit.

use std::path::Path;

use super::instance::Failure;
use crate::cli::Cli;
use crate::config::Workspace;
use crate::domain::NewTask;

const PLANNER: &str = include_str!("demo/planner.toml");
const BACKEND: &str = include_str!("demo/backend.toml");
const TESTS: &str = include_str!("demo/tests.toml");
const PLANNER_SH: &str = include_str!("demo/planner.sh");
const BACKEND_SH: &str = include_str!("demo/backend.sh");
const TESTS_SH: &str = include_str!("demo/tests.sh");

/// The first task: the planner takes it and delegates the rest.
pub const FIRST_TASK: &str = "Plan the greeting feature";

/// Runs the demo; returns the exit code.
pub fn run(cli: &Cli) -> u8 {
    let dir = match tempfile::Builder::new().prefix("nox-demo-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("nox: cannot create a temporary directory: {e}");
            return 1;
        }
    };
    let claude = crate::sys::program::resolve_program("claude", &super::cwd(), None).ok();
    if claude.is_none() {
        eprintln!(
            "nox demo: Claude Code is not installed (no `claude` on PATH).\n\
             Install it with `npm install -g @anthropic-ai/claude-code` (or into a prefix whose bin is on PATH)\n\
             to see real Claude Code sessions. Running the same flow with scripted generic agents now."
        );
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    let ws = Workspace::at(dir.path());
    if let Err((_, msg)) = build(&ws, claude.is_some()) {
        eprintln!("nox demo: {msg}");
        return 1;
    }
    let code = super::dashboard::open(cli, ws);
    // `dir` drops here: the workspace, its store and the agents' homes go.
    drop(dir);
    code
}

/// Writes the demo workspace at `ws`: files, a git repository, nox.toml,
/// the model scripts, and the first task.
pub fn build(ws: &Workspace, with_claude: bool) -> Result<(), Failure> {
    let io = |what: &str, e: std::io::Error| (1, format!("cannot write {what}: {e}"));
    let root = &ws.root;
    std::fs::write(
        root.join("README.md"),
        "# greeting\n\nA tiny project for the nox demo.\n",
    )
    .map_err(|e| io("README.md", e))?;
    init_git(root).map_err(|e| (1, format!("cannot create the demo repository: {e}")))?;
    let demo = ws.dir().join("demo");
    std::fs::create_dir_all(&demo).map_err(|e| io(".nox/demo", e))?;
    // Claude Code keeps files in $TMPDIR (`claude-<uid>`, `cc-socks`):
    // inside the demo directory they go with it.
    let tmp = demo.join("tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| io(".nox/demo/tmp", e))?;
    let toml = if with_claude {
        for (name, text) in [("planner", PLANNER), ("backend", BACKEND), ("tests", TESTS)] {
            std::fs::write(demo.join(format!("{name}.toml")), text).map_err(|e| io(name, e))?;
        }
        let agent = |name: &str, mode: &str, caps: &str| {
            format!(
                "[[agent]]\nname = \"{name}\"\nkind = \"claude\"\ncommand = \"claude\"\n\
                 model_script = \".nox/demo/{name}.toml\"\npermission_mode = \"{mode}\"\ncapabilities = [{caps}]\n\
                 env = {{ TMPDIR = {:?} }}\n\n",
                tmp.display().to_string()
            )
        };
        format!(
            "# nox demo: three Claude Code agents against the scripted model endpoint.\n\n{}{}{}",
            agent("planner", "default", "\"plan\""),
            agent("backend", "acceptEdits", "\"code\""),
            agent("tests", "default", "\"test\"")
        )
    } else {
        let exe =
            std::env::current_exe().map_err(|e| (1, format!("cannot find nox itself: {e}")))?;
        for (name, text) in [
            ("planner", PLANNER_SH),
            ("backend", BACKEND_SH),
            ("tests", TESTS_SH),
        ] {
            std::fs::write(demo.join(format!("{name}.sh")), text).map_err(|e| io(name, e))?;
        }
        let agent = |name: &str| {
            format!(
                "[[agent]]\nname = \"{name}\"\ncommand = \"sh\"\nargs = [\".nox/demo/{name}.sh\"]\n\
                 ready_pattern = '{name}>\\s*$'\nenv = {{ NOX_EXE = {:?}, NOX_ACT_AS = \"{name}\" }}\n\n",
                exe.display().to_string()
            )
        };
        format!(
            "# nox demo: scripted generic agents (Claude Code is not installed).\n\n{}{}{}",
            agent("planner"),
            agent("backend"),
            agent("tests")
        )
    };
    ws.init(&toml).map_err(|e| io("nox.toml", e))?;
    let store = crate::store::Store::open(&ws.dir().join("nox.db"))
        .map_err(|e| (3, format!("cannot open the demo store: {e}")))?;
    let first = NewTask {
        title: FIRST_TASK.into(),
        body: format!(
            "{FIRST_TASK}: a greeting.sh script that greets its argument. Delegate the implementation to backend and its test to tests (after the implementation)."
        ),
        assignee: Some("planner".into()),
        created_by: "cli".into(),
        ..NewTask::default()
    };
    store
        .write(move |c| crate::store::tasks::create(c, &first))
        .map_err(|e| (3, format!("cannot add the first task: {e}")))?;
    store
        .flush()
        .map_err(|e| (3, format!("cannot write the demo store: {e}")))?;
    Ok(())
}

/// A git repository with one commit, so results list the files changed.
fn init_git(root: &Path) -> Result<(), git2::Error> {
    std::fs::write(root.join(".gitignore"), ".nox/\n")
        .map_err(|e| git2::Error::from_str(&e.to_string()))?;
    let repo = git2::Repository::init(root)?;
    let mut index = repo.index()?;
    index.add_path(Path::new("README.md"))?;
    index.add_path(Path::new(".gitignore"))?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = git2::Signature::now("nox demo", "demo@nox.invalid")?;
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "Start the greeting project",
        &tree,
        &[],
    )?;
    Ok(())
}
