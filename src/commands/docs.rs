//! Shell completions and the man page, generated from the same clap definitions as `--help`.

use super::write_out;
use clap::CommandFactory;
use paramscope::cli::Cli;
use std::process::ExitCode;

pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    // Generated into memory: clap_complete panics when its writer fails (a full disk).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "paramscope", &mut script);
    write_out(&[&script]);
    ExitCode::SUCCESS
}

pub fn man() -> ExitCode {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .expect("writing to memory cannot fail");
    write_out(&[&page]);
    ExitCode::SUCCESS
}
