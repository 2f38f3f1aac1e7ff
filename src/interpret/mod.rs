//! What the tensors of a checkpoint mean: each tensor's class and role, honest parameter counts, the
//! architecture figures of `config.json` or GGUF metadata.

pub mod arch;
pub mod classify;
pub mod hf_config;
pub mod moe;
pub mod role;
pub mod semantics;
