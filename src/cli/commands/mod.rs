//! One runner per subcommand: each turns its arguments into the library's options, calls one library function,
//! renders the report and says how the command ended ([`crate::exit::Exit`]).

pub mod check;
pub mod diff;
pub mod footprint;
pub mod inspect;
pub mod stats;
pub mod verify;

use paramscope::format::LoadOptions;

/// What the `--follow-symlinks` flag (shared by every subcommand) asks of the readers.
pub fn load_options(read: &crate::args::ReadArgs) -> LoadOptions {
    LoadOptions {
        follow_symlinks: read.follow_symlinks,
        ..LoadOptions::default()
    }
}
