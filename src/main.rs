//! The `nox` binary: the pre-exec helper short-circuit, then CLI dispatch.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args
        .get(1)
        .is_some_and(|a| a == nox::runtime::pty::spawn::PTY_EXEC_ARG)
    {
        return ExitCode::from(
            nox::runtime::pty::spawn::pty_exec_main(&args[2..]).clamp(0, 255) as u8,
        );
    }
    let cli = nox::cli::Cli::parse();
    ExitCode::from(nox::commands::run(&cli))
}
