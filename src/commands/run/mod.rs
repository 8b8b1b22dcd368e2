//! `nox run PLAN.toml` (SPEC §3): runs a plan of agents and tasks with no
//! screen and exits with what became of them — 0 every task done, 1 any
//! failed, cancelled or timed out (or the run was interrupted), 2 a bad
//! plan, 3 the store or the socket. The core is the dashboard's (one
//! [`Core`], PTYs of 120×40), its face is the run loop ([`runner`]);
//! progress goes to stderr, reports to `--report` (JSON) and `--junit`.
//! Where it runs: see [`workspace`].

pub mod as_config;
pub mod collect;
pub mod junit;
pub mod plan;
pub mod progress;
pub mod report;
pub mod runner;
pub mod stuck;
pub mod workspace;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::EXIT_USAGE;
use crate::cli::Cli;
use crate::config::Config;
use crate::config::parse::DEFAULT_SCROLLBACK;
use crate::core::{Core, CoreOptions};
use crate::logging::{self, LogRing};
use progress::Progress;
use report::{Report, Totals};
use runner::Run;

/// PTY size of every agent of a run (rows, cols).
pub const SIZE: (u16, u16) = (40, 120);

/// Arguments of `nox run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The plan: [[agent]] tables (as in nox.toml), [[task]] tables, optional [[policy]] tables.
    pub plan: PathBuf,
    /// Stop after SECS seconds; unfinished tasks count as timed out.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Write a JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[allow(clippy::doc_markdown)]
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// Runs a plan; returns the exit code.
pub fn run(cli: &Cli, args: &RunArgs) -> u8 {
    let plan = match plan::load(&args.plan) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("nox: {e}");
            return EXIT_USAGE;
        }
    };
    let (rws, config) = match workspace::prepare(cli.workspace.as_deref(), &plan) {
        Ok(x) => x,
        Err((code, msg)) => {
            eprintln!("nox: {msg}");
            return code;
        }
    };
    let code = run_in(cli, args, &plan, &rws, config);
    let shown = rws.ws.root.display().to_string();
    if let Err(e) = rws.remove() {
        eprintln!("nox: cannot remove the temporary workspace {shown}: {e}");
    }
    code
}

fn run_in(
    cli: &Cli,
    args: &RunArgs,
    plan: &plan::Plan,
    rws: &workspace::RunWorkspace,
    config: Config,
) -> u8 {
    let ws = rws.ws.clone();
    let progress = Progress::new();
    let wake = Arc::new(Notify::new());
    let _guard = logging::init(&ws.logs_dir(), LogRing::new(Arc::clone(&wake)), cli.verbose);
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    tracing::info!("nox run {} in {}", plan.path.display(), ws.root.display());
    let code = rt.block_on(async {
        // Installed first: from here on SIGINT/SIGTERM stop the run gracefully.
        let Ok(mut signals) = crate::commands::stop_signals::StopSignals::new() else {
            eprintln!("nox: cannot install the signal handlers");
            return 1;
        };
        let lease = crate::core::lease_of(&config);
        let opts = CoreOptions {
            workspace: ws.clone(),
            config,
            scrollback: DEFAULT_SCROLLBACK,
            size: SIZE,
            wake,
            nox_exe: std::env::current_exe().ok(),
            stop_grace: Duration::from_secs(5),
            lease,
        };
        let core = match Core::start(opts) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("nox: {e}");
                return e.exit_code();
            }
        };
        let handle = core.handle();
        progress.line(&format!(
            "nox run {}: {} agent(s), {} task(s) in {}",
            plan.path.display(),
            handle.agents().len(),
            plan.tasks.len(),
            ws.root.display()
        ));
        let finished = match Run::create(&handle, plan, &progress).await {
            Ok(mut run) => {
                let ending = run.follow(args.timeout, &mut signals).await;
                let tasks = collect::tasks(&handle, &run, plan).await;
                Ok((ending, tasks, collect::agents(&handle)))
            }
            Err(e) => Err(e),
        };
        let elapsed = progress.elapsed();
        progress.line("stopping the agents");
        core.shutdown().await;
        let (ending, tasks, agents) = match finished {
            Ok(x) => x,
            Err((exit, msg)) => {
                eprintln!("nox: {msg}");
                return exit;
            }
        };
        let totals = Totals::of(&tasks);
        let exit = u8::from(totals.done != totals.tasks);
        let report = Report {
            plan: plan.path.display().to_string(),
            workspace: ws.root.display().to_string(),
            temporary_workspace: rws.temp.is_some(),
            ended_by: ending.describe(),
            elapsed_secs: elapsed.as_secs_f64(),
            exit_code: exit,
            totals,
            tasks,
            agents,
        };
        progress.line(&format!(
            "{} done, {} failed, {} cancelled, {} timed out ({})",
            report.totals.done,
            report.totals.failed,
            report.totals.cancelled,
            report.totals.timed_out,
            report.ended_by
        ));
        exit.max(write_reports(args, &report))
    });
    rt.shutdown_timeout(Duration::from_millis(200));
    code
}

/// Writes the reports asked for; 1 when one could not be written.
fn write_reports(args: &RunArgs, report: &Report) -> u8 {
    let mut code = 0;
    if let Some(p) = &args.report
        && let Err(e) = report::write(p, report)
    {
        eprintln!("nox: cannot write the report {}: {e}", p.display());
        code = 1;
    }
    if let Some(p) = &args.junit
        && let Err(e) = junit::write(p, report)
    {
        eprintln!("nox: cannot write the JUnit report {}: {e}", p.display());
        code = 1;
    }
    code
}
