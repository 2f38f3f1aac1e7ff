//! The `paramscope` binary: parse the command line, run one subcommand, exit with its code ([`exit::finish`]).

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
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut out = output::Output::default();
    let outcome = match default_subcommand::with_default_subcommand(std::env::args_os().collect()) {
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
