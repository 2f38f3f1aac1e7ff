//! The integration tests, one test binary running the built `paramscope` (one link step instead of one per file).
//! A module per subcommand, one for the command line itself, and the properties of the readers.
//!
//! The tests run as threads of this one process, so what a test needs of a process is given to a child, never to
//! this one: an rlimit or a session to the binary it runs (`common::cap_address_space`, `common::in_own_session`),
//! a measure of peak memory to a fresh copy of this test binary running that test alone (`stats::memory`).

// The helpers stay in tests/common/: the committed fixtures name their generator there.
#[path = "../common/mod.rs"]
mod common;

mod check;
mod consistency;
mod diff;
mod display;
mod fixtures_current;
mod footprint;
mod inputs;
mod inspect;
mod malformed;
mod moe;
mod properties;
mod read_only;
mod read_while_shrinking;
mod recursive;
mod reference_agreement;
mod remote;
mod stats;
mod terminal;
mod torch;
mod usage;
mod verify;
