// The `paramscope` binary: parse the command line, run one subcommand, exit with its code (`exit::finish`).
//
// The Python package's `paramscope` command is this same code: its extension module compiles this file in
// (`include!` in python/src/lib.rs) and calls `run_argv` with `sys.argv`, so the two commands cannot drift apart.
// Hence plain comments here: an included file cannot hold inner doc comments (`//!`).

mod args;
mod commands;
mod default_subcommand;
mod docs;
mod exit;
mod input;
mod output;
mod progress;

use args::{Cli, Command};
use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

// mimalloc, not the system allocator: a checkpoint's description is millions of small blocks (names, shapes), which
// glibc rounds up to 32 bytes each and mimalloc keeps in 8- and 16-byte classes; reading a 1.4M-tensor header took
// 500 MB with glibc. (The Python extension that includes this file gets it too, as pydantic-core does: Rust's
// blocks are only ever freed by Rust.)
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(run_argv(std::env::args_os().collect()))
}

/// Runs the command line `argv` (the program's name first) and returns the process's exit code.
pub fn run_argv(argv: Vec<OsString>) -> u8 {
    let mut out = output::Output::default();
    let outcome = match default_subcommand::with_default_subcommand(argv) {
        Ok(argv) => run(Cli::parse_from(argv).command, &mut out),
        Err(message) => Err(exit::UsageError(message)),
    };
    exit::finish(outcome, out)
}

fn run(command: Command, out: &mut output::Output) -> exit::Outcome {
    match command {
        Command::Inspect(args) => commands::inspect::run(args, out),
        Command::Diff(args) => commands::diff::run(args, out),
        Command::Footprint(args) => commands::footprint::run(args, out),
        Command::Completions { shell } => docs::completions(shell, out),
        Command::Man { subcommand, dir } => docs::man(subcommand.as_deref(), dir, out),
        Command::Stats(args) => commands::stats::run(args, out),
        Command::Check(args) => commands::check::run(*args, out),
        Command::Verify(args) => commands::verify::run(args, out),
    }
}
