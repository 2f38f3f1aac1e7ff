//! The format-neutral model of a checkpoint: its files and tensors, element types, metadata, which tensors a
//! filter selects, and the quantities people write and read (parameter counts, bytes).

pub mod checkpoint;
pub mod dtype;
pub mod filter;
pub mod metadata;
pub mod order;
pub mod path;
pub mod quantity;
pub mod units;
