//! paramscope: inspect model weight files without loading their weights.
//!
//! Readers in [`format`](mod@format) turn files into a format-neutral [`model::checkpoint::Checkpoint`]; analyses such as
//! [`inspect`] are pure functions of it; [`render`] turns their reports into tables, JSON or Markdown.

// Every public item says what it is; CI runs clippy with -D warnings, so a missing doc fails the build.
#![warn(missing_docs)]

pub mod aggregate;
pub mod check;
pub mod diff;
pub mod each;
pub mod footprint;
pub mod format;
pub mod inspect;
pub mod interpret;
pub mod model;
pub mod render;
pub mod stats;
pub mod values;
pub mod verify;
