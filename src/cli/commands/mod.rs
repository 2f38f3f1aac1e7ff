//! One runner per subcommand: each turns its arguments into the library's options, calls one library function,
//! renders the report and says how the command ended ([`crate::exit::Exit`]).

pub mod check;
pub mod diff;
pub mod footprint;
pub mod inspect;
pub mod stats;
pub mod verify;

use crate::exit::UsageError;
use paramscope::format::remote;
use paramscope::format::LoadOptions;
use std::path::PathBuf;

/// What the reading flags (shared by every subcommand) ask of the readers. Symlinks are always followed
/// (docs/inputs.md), so `--follow-symlinks` asks nothing any more; `--revision` is used where paths are named.
pub fn load_options(_read: &crate::args::ReadArgs) -> LoadOptions {
    LoadOptions::default()
}

/// The paths with `--quant` applied: `hf://ORG/REPO` becomes `hf://ORG/REPO:QUANT` (a spelling naming a file or a
/// quantisation already is left alone).
pub fn with_quant(read: &crate::args::ReadArgs, paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .map(|p| match (&read.quant, p.to_str()) {
            (Some(q), Some(s)) if s.starts_with("hf://") && !s["hf://".len()..].contains(':') => {
                let (repo, rest) = match s["hf://".len()..].splitn(3, '/').collect::<Vec<_>>()[..] {
                    [org, name, rest] => (format!("hf://{org}/{name}"), format!("/{rest}")),
                    _ => (s.to_string(), String::new()),
                };
                PathBuf::from(format!("{repo}:{q}{rest}"))
            }
            _ => p.clone(),
        })
        .collect()
}

/// Refuses a remote source for a command that reads every tensor's data (`stats`, `diff --values`), before
/// anything is fetched.
pub fn refuse_remote(paths: &[&PathBuf], command: &'static str) -> Result<(), UsageError> {
    match paths
        .iter()
        .find_map(|p| p.to_str().filter(|s| remote::is_remote(s)))
    {
        Some(spec) => Err(UsageError(remote::needs_data(spec, command).to_string())),
        None => Ok(()),
    }
}
