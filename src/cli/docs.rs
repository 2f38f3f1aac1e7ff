//! Shell completions and the man page, generated from the same clap definitions as `--help`.

use crate::args::Cli;
use crate::exit::{Exit, Outcome, UsageError};
use crate::output::Output;
use clap::CommandFactory;
use std::path::PathBuf;

pub fn completions(shell: clap_complete::Shell, out: &mut Output) -> Outcome {
    let mut cmd = Cli::command();
    // Generated into memory: clap_complete panics when its writer fails (a full disk).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "paramscope", &mut script);
    out.write(&[&script]);
    Ok(Exit::Ok)
}

/// The main page names a page per subcommand (`paramscope-check(1)`), so those pages exist too: one printed on
/// request, or all written to a folder.
pub fn man(subcommand: Option<&str>, dir: Option<PathBuf>, out: &mut Output) -> Outcome {
    // Built once so that subcommands carry their full names (`paramscope-check`); `help` has no page.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = dir {
        let pages = std::iter::once(&cmd).chain(cmd.get_subcommands());
        for page in pages {
            if let Err(e) = man_page(page.clone()).generate_to(&dir) {
                return Err(UsageError(format!("--dir {}: {e}", dir.display())));
            }
        }
        return Ok(Exit::Ok);
    }
    let page = match subcommand {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                return Err(UsageError(format!(
                    "no subcommand '{name}'; pages: {}",
                    names.join(", ")
                )));
            }
        },
    };
    let mut roff = Vec::new();
    man_page(page)
        .render(&mut roff)
        .expect("writing to memory cannot fail");
    out.write(&[&roff]);
    Ok(Exit::Ok)
}

/// Every page's footer names the program and its version (a subcommand page would name only itself).
fn man_page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd).source(concat!("paramscope ", env!("CARGO_PKG_VERSION")))
}
