//! The `paramscope` binary: parse the command line, run one subcommand, exit with its code.

mod args;
mod commands;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match args::with_default_subcommand(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(message) => return commands::usage_error(&message),
    };
    let cli = Cli::parse_from(args);
    let code = match cli.command {
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Footprint(args) => commands::footprint::run(args),
        Command::Completions { shell } => commands::docs::completions(shell),
        Command::Man { subcommand, dir } => commands::docs::man(subcommand.as_deref(), dir),
        Command::Stats(args) => commands::stats::run(args),
        Command::Check(args) => commands::check::run(*args),
        Command::Verify(args) => commands::verify::run(args),
    };
    commands::finish(code)
}
