//! One runner per subcommand: each turns its arguments into the library's options, calls one library function,
//! renders the report and says how the command ended ([`crate::exit::Exit`]).

pub mod check;
pub mod diff;
pub mod footprint;
pub mod inspect;
pub mod stats;
pub mod verify;

use paramscope::format::LoadOptions;

/// What the reading flags (shared by every subcommand) ask of the readers. Symlinks are always followed
/// (docs/inputs.md), so `--follow-symlinks` asks nothing any more; `--revision` is used where paths are named.
pub fn load_options(_read: &crate::args::ReadArgs) -> LoadOptions {
    LoadOptions::default()
}
