//! The integration tests, one test binary running the built `paramscope` (one link step instead of one per file).
//! A module per subcommand, one for the command line itself, and the properties of the readers.
//!
//! The tests run as threads of this one process: a test needing process-wide state (an rlimit, a session, its
//! own resource usage) gives it to the child it starts, never to this process.

// The helpers stay in tests/common/: the committed fixtures name their generator there.
#[path = "../common/mod.rs"]
mod common;

mod check;
mod diff;
mod fixtures_current;
mod footprint;
mod inspect;
mod malformed;
mod properties;
mod read_only;
mod recursive;
mod stats;
mod terminal;
mod usage;
