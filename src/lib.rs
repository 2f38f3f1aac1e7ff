//! paramscope: inspect model weight files without loading their weights.
//!
//! Readers in [`format`] turn files into a format-neutral [`checkpoint::Checkpoint`]; analyses such as
//! [`inspect`] are pure functions of it; [`render`] turns their reports into tables, JSON or Markdown.

pub mod arch;
pub mod check;
pub mod checkpoint;
pub mod classify;
pub mod cli;
pub mod config;
pub mod diff;
pub mod dtype;
pub mod error;
pub mod file_id;
pub mod filter;
pub mod footprint;
pub mod format;
pub mod group;
pub mod inspect;
pub mod metadata;
pub mod parse_units;
pub mod render;
pub mod role;
pub mod semantics;
pub mod stats;
pub mod synth;
pub mod tree;
pub mod units;
pub mod walk;
